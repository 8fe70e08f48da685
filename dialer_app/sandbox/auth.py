"""Bearer-token check for everything under `/api/`: 401 `unauthorized` unless the token is known."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import unauthorized
from .responses import error_response

API_PREFIX = "/api/"


class BearerAuth:
    """ASGI middleware: sets `request.state.user_id` from `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, tokens: Mapping[str, int]) -> None:
        self.app = app
        self._tokens = dict(tokens)

    def _user_for(self, token: str) -> int | None:
        found = None
        for known, user_id in self._tokens.items():
            if secrets.compare_digest(known.encode(), token.encode()):
                found = user_id
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            error = unauthorized("Send an access token: Authorization: Bearer <token>.")
            await error_response(error)(scope, receive, send)
            return
        user_id = self._user_for(token)
        if user_id is None:
            error = unauthorized("The access token is invalid or has expired.")
            await error_response(error)(scope, receive, send)
            return
        scope.setdefault("state", {})["user_id"] = user_id
        await self.app(scope, receive, send)
