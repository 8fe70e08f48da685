"""`dialer-app sandbox`: run the local Outreach-compatible server on 127.0.0.1."""

from __future__ import annotations

import argparse
import ipaddress
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .settings import SandboxSettings
from .store import Store, StoreError


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {value}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dialer-app sandbox",
        description=(
            "A local Outreach-compatible API (JSON:API under /api/v2) with deterministic demo "
            "data, for trying the app and for tests. Once it answers it prints one line, "
            "'Sandbox listening on http://HOST:PORT', and serves until SIGTERM or Ctrl+C."
        ),
    )
    parser.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1); only loopback unless --allow-remote",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that other machines can reach (the sandbox has no real security)",
    )
    parser.add_argument(
        "--port",
        type=_non_negative,
        default=0,
        help="TCP port (default 0: a free port, announced in the ready line)",
    )
    parser.add_argument(
        "--access-token",
        metavar="TOKEN",
        action="append",
        default=[],
        dest="access_tokens",
        help="a bearer token accepted for the seeded rep (user 1); repeat for more tokens",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        type=Path,
        help="directory of the SQLite database, created if missing and kept across restarts "
        "(seeded only while empty); without it the data lives in memory",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=1,
        help="seed of the generated demo data: the same seed gives the same data (default 1)",
    )
    parser.add_argument(
        "--prospects",
        type=_positive,
        default=300,
        help="how many prospects to generate into an empty database (default 300; 100000 works)",
    )
    parser.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0,
        help="add this many milliseconds before answering each request (default 0)",
    )
    return parser


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _open_store(args: argparse.Namespace) -> Store:
    from .bootstrap import open_seeded

    started = time.perf_counter()
    store, summary = open_seeded(args.data, args.prospects, args.seed)
    if summary is not None:
        took = time.perf_counter() - started
        print(
            f"sandbox: seeded {summary.prospects:,} prospects (seed {summary.seed}) "
            f"in {took:.1f} s",
            file=sys.stderr,
        )
    return store


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not _is_loopback(args.host) and not args.allow_remote:
        parser.error(
            f"--host {args.host} is not a loopback address; add --allow-remote to allow it"
        )
    if not args.access_tokens:
        print("sandbox: no --access-token given: every API request will get 401", file=sys.stderr)

    from .app import create_app
    from .server import bind, serve

    try:
        sock = bind(args.host, args.port)
    except OSError as exc:
        print(f"sandbox: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        store = _open_store(args)
    except StoreError as exc:
        sock.close()
        print(f"sandbox: {exc}", file=sys.stderr)
        return 1
    try:
        settings = SandboxSettings.for_tokens(args.access_tokens, latency_ms=args.latency_ms)
        return serve(create_app(store, settings), sock)
    finally:
        store.close()
