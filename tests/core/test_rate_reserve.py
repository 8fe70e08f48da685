"""A low request budget goes to the rep's lookups: the outbox waits for the reset."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, RateBudget, RetryPolicy, StaticToken
from dialer_app.core.sync import Backoff, RateReserve, SyncWorker


def test_the_reserve_holds_sending_only_while_the_budget_is_low() -> None:
    reserve = RateReserve(keep=10)
    reset = datetime.fromtimestamp(1_000 + 600, UTC)
    assert reserve.wait(RateBudget(), 1_000) is None  # nothing known yet
    assert reserve.wait(RateBudget(100, 11, reset), 1_000) is None
    assert reserve.wait(RateBudget(100, 10, reset), 1_000) == 600
    past = reset - timedelta(seconds=700)
    assert reserve.wait(RateBudget(100, 0, past), 1_000) is None  # the window has reset


@pytest.mark.slow
def test_lookups_keep_working_while_the_outbox_waits_for_the_reset(
    make_sandbox: Any, tmp_path: Path
) -> None:
    server = make_sandbox("--prospects", "10", "--rate-limit", "30")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    for _ in range(40):
        outbox.enqueue(
            NewCall(
                attributes=CallAttributes(vendorCallId=str(uuid.uuid4())),
                relationships=CallRelationships.link(prospect=2),
            )
        )

    async def go() -> tuple[int, float | None, list[int]]:
        client = OutreachClient(server.base_url, StaticToken(server.token), retry=RetryPolicy(1))
        try:
            worker = SyncWorker(
                outbox,
                lambda: client,
                owner="test",
                backoff=Backoff(0, 0, 0),
                rng=random.Random(1),
                reserve=RateReserve(keep=10),
            )
            while await worker.send_next():
                pass
            sent = outbox.counts().sent
            found = [len(await client.search("a")) for _ in range(5)]
            return sent, worker.saving_budget_for, found
        finally:
            await client.aclose()

    try:
        sent, waiting_for, found = asyncio.run(go())
        counts = outbox.counts()
    finally:
        outbox.close()
    assert sent == 20  # 30 requests an hour, 10 kept back
    assert counts.sent == 20
    assert counts.waiting == 20  # not lost, not parked: waiting for the reset
    assert waiting_for is not None
    assert waiting_for > 3000  # the sandbox's hour has just begun
    assert all(n > 0 for n in found)  # the rep's lookups still answer
