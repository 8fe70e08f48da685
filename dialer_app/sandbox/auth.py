"""Bearer tokens for everything under `/api/`: who is calling, and with which scopes.

A static `--access-token` signs in the rep with every scope and never expires; any other token
is looked up in the OAuth book (`dialer_app.sandbox.tokens`). Unknown or missing tokens get
401 `unauthorized`; an expired one gets 401 `unauthorized` saying it has expired. On success
`scope["state"]` carries `user_id` and `scopes` for the middlewares and routes inside.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import missing_scope, unauthorized
from .responses import error_response
from .scopes import EVERY_SCOPE, allows, required_scope
from .tokens import AccessGrant, TokenBook
from .worker import StoreWorker

API_PREFIX = "/api/"


def is_api(scope: Scope) -> bool:
    return scope["type"] == "http" and str(scope["path"]).startswith(API_PREFIX)


class BearerAuth:
    """ASGI middleware: sets `state.user_id` and `state.scopes` from the bearer token."""

    def __init__(
        self,
        app: ASGIApp,
        tokens: Mapping[str, int],
        worker: StoreWorker,
        book: TokenBook,
        now: Callable[[], float],
    ) -> None:
        self.app = app
        self._tokens = dict(tokens)
        self._worker = worker
        self._book = book
        self._now = now

    def _static(self, token: str) -> int | None:
        found = None
        for known, user_id in self._tokens.items():
            if secrets.compare_digest(known.encode(), token.encode()):
                found = user_id
        return found

    async def _grant(self, token: str) -> AccessGrant | None:
        user_id = self._static(token)
        if user_id is not None:
            return AccessGrant(user_id, EVERY_SCOPE, expired=False)
        found = await self._worker.run(self._book.access, token, self._now())
        return None if found == "unknown" else found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api(scope):
            await self.app(scope, receive, send)
            return
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            error = unauthorized("Send an access token: Authorization: Bearer <token>.")
            await error_response(error)(scope, receive, send)
            return
        grant = await self._grant(token)
        if grant is None or grant.expired:
            detail = (
                "The access token has expired: refresh it."
                if grant is not None
                else "The access token is invalid."
            )
            await error_response(unauthorized(detail))(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state["user_id"] = grant.user_id
        state["scopes"] = grant.scopes
        await self.app(scope, receive, send)


class ScopeCheck:
    """ASGI middleware: 403 `unauthorizedOauthScope` unless the token's scopes allow the route."""

    def __init__(self, app: ASGIApp, api_root: str) -> None:
        self.app = app
        self._root = api_root.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if is_api(scope) and path.startswith(self._root):
            needed = required_scope(str(scope["method"]), path[len(self._root) :])
            granted: frozenset[str] = scope.get("state", {}).get("scopes", frozenset())
            if needed is not None and not allows(granted, needed):
                await error_response(missing_scope(needed))(scope, receive, send)
                return
        await self.app(scope, receive, send)
