"""`dialer-app sandbox`: run the local Outreach-compatible server on 127.0.0.1.

A bad flag is refused with one line on stderr and exit code 2: every value is checked by its
argparse type (a number in range, a folder that can be written), and the parser prints the
error alone, without the usage that would bury it.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from .dialects import add_dialect_flags, dialect_of
from .faults import ERROR_STATUSES, FaultSettings
from .readlag import check_lag
from .settings import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_MINT_INTERVAL,
    DEFAULT_RATE_LIMIT,
    DEFAULT_TOKEN_TTL,
    REP_USER_ID,
    SandboxSettings,
)
from .store import Store, StoreError

# The static token of the app's own demo sandbox comes in the environment, not on the command
# line (which every local user can read); `--access-token` stays for people running it by hand.
TOKEN_ENV = "DIALER_SANDBOX_ACCESS_TOKEN"
MAX_INT = 2**63 - 1  # what SQLite and the JSON answers can hold


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (`prog: error`) and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def _integer(text: str, low: int, high: int = MAX_INT) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if not low <= value <= high:
        upper = "" if high == MAX_INT else f" to {high}"
        raise argparse.ArgumentTypeError(
            f"must be {low}{upper}{' or more' if not upper else ''}, not {value}"
        )
    return value


def _non_negative(text: str) -> int:
    return _integer(text, 0)


def _positive(text: str) -> int:
    return _integer(text, 1)


def _any_integer(text: str) -> int:
    return _integer(text, -MAX_INT - 1)


def _port(text: str) -> int:
    return _integer(text, 0, 65535)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}") from None
    if not 0 <= value <= 1:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {text}")
    return value


def _data_dir(text: str) -> Path:
    """A folder the sandbox can keep its database in: created if missing, and writable."""
    if not text.strip():
        raise argparse.ArgumentTypeError("needs a folder")
    path = Path(text).expanduser()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{path} is a file, not a folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise argparse.ArgumentTypeError(
            f"cannot write in {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    return path


def _statuses(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        values = ()
    if not values or any(v not in ERROR_STATUSES for v in values):
        choices = ",".join(map(str, ERROR_STATUSES))
        raise argparse.ArgumentTypeError(f"must be a comma-separated list of {choices}")
    return values


def _add_oauth_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("OAuth (/oauth/authorize, /oauth/token)")
    group.add_argument(
        "--client-id",
        default=DEFAULT_CLIENT_ID,
        help=f"the one OAuth client the sandbox knows (default {DEFAULT_CLIENT_ID})",
    )
    group.add_argument(
        "--client-secret",
        default=DEFAULT_CLIENT_SECRET,
        help=f"that client's secret (default {DEFAULT_CLIENT_SECRET})",
    )
    group.add_argument(
        "--auto-approve",
        action="store_true",
        help="GET /oauth/authorize redirects at once with a code, without the consent page",
    )
    group.add_argument(
        "--token-ttl",
        type=_positive,
        default=DEFAULT_TOKEN_TTL,
        metavar="SECONDS",
        help=f"lifetime of OAuth access tokens (default {DEFAULT_TOKEN_TTL}; 1 works)",
    )
    group.add_argument(
        "--mint-interval",
        type=_non_negative,
        default=DEFAULT_MINT_INTERVAL,
        metavar="SECONDS",
        help="at most one token mint per user per this many seconds, else 429 "
        f"(default {DEFAULT_MINT_INTERVAL}; 0: no limit)",
    )


def _add_limit_and_admin_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("limits and the admin API")
    group.add_argument(
        "--rate-limit",
        type=_positive,
        default=DEFAULT_RATE_LIMIT,
        metavar="N",
        help=f"API requests per user per hour before 429 (default {DEFAULT_RATE_LIMIT})",
    )
    group.add_argument(
        "--admin-token",
        metavar="TOKEN",
        help="enable the admin API under /_admin/ (loopback clients with this bearer token); "
        "without it every /_admin/ path is 404",
    )


def _add_fault_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "faults (API requests only; change them at run time with PUT /_admin/faults; "
        "random ones are repeatable under --seed)"
    )
    group.add_argument(
        "--latency-ms",
        type=_non_negative,
        default=0,
        help="add this many milliseconds before answering each request (default 0)",
    )
    group.add_argument(
        "--latency-jitter-ms",
        type=_non_negative,
        default=0,
        help="add a further random 0..N milliseconds to each request (default 0)",
    )
    group.add_argument(
        "--error-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="answer this share (0..1) of requests with a 5xx, unhandled (default 0)",
    )
    group.add_argument(
        "--error-statuses",
        type=_statuses,
        default=(500, 502, 503),
        metavar="LIST",
        help="the statuses --error-rate picks from (default 500,502,503; 504 allowed)",
    )
    group.add_argument(
        "--burst-429",
        type=_non_negative,
        default=0,
        metavar="N",
        help="the first N requests get 429 rateLimitExceeded with X-RateLimit-Reset",
    )
    group.add_argument(
        "--retry-after",
        type=_positive,
        default=1,
        metavar="SECONDS",
        help="Retry-After of injected 429s and of maintenance 503s (default 1)",
    )
    group.add_argument(
        "--hold-ms",
        type=_non_negative,
        default=0,
        help="handle each request at once but hold its answer this long: a POST /calls is "
        "committed before the hold (default 0)",
    )
    group.add_argument(
        "--drop-after-commit",
        type=_non_negative,
        default=0,
        metavar="N",
        help="the next N successful POSTs are committed, then their connection is closed "
        "with no response",
    )
    group.add_argument(
        "--drop-rate",
        type=_share,
        default=0.0,
        metavar="SHARE",
        help="drop this share (0..1) of successful POSTs the same way (default 0)",
    )
    group.add_argument(
        "--maintenance",
        action="store_true",
        help="answer every API request with 503 scheduledServerMaintenance and Retry-After",
    )


def _lag(text: str) -> float:
    try:
        return check_lag(float(text))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_read_lag_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--read-lag",
        type=_lag,
        default=0.0,
        metavar="SECONDS",
        help="a POSTed call shows in reads only this many seconds later, as Outreach's reads "
        "may lag its writes (default 0; PUT /_admin/read-lag changes it at run time)",
    )


def faults_of(args: argparse.Namespace) -> FaultSettings:
    """The fault settings the flags ask for."""
    return FaultSettings(
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        error_rate=args.error_rate,
        error_statuses=args.error_statuses,
        burst_429=args.burst_429,
        retry_after_s=args.retry_after,
        hold_ms=args.hold_ms,
        drop_after_commit=args.drop_after_commit,
        drop_rate=args.drop_rate,
        maintenance=args.maintenance,
    )


def settings_of(args: argparse.Namespace) -> SandboxSettings:
    """The server settings the flags (and `TOKEN_ENV`) ask for."""
    return SandboxSettings(
        tokens=dict.fromkeys(_tokens(args), REP_USER_ID),
        client_id=args.client_id,
        client_secret=args.client_secret,
        auto_approve=args.auto_approve,
        token_ttl=args.token_ttl,
        mint_interval=args.mint_interval,
        rate_limit=args.rate_limit,
        admin_token=args.admin_token or None,
        seed=args.seed,
        read_lag=args.read_lag,
    )


def _tokens(args: argparse.Namespace) -> list[str]:
    from_env = getattr(args, "env_token", "")
    return [*args.access_tokens, *([from_env] if from_env else [])]


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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
        "--exit-with-parent",
        action="store_true",
        help="stop when standard input ends: a parent process holds it open, so the sandbox "
        "goes when its parent goes, even one that was killed",
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host that other machines can reach (the sandbox has no real security)",
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=0,
        help="TCP port (default 0: a free port, announced in the ready line)",
    )
    parser.add_argument(
        "--access-token",
        metavar="TOKEN",
        action="append",
        default=[],
        dest="access_tokens",
        help="a static bearer token for the seeded rep (user 1): every scope, never expires; "
        f"repeat for more tokens (one may also come in ${TOKEN_ENV}, kept off the command line)",
    )
    parser.add_argument(
        "--data",
        metavar="DIR",
        type=_data_dir,
        help="directory of the SQLite database, created if missing and kept across restarts "
        "(seeded only while empty); without it the data lives in memory",
    )
    parser.add_argument(
        "--seed",
        type=_any_integer,
        default=1,
        help="seed of the generated demo data and of random faults: the same seed gives the "
        "same data and the same faults (default 1)",
    )
    parser.add_argument(
        "--prospects",
        type=_positive,
        default=300,
        help="how many prospects to generate into an empty database (default 300; 100000 works)",
    )
    from .demo_day import epoch_arg

    parser.add_argument(
        "--epoch",
        type=epoch_arg,
        default=None,
        metavar="DATETIME",
        help="the instant the demo data is generated around (ISO 8601; default: now, in this "
        "machine's time zone): open call tasks fall due on its day, overdue by one to three days "
        "or later; reopening a database on a later day moves its seeded open tasks forward by "
        "the days that passed. The same --seed, --prospects and --epoch give the same data",
    )
    _add_oauth_flags(parser)
    _add_limit_and_admin_flags(parser)
    _add_fault_flags(parser)
    _add_read_lag_flag(parser)
    add_dialect_flags(parser)
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
    store, summary = open_seeded(args.data, args.prospects, args.seed, args.epoch)
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
    args.env_token = os.environ.pop(TOKEN_ENV, "").strip()  # not handed on to anything else
    if not _is_loopback(args.host) and not args.allow_remote:
        parser.error(
            f"--host {args.host} is not a loopback address; add --allow-remote to allow it"
        )
    if not _tokens(args):
        print(
            "sandbox: no --access-token given: API requests need an OAuth token "
            "(/oauth/authorize), else they get 401",
            file=sys.stderr,
        )

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
        app = create_app(store, settings_of(args), faults_of(args), dialect_of(args))
        return serve(app, sock, exit_with_parent=args.exit_with_parent)
    finally:
        store.close()
