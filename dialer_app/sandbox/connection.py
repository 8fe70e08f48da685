"""uvicorn's h11 protocol, letting the app abort its own TCP connection (for dropped POSTs).

Each request's scope gets `injector.ABORT_KEY`: a callable that closes the connection at once,
with no response, as a crashing or unplugged server would. The client then sees the connection
close (httpx: `RemoteProtocolError`) although the server may have committed the request.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from .injector import ABORT_KEY


class AbortableH11Protocol(H11Protocol):
    """`H11Protocol` whose app sees `scope[ABORT_KEY]` bound to this connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        inner: ASGIApp = self.app

        async def with_abort(scope: Scope, receive: Receive, send: Send) -> None:
            scope[ABORT_KEY] = transport.abort
            await inner(scope, receive, send)

        self.app = with_abort
