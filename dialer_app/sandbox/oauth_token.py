"""`POST /oauth/token`: authorization codes and refresh tokens traded for tokens.

Body: a URL-encoded form (or a JSON object) with `grant_type` and `client_id`, `client_secret`:

- `authorization_code`: also `code` and `redirect_uri` (the one given to `/oauth/authorize`);
- `refresh_token`: also `refresh_token` (rotated: the answer carries a new one, the old one
  stops working).

200 `{"access_token", "token_type": "bearer", "expires_in", "refresh_token", "scope",
"created_at"}`. Errors in OAuth's shape: 400 `invalid_request` / `invalid_grant` /
`unsupported_grant_type`, 401 `invalid_client`, 429 `rate_limited` (one mint per user per
`--mint-interval`, with `Retry-After`).
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .forms import read_form
from .oauth_errors import (
    NO_STORE,
    invalid_client,
    invalid_request,
    unsupported_grant_type,
)
from .settings import SandboxSettings
from .tokens import MintPolicy, TokenBook, TokenSet
from .worker import StoreWorker

GRANT_TYPES = ("authorization_code", "refresh_token")


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def _required(form: dict[str, str], *names: str) -> list[str]:
    missing = [n for n in names if not form.get(n)]
    if missing:
        raise invalid_request(f"Missing {', '.join(missing)}.")
    return [form[n] for n in names]


class TokenEndpoint:
    """`POST /oauth/token` for the one configured client."""

    def __init__(self, worker: StoreWorker, book: TokenBook, settings: SandboxSettings) -> None:
        self._worker = worker
        self._book = book
        self._settings = settings

    def _check_client(self, form: dict[str, str]) -> str:
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        known = _same(client_id, self._settings.client_id)
        if not (known and _same(secret, self._settings.client_secret)):
            raise invalid_client()
        return client_id

    async def token(self, request: Request) -> Response:
        try:
            form = read_form(await request.body(), request.headers.get("content-type", ""))
        except ValueError as exc:
            raise invalid_request(f"The request body could not be read: {exc}.") from exc
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise invalid_request("Missing grant_type.")
        if grant_type not in GRANT_TYPES:
            raise unsupported_grant_type(grant_type)
        client_id = self._check_client(form)
        policy = MintPolicy(self._settings.token_ttl, self._settings.mint_interval)
        now = self._settings.now()
        tokens: TokenSet
        if grant_type == "authorization_code":
            code, redirect_uri = _required(form, "code", "redirect_uri")
            tokens = await self._worker.run(
                self._book.exchange_code, client_id, redirect_uri, code, policy, now
            )
        else:
            (refresh_token,) = _required(form, "refresh_token")
            tokens = await self._worker.run(
                self._book.refresh, client_id, refresh_token, policy, now
            )
        return JSONResponse(tokens.as_json(), 200, NO_STORE)
