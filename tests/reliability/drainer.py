"""A stand-alone sender: drains an outbox to a server with the app's own SyncWorker, then exits.

    python -m tests.reliability.drainer --outbox PATH --base-url URL --token TOKEN [--deadline S]

Exit 0 when nothing is left to send, 3 when the deadline passed first. The fault matrix runs it
as a child process so that it can be killed mid-drain like a real app.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.sync import Backoff, SyncWorker, sender_id

QUICK_BACKOFF = Backoff(base=0.05, cap=0.5, floor=0.01)


async def drain(outbox: Outbox, client: OutreachClient, deadline: float) -> int:
    done = asyncio.Event()

    def check() -> None:
        counts = outbox.counts()
        if counts.unsent == 0:
            done.set()

    worker = SyncWorker(
        outbox, lambda: client, owner=sender_id(), backoff=QUICK_BACKOFF, on_change=check
    )
    runner = asyncio.create_task(worker.run())
    check()
    try:
        await asyncio.wait_for(done.wait(), deadline)
        return 0
    except TimeoutError:
        return 3
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await client.aclose()


async def _main(outbox: Outbox, base_url: str, token: str, deadline: float, limit: float) -> int:
    client = OutreachClient(base_url, StaticToken(token), timeout=limit)
    return await drain(outbox, client, deadline)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drainer")
    parser.add_argument("--outbox", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--deadline", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args(argv)
    outbox = Outbox(args.outbox)
    try:
        return asyncio.run(_main(outbox, args.base_url, args.token, args.deadline, args.timeout))
    finally:
        outbox.close()


if __name__ == "__main__":
    sys.exit(main())
