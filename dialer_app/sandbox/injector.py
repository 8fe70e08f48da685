"""ASGI middlewares that act out the faults of `dialer_app.sandbox.faults` on API requests.

`MaintenanceGate` sits outside authentication (maintenance answers everyone). `FaultInjector`
sits inside the rate limiter: bursts of 429 and injected 5xx answer before the route runs;
holds and drops act on the route's answer, after the route has committed its work.

Dropping a connection needs the server's help: `dialer_app.sandbox.connection` puts an
`ABORT_KEY` callable into each request's scope that closes the TCP connection at once. Served
another way (no such key), a drop answers normally instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import is_api
from .errors import injected_failure, maintenance, rate_limit_exceeded
from .faults import Faults
from .responses import error_response

ABORT_KEY = "sandbox.abort_connection"


class MaintenanceGate:
    """503 `scheduledServerMaintenance` with `Retry-After` while maintenance is on."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self._faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self._faults.settings
        if is_api(scope) and settings.maintenance:
            await error_response(maintenance(settings.retry_after_s))(scope, receive, send)
            return
        await self.app(scope, receive, send)


class FaultInjector:
    """429 bursts, injected 5xx, held answers and dropped connections."""

    def __init__(self, app: ASGIApp, faults: Faults, now: Callable[[], float]) -> None:
        self.app = app
        self._faults = faults
        self._now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_api(scope):
            await self.app(scope, receive, send)
            return
        faults = self._faults
        if faults.take_burst():
            wait = faults.settings.retry_after_s
            headers = {
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": str(math.ceil(self._now()) + wait),
                "Retry-After": str(wait),
            }
            error = rate_limit_exceeded("Too many requests (an injected burst of 429).", headers)
            await error_response(error)(scope, receive, send)
            return
        status = faults.injected_status()
        if status is not None:
            await error_response(injected_failure(status))(scope, receive, send)
            return
        hold = faults.settings.hold_ms / 1000
        abort: Callable[[], None] | None = scope.get(ABORT_KEY)
        dropping = False

        async def send_faulty(message: Message) -> None:
            nonlocal dropping
            if message["type"] == "http.response.start":
                ok = 200 <= int(message["status"]) < 300
                post = scope["method"] == "POST"
                if post and ok and abort is not None and faults.take_drop(str(scope["path"])):
                    dropping = True
                    abort()
                    return
                if hold > 0:
                    await anyio.sleep(hold)
            if not dropping:
                await send(message)

        await self.app(scope, receive, send_faulty)
        if dropping:  # wait until the server has noticed the closed connection
            while (await receive())["type"] != "http.disconnect":
                pass
