"""The client's 401 rule: ask the token source once, repeat once; and the reference cache."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from dialer_app.core.calls import CallAttributes, NewCall
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.outreach.reference import ReferenceCache

BASE = "https://api.example.test/api/v2"
CALL = {"data": {"type": "call", "id": 7, "attributes": {"outcome": "Answered"}}}
UNAUTHORIZED = json.dumps({"errors": [{"id": "unauthorized", "detail": "expired"}]}).encode()


class Rotating:
    """A token source whose refresh gives `tok-N+1`, or fails as told."""

    def __init__(self, refreshes: bool = True) -> None:
        self.n = 1
        self.refreshes = refreshes
        self.rejected: list[str] = []

    async def access_token(self) -> str:
        return f"tok-{self.n}"

    async def refresh_after_rejection(self, rejected: str) -> bool:
        self.rejected.append(rejected)
        if not self.refreshes:
            raise e.SignInRequired()
        self.n += 1
        return True

    def fresh_token(self) -> str | None:
        return None


def _post(token: Any, accept: set[str]) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        auth = request.headers["Authorization"].removeprefix("Bearer ")
        seen.append(f"{request.method} {auth}")
        if auth in accept:
            return httpx.Response(201, json=CALL)
        return httpx.Response(401, content=UNAUTHORIZED)

    async def go() -> Any:
        client = OutreachClient(BASE, token, transport=httpx.MockTransport(handler))
        try:
            return await client.create_call(NewCall(attributes=CallAttributes(note="x")))
        finally:
            await client.aclose()

    try:
        return asyncio.run(go()), seen
    except e.OutreachError as exc:
        return exc, seen


def test_a_401_is_repeated_once_with_the_new_token_even_for_a_post() -> None:
    source = Rotating()
    call, seen = _post(source, {"tok-2"})
    assert call.id == 7
    assert seen == ["POST tok-1", "POST tok-2"]
    assert source.rejected == ["tok-1"]


def test_a_second_401_is_not_repeated_again() -> None:
    source = Rotating()
    error, seen = _post(source, set())
    assert type(error) is e.Unauthorized
    assert seen == ["POST tok-1", "POST tok-2"]


def test_a_static_token_is_not_repeated() -> None:
    error, seen = _post(StaticToken("fixed"), set())
    assert type(error) is e.Unauthorized
    assert seen == ["POST fixed"]


def test_no_refresh_possible_reaches_the_caller_as_sign_in_required() -> None:
    error, seen = _post(Rotating(refreshes=False), set())
    assert isinstance(error, e.SignInRequired)
    assert isinstance(error, e.Unauthorized)  # the sync worker's hold-on-401 still applies
    assert error.status == 401
    assert seen == ["POST tok-1"]


def test_reference_lists_are_cached_and_refreshed(sandbox: Any) -> None:
    now = [0.0]

    async def go() -> tuple[int, int, int, bool]:
        requests = 0

        async def count(_request: httpx.Request) -> None:
            nonlocal requests
            requests += 1

        client = OutreachClient(sandbox.base_url, StaticToken(sandbox.token))
        client._http.event_hooks["request"].append(count)
        cache = ReferenceCache(client, ttl=60, now=lambda: now[0])
        try:
            first, second = await asyncio.gather(cache.get(), cache.get())
            assert first is second
            after_first = requests
            now[0] = 30
            assert (await cache.get()) is first
            now[0] = 61
            stale = cache.fresh()
            third = await cache.get()
            assert third is not first
            assert third.dispositions == first.dispositions
            await cache.get(refresh=True)
            return after_first, requests, len(first.dispositions), stale
        finally:
            await client.aclose()

    after_first, total, dispositions, stale = asyncio.run(go())
    assert dispositions > 0
    assert stale is False
    assert after_first == 2  # one page of dispositions, one of purposes, shared by both callers
    assert total == 6


def test_a_refresh_of_reference_lists_that_fails_keeps_the_old_ones() -> None:
    fail = [False]

    def handler(request: httpx.Request) -> httpx.Response:
        if fail[0]:
            return httpx.Response(503)
        return httpx.Response(200, json={"data": [{"type": "x", "id": 1, "attributes": {}}]})

    async def go() -> None:
        client = OutreachClient(BASE, StaticToken("t"), transport=httpx.MockTransport(handler))
        cache = ReferenceCache(client, ttl=0)
        try:
            kept = await cache.get()
            fail[0] = True
            with pytest.raises(e.ServerError):
                await cache.get()
            assert cache.current is kept
        finally:
            await client.aclose()

    asyncio.run(go())
