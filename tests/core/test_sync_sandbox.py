"""The sync worker against a real sandbox: in order, exactly once, parked or held as it must."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.core.sync import Backoff, SyncWorker


def _call(n: int, prospect: int = 1) -> NewCall:
    return NewCall(
        attributes=CallAttributes(
            outcome="Not Answered",
            note=f"sync test {n}",
            vendorCallId=f"sync-{n}-{random.random()}",
        ),
        relationships=CallRelationships.link(prospect=prospect),
    )


def _run(make: Callable[[OutreachClient], Awaitable[Any]], base_url: str, token: str) -> Any:
    async def go() -> Any:
        client = OutreachClient(base_url, StaticToken(token), retry=RetryPolicy(attempts=1))
        try:
            return await make(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _worker(outbox: Outbox, client: OutreachClient | None, **kw: Any) -> SyncWorker:
    return SyncWorker(
        outbox,
        lambda: client,
        owner="test",
        backoff=Backoff(base=0, cap=0, floor=0),
        rng=random.Random(1),
        **kw,
    )


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


def _stored(server: Any, prospect: int = 1) -> list[dict[str, Any]]:
    with server.client() as api:
        doc = api.get(
            "/calls", params={"filter[prospect][id]": prospect, "page[size]": 1000}
        ).json()
    return doc["data"]


@pytest.mark.slow
def test_calls_are_delivered_in_order_exactly_once(make_sandbox, outbox: Outbox) -> None:
    server = make_sandbox("--prospects", "20")
    entries = [outbox.enqueue(_call(n, prospect=2)) for n in range(12)]

    async def drain(client: OutreachClient) -> None:
        worker = _worker(outbox, client)
        while await worker.send_next():
            pass

    _run(drain, server.base_url, server.token)
    stored = _stored(server, 2)
    ids = {e.vendor_call_id for e in entries}
    mine = [c for c in stored if c["attributes"]["vendorCallId"] in ids]
    assert len(mine) == 12
    assert [c["attributes"]["vendorCallId"] for c in sorted(mine, key=lambda c: c["id"])] == [
        e.vendor_call_id for e in entries
    ]
    assert outbox.counts().sent == 12
    assert {outbox.get(e.id).outreach_id for e in entries} == {c["id"] for c in mine}


@pytest.mark.slow
def test_a_call_of_unknown_fate_is_looked_up_not_resent(make_sandbox, outbox: Outbox) -> None:
    server = make_sandbox("--prospects", "20")
    entry = outbox.enqueue(_call(1, prospect=3))
    # The POST reached Outreach, then the app lost the answer (timeout, dropped connection).
    created = _run(lambda c: c.create_call(entry.call), server.base_url, server.token)
    claimed = outbox.claim_next("test")
    assert claimed is not None
    outbox.mark_retry(claimed.id, delay=0, error="timed out", uncertain=True)

    async def drain(client: OutreachClient) -> bool:
        return await _worker(outbox, client).send_next()

    assert _run(drain, server.base_url, server.token)
    assert outbox.get(entry.id).outreach_id == created.id
    matching = [
        c for c in _stored(server, 3) if c["attributes"]["vendorCallId"] == entry.vendor_call_id
    ]
    assert len(matching) == 1


@pytest.mark.slow
def test_a_refused_call_is_parked_with_outreach_s_messages(make_sandbox, outbox: Outbox) -> None:
    server = make_sandbox("--prospects", "20")
    entry = outbox.enqueue(_call(1, prospect=999_999))  # no such prospect in this org
    parked: list[Any] = []

    async def drain(client: OutreachClient) -> bool:
        return await _worker(outbox, client, on_parked=parked.append).send_next()

    _run(drain, server.base_url, server.token)
    got = outbox.get(entry.id)
    assert got.state == "attention"
    assert [f.field for f in got.field_errors] == ["prospect"]
    assert parked[0].id == entry.id


def test_a_rejected_sign_in_holds_the_queue(make_sandbox, outbox: Outbox) -> None:
    server = make_sandbox("--prospects", "20")
    for n in range(3):
        outbox.enqueue(_call(n))

    async def drain(client: OutreachClient) -> SyncWorker:
        worker = _worker(outbox, client)
        while await worker.send_next():
            pass
        return worker

    worker = _run(drain, server.base_url, "not-a-valid-token")
    assert worker.held is not None
    assert "Sign in again" in worker.held
    assert outbox.counts().waiting == 3  # nothing lost, nothing parked
    assert outbox.counts().attention == 0


@pytest.mark.slow
def test_a_server_that_is_down_is_retried_until_it_is_back(make_sandbox, outbox: Outbox) -> None:
    server = make_sandbox("--prospects", "20")
    base_url, token = server.base_url, server.token
    entry = outbox.enqueue(_call(1, prospect=4))
    server.stop()

    async def attempt(client: OutreachClient) -> bool:
        return await _worker(outbox, client).send_next()

    _run(attempt, base_url, token)
    waiting = outbox.get(entry.id)
    assert waiting.state == "waiting"
    assert not waiting.uncertain  # a refused connection never sent anything
    assert "Cannot reach Outreach" in waiting.last_error
    server.restart()
    _run(attempt, server.base_url, server.token)
    assert outbox.get(entry.id).state == "sent"
