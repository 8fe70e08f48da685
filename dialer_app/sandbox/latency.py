"""Added latency before each API request is handled (`--latency-ms`, `--latency-jitter-ms`)."""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from .auth import is_api
from .faults import Faults


class AddedLatency:
    """ASGI middleware: wait the faults' latency (plus seeded jitter), then hand the request on."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if is_api(scope):
            seconds = self._faults.latency_seconds()
            if seconds > 0:
                await anyio.sleep(seconds)
        await self.app(scope, receive, send)
