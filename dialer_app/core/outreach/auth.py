"""The access token on the wire: an `httpx.Auth` flow that sends it to the API origin only.

- A request to the configured API origin (scheme, host and port) gets `Authorization: Bearer`
  with the token source's current token; any other request leaves without one, whatever it
  carried (the client never follows redirects, and refuses foreign links before this).
- A 401 was not processed: the flow asks the token source for a new token once and replays the
  request once, even a POST. A second 401 is the answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Coroutine, Generator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import httpx

T = TypeVar("T")
Origin = tuple[str, str, int]
DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL) -> Origin:
    """(scheme, host, port) of `url`, the port filled in for http and https."""
    scheme = url.scheme.lower()
    port = url.port if url.port is not None else DEFAULT_PORTS.get(scheme, -1)
    return scheme, url.host.lower().rstrip("."), port


class TokenSource(Protocol):
    """Gives the access token to send; may refresh it first."""

    async def access_token(self) -> str:
        """The token to send now (refreshed first when it is about to expire)."""
        ...

    async def refresh_after_rejection(self, rejected: str) -> bool:
        """Outreach answered 401 to `rejected`: get a new token; True when there is one.

        Raises `errors.SignInRequired` when no new token can be had without the rep.
        """
        ...

    def fresh_token(self) -> str | None:
        """The token when it can be sent as it is, far from expiring (no refresh, no lock, no
        I/O: safe from any thread); None when only `access_token` can say."""
        ...


@dataclass(frozen=True, slots=True)
class StaticToken:
    """A fixed access token (automation, demo mode)."""

    token: str

    async def access_token(self) -> str:
        return self.token

    async def refresh_after_rejection(self, rejected: str) -> bool:
        return False

    def fresh_token(self) -> str | None:
        return self.token


@dataclass(frozen=True, slots=True)
class OnLoop:
    """A token source of another loop (the window's), asked there: a client on a worker
    thread's loop shares the window's sign-in — one refresh at a time, one place that saves
    it — without touching its locks or its HTTP client from the wrong loop.

    A token far from expiring (`fresh_token`) is read here, at once: the window's loop is asked
    only when it may have to be refreshed, so a busy window never holds a request up."""

    source: TokenSource
    loop: asyncio.AbstractEventLoop

    async def access_token(self) -> str:
        token = self.source.fresh_token()
        if token is not None:
            return token
        return await self._there(self.source.access_token())

    async def refresh_after_rejection(self, rejected: str) -> bool:
        return await self._there(self.source.refresh_after_rejection(rejected))

    def fresh_token(self) -> str | None:
        return self.source.fresh_token()

    async def _there(self, coro: Coroutine[Any, Any, T]) -> T:
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


def on_loop(source: TokenSource, loop: asyncio.AbstractEventLoop) -> TokenSource:
    """`source` for a client on another loop than `loop`: a fixed token as it is (it holds no
    loop's state), any other through `OnLoop`."""
    return source if isinstance(source, StaticToken) else OnLoop(source, loop)


class BearerAuth(httpx.Auth):
    """Attach the token for `origin`; refresh once on 401 and replay."""

    def __init__(self, source: TokenSource, origin: Origin) -> None:
        self.source = source
        self.origin = origin

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        raise NotImplementedError("the Outreach client is asynchronous only")

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if origin_of(request.url) != self.origin:
            request.headers.pop("Authorization", None)
            yield request
            return
        token = await self.source.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code != 401 or not await self.source.refresh_after_rejection(token):
            return
        request.headers["Authorization"] = f"Bearer {await self.source.access_token()}"
        yield request
