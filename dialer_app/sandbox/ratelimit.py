"""Outreach's request budget: `--rate-limit` requests per user per hour, told in headers.

Every authenticated API response carries `X-RateLimit-Limit`, `X-RateLimit-Remaining` and
`X-RateLimit-Reset` (epoch seconds when the user's hour ends). The window starts at the user's
first request; once the budget is spent, requests get 429 `rateLimitExceeded` with
`Retry-After` until the window ends. Counts live in memory (a restart starts a new hour).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import is_api
from .errors import rate_limit_exceeded
from .responses import error_response

WINDOW_SECONDS = 3600


@dataclass(slots=True)
class _Window:
    start: float
    used: int = 0


@dataclass(frozen=True, slots=True)
class Budget:
    """The user's budget after one request: was it allowed, what is left, when it resets."""

    allowed: bool
    limit: int
    remaining: int
    reset: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateBudgets:
    """Per-user hourly counters (used on the event loop only)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._windows: dict[int, _Window] = {}

    def take(self, user_id: int, now: float) -> Budget:
        window = self._windows.get(user_id)
        if window is None or now >= window.start + WINDOW_SECONDS:
            window = self._windows[user_id] = _Window(now)
        reset = math.ceil(window.start + WINDOW_SECONDS)
        if window.used >= self.limit:
            return Budget(False, self.limit, 0, reset)
        window.used += 1
        return Budget(True, self.limit, self.limit - window.used, reset)


class RateLimit:
    """ASGI middleware (inside `BearerAuth`): counts, adds the headers, refuses when spent."""

    def __init__(self, app: ASGIApp, budgets: RateBudgets, now: Callable[[], float]) -> None:
        self.app = app
        self._budgets = budgets
        self._now = now

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        user_id = scope.get("state", {}).get("user_id") if is_api(scope) else None
        if user_id is None:
            await self.app(scope, receive, send)
            return
        now = self._now()
        budget = self._budgets.take(user_id, now)
        headers = budget.headers()
        if not budget.allowed:
            headers["Retry-After"] = str(max(1, math.ceil(budget.reset - now)))
            detail = f"The budget of {budget.limit:,} requests per hour is spent."
            await error_response(rate_limit_exceeded(detail, headers))(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                for name, value in headers.items():
                    if name not in out:  # an injected 429 brings its own
                        out[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
