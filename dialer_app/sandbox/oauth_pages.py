"""The HTML of the sign-in flow: the consent page (Approve / Deny) and the refusal page."""

from __future__ import annotations

from collections.abc import Mapping
from html import escape

from starlette.responses import HTMLResponse

from .oauth_errors import NO_STORE

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}"
    "li{margin:.2rem 0}button{font-size:1rem;padding:.4rem 1.2rem;margin-right:.6rem}"
)
_HEADERS = {
    **NO_STORE,
    "X-Frame-Options": "DENY",
    # no form-action: browsers apply it to the redirect after the form, which leaves this origin
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}


def _page(title: str, body: str, status: int) -> HTMLResponse:
    html = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>"
    )
    return HTMLResponse(html, status, _HEADERS)


def consent_page(client_id: str, user_name: str, fields: Mapping[str, str]) -> HTMLResponse:
    """Names the client and each scope; posts `fields` back with `decision=approve|deny`."""
    scopes = "".join(f"<li><code>{escape(s)}</code></li>" for s in fields["scope"].split())
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">' for k, v in fields.items()
    )
    body = (
        "<h1>Authorize access</h1>"
        f"<p><strong>{escape(client_id)}</strong> asks to act as {escape(user_name)} in the "
        "Outreach sandbox with these scopes:</p>"
        f"<ul>{scopes}</ul>"
        f'<form method="post" action="/oauth/authorize">{hidden}'
        '<button type="submit" name="decision" value="approve">Approve</button>'
        '<button type="submit" name="decision" value="deny">Deny</button></form>'
    )
    return _page("Authorize access", body, 200)


def refusal_page(reason: str) -> HTMLResponse:
    """400: the request cannot be sent back to its redirect URI (unknown client, bad URI)."""
    body = f"<h1>Sign-in request refused</h1><p>{escape(reason)}</p>"
    return _page("Sign-in request refused", body, 400)
