"""One sender per call: a sender that stalled past its claim's lease never posts what another
sender took back (the two-process proof is the fault matrix's `two_senders`)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path
from typing import Any

import pytest

from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.core.sync import Backoff, SyncWorker
from tests.support.calls import new_call

PROSPECT = 4


def _stored(server: Any, ids: set[str]) -> list[str]:
    with server.client() as api:
        doc = api.get(
            "/calls", params={"filter[prospect][id]": PROSPECT, "page[size]": 1000}
        ).json()
    return [
        c["attributes"]["vendorCallId"]
        for c in doc["data"]
        if c["attributes"]["vendorCallId"] in ids
    ]


@pytest.mark.parametrize("lanes", [1, 2])
def test_a_stalled_sender_leaves_calls_taken_back_to_the_new_owner(
    make_sandbox: Any, tmp_path: Path, lanes: int
) -> None:
    server = make_sandbox("--prospects", "10")
    now = [1_000.0]
    path = tmp_path / "outbox.sqlite3"
    first, second = (Outbox(path, clock=lambda: now[0], lease=30) for _ in range(2))
    calls = lanes + 2  # what the first app sends at once, and two more
    ids = {
        first.enqueue(new_call(PROSPECT, outcome="Answered")).vendor_call_id for _ in range(calls)
    }

    async def go() -> tuple[list[str], list[str]]:
        client = OutreachClient(server.base_url, StaticToken(server.token), retry=RetryPolicy(1))
        try:
            kw: dict[str, Any] = {
                "backoff": Backoff(0, 0, 0),
                "rng": random.Random(1),
                "lanes": lanes,
            }
            await client.read("/calls", {"page[size]": 1})  # the request budget is known
            a = SyncWorker(first, lambda: client, owner="a", clock=lambda: now[0], **kw)
            b = SyncWorker(second, lambda: client, owner="b", clock=lambda: now[0], **kw)
            assert await a.send_next()  # claims them all, sends the first (`lanes` at once)
            now[0] += 60  # the first app stalls (a laptop asleep) past its lease
            assert await b.send_next()  # takes back the other two, looks up and sends one
            # The first app wakes up and carries on with the batch it claimed long ago.
            while await a.send_next():
                pass
            after_a = _stored(server, ids)
            while await b.send_next():
                pass
            return after_a, _stored(server, ids)
        finally:
            await client.aclose()

    try:
        after_first, after_both = asyncio.run(go())
        assert first.counts().sent == calls
    finally:
        first.close()
        second.close()
    assert len(after_first) == lanes + 1  # what each app sent first, none twice
    assert sorted(after_both) == sorted(ids)  # each exactly once
