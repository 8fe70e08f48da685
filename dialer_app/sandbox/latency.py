"""Optional fixed latency added before every HTTP request is handled (`--latency-ms`)."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send


class AddedLatency:
    """ASGI middleware: wait `latency_ms` before handing the request on."""

    def __init__(self, app: ASGIApp, latency_ms: int) -> None:
        self.app = app
        self._seconds = latency_ms / 1000

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._seconds > 0:
            await anyio.sleep(self._seconds)
        await self.app(scope, receive, send)
