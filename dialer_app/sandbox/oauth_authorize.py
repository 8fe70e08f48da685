"""`/oauth/authorize`: the consent step of Outreach's authorization-code flow.

`GET /oauth/authorize?client_id&redirect_uri&response_type=code&scope&state` shows the consent
page (with `--auto-approve`: redirects at once, as if approved). The page posts back to
`POST /oauth/authorize` with `decision=approve` (→ 302 to `redirect_uri?code=…&state=…`) or
`decision=deny` (→ 302 to `redirect_uri?error=access_denied&state=…`).

Only the configured client may ask, and only for a loopback redirect URI with an explicit port
(`http://127.0.0.1:<port>/…` or `http://localhost:<port>/…`); anything else gets a 400 page and
is never redirected to. Once the URI is vetted, a wrong `response_type` or an unknown scope is
sent back to it as `error=unsupported_response_type` / `error=invalid_scope`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from .forms import read_form
from .oauth_errors import NO_STORE
from .oauth_pages import consent_page, refusal_page
from .resources import USER
from .scopes import unknown_scopes
from .settings import REP_USER_ID, SandboxSettings
from .tokens import TokenBook
from .worker import StoreWorker

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
MAX_PARAM = 2048


class Refused(Exception):
    """The request cannot go back to its redirect URI: answered with the 400 page."""


@dataclass(frozen=True, slots=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    response_type: str
    scope: str
    state: str | None

    def fields(self) -> dict[str, str]:
        out = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": self.response_type,
            "scope": self.scope,
        }
        if self.state is not None:
            out["state"] = self.state
        return out

    def back(self, **params: str) -> Response:
        """302 to the redirect URI with `params` (and `state`) added to its query."""
        if self.state is not None:
            params["state"] = self.state
        sep = "&" if urlsplit(self.redirect_uri).query else "?"
        return RedirectResponse(f"{self.redirect_uri}{sep}{urlencode(params)}", 302, NO_STORE)


def is_loopback_redirect(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.hostname in LOOPBACK_HOSTS
        and port is not None
        and not parts.username
        and not parts.password
        and not parts.fragment
        and parts.netloc.rsplit("@", 1)[-1].lower() in (f"127.0.0.1:{port}", f"localhost:{port}")
    )


def parse_request(params: Mapping[str, str], settings: SandboxSettings) -> AuthorizeRequest:
    """The vetted request; `Refused` when it must not be redirected back."""
    values = {k: params.get(k) for k in ("client_id", "redirect_uri", "response_type", "scope")}
    state = params.get("state")
    if any(v is not None and len(v) > MAX_PARAM for v in (*values.values(), state)):
        raise Refused(f"A parameter is longer than {MAX_PARAM} characters.")
    client_id = values["client_id"] or ""
    if not secrets.compare_digest(client_id.encode(), settings.client_id.encode()):
        raise Refused("Unknown client_id: this sandbox knows one OAuth client.")
    redirect_uri = values["redirect_uri"] or ""
    if not is_loopback_redirect(redirect_uri):
        raise Refused(
            "redirect_uri must be http://127.0.0.1:<port>/… or http://localhost:<port>/…."
        )
    return AuthorizeRequest(
        client_id, redirect_uri, values["response_type"] or "", values["scope"] or "", state
    )


def request_error(request: AuthorizeRequest) -> Response | None:
    """The redirect carrying an error for a vetted request that is still wrong, else None."""
    if request.response_type != "code":
        return request.back(error="unsupported_response_type")
    scopes = request.scope.split()
    if not scopes or unknown_scopes(scopes):
        return request.back(error="invalid_scope")
    return None


class AuthorizeEndpoints:
    """`GET` and `POST /oauth/authorize`; codes are issued for the seeded rep."""

    def __init__(self, worker: StoreWorker, book: TokenBook, settings: SandboxSettings) -> None:
        self._worker = worker
        self._book = book
        self._settings = settings

    async def _approve(self, request: AuthorizeRequest) -> Response:
        code = await self._worker.run(
            self._book.issue_code,
            request.client_id,
            request.redirect_uri,
            " ".join(request.scope.split()),
            REP_USER_ID,
            self._settings.now(),
        )
        return request.back(code=code)

    async def show(self, http: Request) -> Response:
        try:
            request = parse_request(http.query_params, self._settings)
        except Refused as exc:
            return refusal_page(str(exc))
        if (error := request_error(request)) is not None:
            return error
        if self._settings.auto_approve:
            return await self._approve(request)
        user = await self._worker.run(self._worker.store.get, USER, REP_USER_ID)
        name = str(user.attrs.get("name")) if user is not None else "the sandbox rep"
        return consent_page(request.client_id, name, request.fields())

    async def decide(self, http: Request) -> Response:
        try:
            form = read_form(await http.body(), http.headers.get("content-type", ""))
        except ValueError as exc:
            return refusal_page(f"The consent form could not be read: {exc}.")
        try:
            request = parse_request(form, self._settings)
        except Refused as exc:
            return refusal_page(str(exc))
        if (error := request_error(request)) is not None:
            return error
        if form.get("decision") == "approve":
            return await self._approve(request)
        return request.back(error="access_denied")
