"""The app's sender, run against a sandbox until a condition holds (for tests of the outbox)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.outreach.retry import read_policy
from dialer_app.core.sync import Backoff, SyncWorker


def drain(
    server: Any,
    outbox: Outbox,
    done: Callable[[], bool],
    *,
    checks: Sequence[float],
    each_change: Callable[[], None] | None = None,
    owner: str = "drain-test",
) -> None:
    """Run a `SyncWorker` (short backoff, look-up window `checks`) against `server` until
    `done()`; `each_change` runs after every change the sender reports. A change that takes more
    than 30 s fails the test."""

    async def go() -> None:
        client = OutreachClient(
            server.base_url, StaticToken(server.token), retry=read_policy(1), timeout=5
        )
        changed = asyncio.Event()
        worker = SyncWorker(
            outbox,
            lambda: client,
            owner=owner,
            backoff=Backoff(0.05, 0.5, 0.01),
            on_change=changed.set,
            checks=checks,
        )
        task = asyncio.create_task(worker.run())
        try:
            while not done():
                await asyncio.wait_for(changed.wait(), timeout=30)
                changed.clear()
                if each_change is not None:
                    each_change()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.aclose()

    asyncio.run(go())
