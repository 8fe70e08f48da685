"""A stand-alone sender: drains an outbox to a server with the app's own SyncWorker, then exits.

    python -m tests.reliability.drainer --outbox PATH --base-url URL --token TOKEN [--deadline S]
        [--checks 2,10,30,60] [--oauth-tokens FILE --client-id ID --client-secret SECRET]

Exit 0 when nothing is left to send, 3 when the deadline passed first, 4 when the queue is held
because the sign-in is gone (the rep must sign in again). With `--oauth-tokens` it signs in like
the app: the token set in FILE, refreshed through the server's OAuth token endpoint after a 401.
`--checks` is the look-up window after a POST of unknown fate (the app's own by default).
The fault matrix runs it as a child process so that it can be killed mid-drain like a real app.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from pathlib import Path

from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.secrets import MemoryStore
from dialer_app.core.auth.tokens import OAuthToken, TokenSet
from dialer_app.core.outbox import LEASE_SECONDS, Outbox
from dialer_app.core.outreach.client import OutreachClient, StaticToken, TokenSource
from dialer_app.core.sync import CHECK_WINDOW, Backoff, SyncWorker, sender_id

QUICK_BACKOFF = Backoff(base=0.05, cap=0.5, floor=0.01)


async def drain(
    outbox: Outbox,
    client: OutreachClient,
    deadline: float,
    checks: tuple[float, ...] = CHECK_WINDOW,
) -> int:
    done = asyncio.Event()

    def check() -> None:
        counts = outbox.counts()
        if counts.unsent == 0:
            done.set()

    worker = SyncWorker(
        outbox,
        lambda: client,
        owner=sender_id(),
        backoff=QUICK_BACKOFF,
        on_change=check,
        checks=checks,
    )
    runner = asyncio.create_task(worker.run())
    end = asyncio.get_running_loop().time() + deadline
    try:
        while not done.is_set():  # another sender may empty the outbox: look now and then
            if worker.held is not None:
                print(f"held: {worker.held}", file=sys.stderr, flush=True)
                return 4
            check()
            left = end - asyncio.get_running_loop().time()
            if left <= 0:
                return 3
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), min(left, 0.1))
        return 0
    finally:
        runner.cancel()
        await asyncio.gather(runner, return_exceptions=True)
        await client.aclose()


def token_source(args: argparse.Namespace) -> TokenSource:
    """The one place the drainer decides how it signs in: a static token, or OAuth like the app."""
    if not args.oauth_tokens:
        return StaticToken(args.token)
    tokens = TokenSet.loads(args.oauth_tokens.read_text(encoding="utf-8"))
    profile = Profile("matrix", "Fault matrix", args.base_url, args.client_id).validated()
    secrets = MemoryStore()
    secrets.set(profile.secret_key, args.client_secret)
    return OAuthToken(profile, secrets, tokens, mint_interval=0)


async def _main(outbox: Outbox, args: argparse.Namespace) -> int:
    client = OutreachClient(args.base_url, token_source(args), timeout=args.timeout)
    return await drain(outbox, client, args.deadline, args.checks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="drainer")
    parser.add_argument("--outbox", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--deadline", type=float, default=60.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--lease", type=float, default=LEASE_SECONDS, help="claim lease (s)")
    parser.add_argument(
        "--checks",
        type=lambda text: tuple(float(part) for part in text.split(",")),
        default=CHECK_WINDOW,
        help="seconds after an uncertain POST to look for the call (default: the app's)",
    )
    parser.add_argument("--oauth-tokens", type=Path, help="a signed-in token set (JSON)")
    parser.add_argument("--client-id", default="")
    parser.add_argument("--client-secret", default="")
    args = parser.parse_args(argv)
    outbox = Outbox(args.outbox, lease=args.lease)
    try:
        return asyncio.run(_main(outbox, args))
    finally:
        outbox.close()


if __name__ == "__main__":
    sys.exit(main())
