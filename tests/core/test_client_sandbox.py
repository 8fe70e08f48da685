"""Client operations against the real sandbox over HTTP: who is signed in, pages, calls, TLS."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from tests.support.sandbox import SandboxServer


def _with(server: SandboxServer, use: Callable[[OutreachClient], Awaitable[Any]], **kw: Any) -> Any:
    async def go() -> Any:
        client = OutreachClient(
            kw.pop("base_url", server.base_url), StaticToken(server.token), **kw
        )
        try:
            return await use(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_current_user_is_the_tokens_rep(sandbox: SandboxServer) -> None:
    user = _with(sandbox, lambda c: c.current_user())
    assert user.id == 1
    assert user.name
    assert "@" in user.email


def test_the_pagination_helper_follows_links_next_to_the_end(sandbox: SandboxServer) -> None:
    async def both(client: OutreachClient) -> tuple[list[int], list[int]]:
        paged = [r.id async for r in client.paginate("/callDispositions", {"page[size]": 2})]
        whole = [
            r.id for r in (await client.read("/callDispositions", {"page[size]": 1000})).resources()
        ]
        return paged, whole

    paged, whole = _with(sandbox, both)
    assert len(whole) > 2  # several pages were needed
    assert sorted(paged) == sorted(whole)
    assert len(set(paged)) == len(paged)


def test_calls_of_a_prospect_include_a_new_call_newest_first(sandbox: SandboxServer) -> None:
    vendor_id = f"client-{uuid.uuid4().hex[:12]}"
    call = NewCall(
        attributes=CallAttributes(outcome="Answered", note="client test", vendorCallId=vendor_id),
        relationships=CallRelationships.link(prospect=2),
    )

    async def go(client: OutreachClient) -> tuple[int, list[Any]]:
        created = await client.create_call(call)
        return created.id, await client.calls_of_prospect(2, limit=50)

    created_id, calls = _with(sandbox, go)
    assert calls[0].id == created_id
    assert calls[0].attributes.vendorCallId == vendor_id


def test_a_tls_failure_is_a_tls_error(sandbox: SandboxServer) -> None:
    plain = sandbox.base_url.replace("http://", "https://")  # TLS spoken to a plain-HTTP port
    with pytest.raises(e.TlsError, match="Secure connection"):
        _with(sandbox, lambda c: c.current_user(), base_url=plain, retry=RetryPolicy(1))


def test_a_read_says_once_it_only_waits_on_outreach(sandbox: SandboxServer) -> None:
    """`waiting` comes once the request is on its way, before its answer: twice for the first
    read (a connection is made, then the request written), once for a read on that connection."""
    events: list[str] = []

    async def go(client: OutreachClient) -> None:
        for path in ("/callDispositions", "/callPurposes"):
            await client.read(path, waiting=lambda: events.append("waiting"))
            events.append(f"answer {path}")

    _with(sandbox, go)
    assert events == [
        "waiting",
        "waiting",
        "answer /callDispositions",
        "waiting",
        "answer /callPurposes",
    ]


def test_a_read_that_cannot_connect_said_it_was_waiting(sandbox: SandboxServer) -> None:
    """Nobody listens: making the connection is waiting too (a caller does its own work
    meanwhile), then the error comes."""
    events: list[str] = []

    async def go(client: OutreachClient) -> None:
        with pytest.raises(e.ConnectError):
            await client.read("/callPurposes", waiting=lambda: events.append("waiting"))
        events.append("failed")

    with socket.socket() as unused:  # a port of this machine that nothing listens on
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    _with(sandbox, go, base_url=f"http://127.0.0.1:{port}/api/v2", retry=RetryPolicy(1))
    assert events == ["waiting", "failed"]


def test_a_retry_says_it_waits_before_its_delay(make_sandbox: Any) -> None:
    server = make_sandbox("--prospects", "5")
    server.faults(error_rate=1.0, error_statuses=[503])
    events: list[str] = []

    async def sleep(_seconds: float) -> None:
        events.append("delay")

    async def go(client: OutreachClient) -> None:
        with pytest.raises(e.ServerError):
            await client.read("/callPurposes", waiting=lambda: events.append("waiting"))

    _with(server, go, retry=RetryPolicy(2), sleep=sleep)
    # connected, written, 503; waiting out the delay; written again, 503 again
    assert events == ["waiting", "waiting", "waiting", "delay", "waiting"]
