"""Hostile answers, generated: the strategies and the checks of the client and sender fuzz.

An answer is drawn as status × `Retry-After` × rate-limit headers × body shape × size ×
encoding × `links.next` × drip; a server personality is a few of them, served in turn. Two
runs use them:

- `client_example`: one client operation against the personality; it must end as data or an
  error of the tree, within bounded requests, the token never leaving the API origin;
- `worker_example`: the sender draining three calls for ten minutes of injected time; it must
  never raise, keep every call (waiting, sent or parked, every wait finite and within the
  ceiling), ask a failing server at most so many times a minute, and send everything once the
  server is healthy again.

`python -m tests.support.hostile_fuzz [--examples N]` runs both and prints the figures: inputs
tried and how each ended, the most requests in any minute against a failing server, and the
process's peak memory growth.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import math
import random
import resource
import ssl
import tempfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from hypothesis import strategies as st

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.outreach.guard import Limits
from dialer_app.core.outreach.headers import RETRY_CEILING
from dialer_app.core.outreach.retry import read_policy
from dialer_app.core.sync import Backoff, SyncWorker
from tests.support.hostile import HostileServer, Reply, Seen, gzip_bomb, nested

TOKEN = "fuzz-token-7f3a"
SUCCESS = (200, 201, 204, 299)
FAILING_STATUSES = (408, 429, 500, 502, 503, 504, 599)
STATUSES = (*SUCCESS, 301, 302, 400, 401, 403, 404, 409, 415, 422, *FAILING_STATUSES, 999)
SHAPES = (
    "call",
    "found",
    "empty_list",
    "user",
    "errors",
    "garbage",
    "deep",
    "nan_id",
    "nan_literal",
    "not_object",
    "empty",
    "bomb",
    "huge",
    "bad_linkage",
)
UNREADABLE = (
    "garbage",
    "deep",
    "nan_id",
    "nan_literal",
    "not_object",
    "bomb",
    "huge",
    "bad_linkage",
)
NEXTS = (None, "self", "other_origin", "loop", "endless", "scheme", "not_a_url", "relative")
ENCODINGS = ("identity", "gzip", "deflate", "gzip, gzip", "br", "bogus")
DEADLINE = 0.3
MAX_BODY = 2 * 1024 * 1024
CALLS = 3
MINUTE_LIMIT = 8  # requests in any minute a failing server may see from the sender
# The outboxes of the fuzz live in memory where the machine allows: what is tested is the
# sender, and a disk's fsync per write would make each input take a second.
SCRATCH = "/dev/shm" if Path("/dev/shm").is_dir() else None


def _numbers(*extra: str) -> st.SearchStrategy[str | None]:
    return st.one_of(
        st.none(),
        st.sampled_from(
            ("0", "-5", "nan", "NaN", "inf", "-inf", "1e12", "1e400", "", "soon", *extra)
        ),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(min_value=-(10**15), max_value=10**15).map(str),
    )


@dataclass(frozen=True)
class Spec:
    """One hostile answer, before it is built for a request."""

    status: int
    retry_after: str | None
    reset: str | None
    remaining: str | None
    shape: str
    pad: int  # extra bytes of body
    encoding: str
    next: str | None
    drip: bool
    cut: bool


def specs(
    statuses: tuple[int, ...] = STATUSES, shapes: tuple[str, ...] = SHAPES
) -> st.SearchStrategy[Spec]:
    return st.builds(
        Spec,
        status=st.sampled_from(statuses),
        retry_after=_numbers(
            "Wed, 21 Oct 2015 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 99 Foo"
        ),
        reset=_numbers("1900000030", "1900000000, 5"),
        remaining=st.one_of(_numbers("9999, 19988", "x, 3", "5"), st.just("50")),
        shape=st.sampled_from(shapes),
        pad=st.sampled_from((0, 0, 10, 70_000)),
        encoding=st.sampled_from(ENCODINGS),
        next=st.sampled_from(NEXTS),
        drip=st.sampled_from((False, False, False, False, False, True)),
        cut=st.sampled_from((False, False, False, True)),
    )


def personalities(
    statuses: tuple[int, ...] = STATUSES, shapes: tuple[str, ...] = SHAPES
) -> st.SearchStrategy[list[Spec]]:
    return st.lists(specs(statuses, shapes), min_size=1, max_size=5)


_BOMB: list[bytes] = []
_TLS: list[ssl.SSLContext] = []


def _network() -> httpx.AsyncHTTPTransport:
    """A transport sharing one TLS context (loading the CA store takes 80 ms a client)."""
    if not _TLS:
        _TLS.append(ssl.create_default_context())
    return httpx.AsyncHTTPTransport(verify=_TLS[0])


def _bomb() -> bytes:
    if not _BOMB:
        _BOMB.append(gzip_bomb(64))
    return _BOMB[0]


def _call_resource(rid: int, vendor_id: str) -> dict[str, Any]:
    return {"type": "call", "id": rid, "attributes": {"vendorCallId": vendor_id}}


def _body(
    spec: Spec, seen: Seen, vendor_ids: list[str], api: HostileServer, other: HostileServer
) -> bytes:
    links: dict[str, str] = {}
    nxt = spec.next
    if nxt == "self":
        links["next"] = api.url(seen.target)
    elif nxt == "other_origin":
        links["next"] = other.url("/api/v2/calls?page=2")
    elif nxt == "loop":
        links["next"] = api.url(
            "/api/v2/calls?page%5Bafter%5D=" + ("b" if "=a" in seen.target else "a")
        )
    elif nxt == "endless":
        links["next"] = api.url(f"/api/v2/calls?n={len(api.seen())}")
    elif nxt == "scheme":
        links["next"] = f"https://127.0.0.1:{api.port}/api/v2/calls"
    elif nxt == "not_a_url":
        links["next"] = "http://[::1"
    elif nxt == "relative":
        links["next"] = "calls?page%5Bafter%5D=r"
    shape = spec.shape
    doc: Any
    if shape == "call":
        doc = {"data": _call_resource(7, vendor_ids[0] if vendor_ids else "x")}
    elif shape == "found":
        doc = {"data": [_call_resource(10 + i, v) for i, v in enumerate(vendor_ids)]}
    elif shape == "empty_list":
        doc = {"data": []}
    elif shape == "user":
        doc = {"meta": {"user": {"id": 1, "email": "a@b.c"}}, "data": []}
    elif shape == "errors":
        doc = {
            "errors": [
                {"id": "x", "detail": "d" * 500, "source": {"pointer": "/data/attributes/note"}}
            ]
        }
    elif shape == "garbage":
        return b"<html>maintenance</html>"
    elif shape == "deep":
        return nested(50_000)
    elif shape == "nan_id":
        doc = {"data": [{"type": "call", "id": "NaN"}]}
    elif shape == "nan_literal":
        return b'{"data": NaN}'
    elif shape == "not_object":
        return b"[1, 2, 3]"
    elif shape == "empty":
        return b""
    elif shape == "bomb":
        return _bomb()
    elif shape == "huge":
        doc = {"data": [], "meta": {"pad": "x" * (MAX_BODY + 10)}}
    else:  # bad_linkage
        doc = {
            "data": [
                {
                    "type": "phoneNumber",
                    "id": 1,
                    "relationships": {"prospect": {"data": {"type": "prospect", "id": "NaN"}}},
                }
            ]
        }
    if links and isinstance(doc, dict):
        doc["links"] = links
    if spec.pad and isinstance(doc, dict):
        doc.setdefault("meta", {})["pad"] = "p" * spec.pad
    return json.dumps(doc).encode()


def build(
    spec: Spec, seen: Seen, vendor_ids: list[str], api: HostileServer, other: HostileServer
) -> Reply:
    """The reply `spec` describes, for the request `seen`."""
    body = _body(spec, seen, vendor_ids, api, other)
    headers: list[tuple[str, str]] = [("Content-Type", "application/vnd.api+json")]
    for name, value in (
        ("Retry-After", spec.retry_after),
        ("X-RateLimit-Reset", spec.reset),
        ("X-RateLimit-Remaining", spec.remaining),
        ("X-RateLimit-Limit", "10000"),
    ):
        if value is not None:
            headers.append((name, value.replace("\r", " ").replace("\n", " ")))
    if spec.shape != "bomb":
        if spec.encoding == "gzip":
            body = gzip.compress(body)
        elif spec.encoding == "deflate":
            body = zlib.compress(body)
        elif spec.encoding == "gzip, gzip":
            body = gzip.compress(gzip.compress(body))
    if spec.encoding != "identity" or spec.shape == "bomb":
        headers.append(("Content-Encoding", "gzip" if spec.shape == "bomb" else spec.encoding))
    if spec.status in (301, 302):
        headers.append(("Location", other.url("/api/v2/calls")))
    drip = DEADLINE / 4 if spec.drip and len(body) > 8 else 0.0
    return Reply(
        spec.status,
        headers,
        body[:64] if drip else body,
        drip=drip,
        chunked=spec.pad == 10,
        cut=len(body) // 2 if spec.cut and len(body) > 4 else None,
    )


@dataclass
class Figures:
    """What the fuzz saw, for the closing figures."""

    client_inputs: int = 0
    worker_inputs: int = 0
    answers_served: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    worst_per_minute_failing: int = 0
    most_requests_one_operation: int = 0
    token_leaks: int = 0
    rss_start_mib: float = field(
        default_factory=lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )

    @property
    def rss_growth_mib(self) -> float:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - self.rss_start_mib


class Servers:
    """The API's hostile server and another origin, for a whole fuzz run."""

    def __init__(self) -> None:
        self.api = HostileServer()
        self.other = HostileServer(Reply(200, [], b'{"data": []}'))

    def __enter__(self) -> Servers:
        self.api.__enter__()
        self.other.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.other.__exit__(None, None, None)
        self.api.__exit__(None, None, None)

    def serve(self, personality: list[Spec], vendor_ids: list[str]) -> None:
        self.api.requests.clear()
        self.other.requests.clear()
        turn = [0]

        def answer(seen: Seen) -> Reply:
            spec = personality[turn[0] % len(personality)]
            turn[0] += 1
            return build(spec, seen, vendor_ids, self.api, self.other)

        self.api.answer = answer

    def leaked(self) -> int:
        """Requests that reached another origin carrying the token (must stay 0)."""
        return sum(1 for s in self.other.seen() if TOKEN in s.headers.get("authorization", ""))


OPERATIONS: dict[str, Callable[[OutreachClient], Any]] = {
    "current_user": lambda c: c.current_user(),
    "dispositions": lambda c: c.dispositions(),
    "search_email": lambda c: c.search("jane@acme.test"),
    "search_phone": lambda c: c.search("(415) 555-0123"),
    "create_call": lambda c: c.create_call(NewCall(attributes=CallAttributes(vendorCallId="v-1"))),
    "post_call": lambda c: c.post_call(NewCall(attributes=CallAttributes(vendorCallId="v-1"))),
    "find_call": lambda c: c.find_call("v-1", 5),
    "prospect": lambda c: c.prospect(5),
}


def client_example(
    servers: Servers, personality: list[Spec], operation: str, figures: Figures
) -> None:
    """One operation against the personality: data or an error of the tree, bounded."""
    servers.serve(personality, ["v-1"])
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async def go() -> str:
        client = OutreachClient(
            servers.api.url("/api/v2"),
            StaticToken(TOKEN),
            transport=_network(),
            timeout=DEADLINE,
            limits=Limits(max_body=MAX_BODY, max_pages=20),
            retry=read_policy(rng=random.Random(1)),
            sleep=sleep,
        )
        try:
            await OPERATIONS[operation](client)
            return "data"
        except e.OutreachError as err:
            return type(err).__name__
        finally:
            await client.aclose()

    outcome = asyncio.run(go())
    requests = len(servers.api.seen())
    figures.client_inputs += 1
    figures.answers_served += requests
    figures.outcomes[f"client {outcome}"] += 1
    figures.most_requests_one_operation = max(figures.most_requests_one_operation, requests)
    figures.token_leaks += servers.leaked()
    assert requests <= 3 * 20, f"{operation}: {requests} requests"
    assert all(0 <= w <= 16 and math.isfinite(w) for w in waits), waits
    assert servers.leaked() == 0


class Clocks:
    def __init__(self) -> None:
        self.wall = 1_900_000_000.0
        self.mono = 10_000.0


def worker_example(servers: Servers, personality: list[Spec], figures: Figures) -> None:
    """The sender against the personality for ten minutes of injected time, then healthy."""
    clocks = Clocks()
    with tempfile.TemporaryDirectory(prefix="hostile-fuzz-", dir=SCRATCH) as tmp:
        outbox = Outbox(
            Path(tmp) / "outbox.sqlite3", clock=lambda: clocks.wall, monotonic=lambda: clocks.mono
        )
        try:
            vendor_ids = [
                outbox.enqueue(
                    NewCall(
                        attributes=CallAttributes(
                            vendorCallId=f"fz-{n}-{random.random()}", note="n"
                        ),
                        relationships=CallRelationships.link(prospect=5),
                    )
                ).vendor_call_id
                for n in range(CALLS)
            ]
            servers.serve(personality, vendor_ids)
            times: list[float] = []
            sends: list[float] = []
            asyncio.run(_drain(servers, outbox, clocks, times, sends))
            rows = outbox.entries(limit=10)
            assert len(rows) == CALLS, "a call was lost"
            for row in rows:
                assert row.state in ("waiting", "sent", "attention"), row.state
                assert math.isfinite(row.next_attempt_at)
            due = outbox.next_due_in()
            assert due is None or 0 <= due <= RETRY_CEILING
            failing = all(  # never a usable answer: only failures the sender retries
                s.status in FAILING_STATUSES
                or (
                    s.status in SUCCESS
                    and (s.shape in UNREADABLE or (s.cut and s.shape != "empty"))
                )
                for s in personality
            )
            per_minute = max((sum(1 for u in times if t <= u < t + 60) for t in times), default=0)
            if failing:
                figures.worst_per_minute_failing = max(figures.worst_per_minute_failing, per_minute)
                assert per_minute <= MINUTE_LIMIT, f"{per_minute} requests in a minute"
            # Only progress buys more requests: within any minute, at most MINUTE_LIMIT for
            # each call delivered or parked in it, and one more.
            for t in times:
                asked = sum(1 for u in times if t <= u < t + 60)
                settled = sum(1 for u in sends if t <= u < t + 60)
                assert asked <= MINUTE_LIMIT * (1 + settled), f"{asked} requests, {settled} settled"
            figures.worker_inputs += 1
            figures.answers_served += len(times)
            figures.token_leaks += servers.leaked()
            assert servers.leaked() == 0
            states = Counter(r.state for r in rows)
            figures.outcomes[
                "worker " + ",".join(f"{k}={v}" for k, v in sorted(states.items()))
            ] += 1
            # Alive afterwards: once the server is healthy, every waiting call goes, once.
            asyncio.run(_healthy(servers, outbox, clocks))
            after = outbox.entries(limit=10)
            assert all(r.state in ("sent", "attention") for r in after), [r.state for r in after]
        finally:
            outbox.close()


async def _drain(
    servers: Servers, outbox: Outbox, clocks: Clocks, times: list[float], sends: list[float]
) -> None:
    client = OutreachClient(
        servers.api.url("/api/v2"),
        StaticToken(TOKEN),
        transport=_network(),
        timeout=DEADLINE,
        limits=Limits(max_body=MAX_BODY, max_pages=20),
        clock=lambda: clocks.wall,
    )

    worker = SyncWorker(
        outbox,
        lambda: client,
        owner="fuzz",
        on_sent=lambda entry, outreach_id: sends.append(clocks.mono),
        on_parked=lambda entry: sends.append(clocks.mono),
        rng=random.Random(3),
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
    )
    end = clocks.mono + 600
    try:
        for _ in range(400):
            before = len(servers.api.seen())
            wait = await worker.step()
            times.extend([clocks.mono] * (len(servers.api.seen()) - before))
            if wait is None or clocks.mono >= end:
                break
            step = max(wait, 0.001)
            clocks.wall += step
            clocks.mono += step
    finally:
        await client.aclose()


async def _healthy(servers: Servers, outbox: Outbox, clocks: Clocks) -> None:
    stored: dict[str, int] = {}

    def answer(seen: Seen) -> Reply:
        if seen.method == "POST":
            vendor = json.loads(seen.body)["data"]["attributes"]["vendorCallId"]
            stored.setdefault(vendor, 500 + len(stored))
            doc: dict[str, Any] = {"data": _call_resource(stored[vendor], vendor)}
            return Reply(201, [], json.dumps(doc).encode())
        data = [_call_resource(rid, v) for v, rid in stored.items()]
        return Reply(200, [], json.dumps({"data": data}).encode())

    servers.api.answer = answer
    client = OutreachClient(
        servers.api.url("/api/v2"),
        StaticToken(TOKEN),
        transport=_network(),
        timeout=2.0,
        clock=lambda: clocks.wall,
    )
    worker = SyncWorker(
        outbox,
        lambda: client,
        owner="fuzz-2",
        backoff=Backoff(0, 0, 0),
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
    )
    outbox.retry_now()
    try:
        for _ in range(60):
            wait = await worker.step()
            if wait is None:
                break
            clocks.wall += max(wait, 0.001)
            clocks.mono += max(wait, 0.001)
    finally:
        await client.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hostile_fuzz", description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=300, help="inputs for each of the two runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    from hypothesis import HealthCheck, given, settings

    figures = Figures()
    config = settings(
        max_examples=args.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=args.seed == 0,
    )
    with Servers() as servers:

        @config
        @given(personality=personalities(), operation=st.sampled_from(sorted(OPERATIONS)))
        def clients(personality: list[Spec], operation: str) -> None:
            client_example(servers, personality, operation, figures)

        @config
        @given(personality=personalities())
        def workers(personality: list[Spec]) -> None:
            worker_example(servers, personality, figures)

        @config
        @given(personality=personalities(FAILING_STATUSES, SHAPES))
        def failing(personality: list[Spec]) -> None:
            worker_example(servers, personality, figures)

        clients()
        workers()
        failing()
    print(
        f"client inputs tried: {figures.client_inputs}, all handled (data or an error of the tree)"
    )
    print(f"sender inputs tried: {figures.worker_inputs}, the sender alive after each")
    print(f"answers served: {figures.answers_served}")
    print(f"token leaks to another origin: {figures.token_leaks}")
    print(f"most requests for one client operation: {figures.most_requests_one_operation}")
    print(
        f"worst requests in any minute against a failing server: {figures.worst_per_minute_failing}"
    )
    print(f"peak RSS growth: {figures.rss_growth_mib:.0f} MiB")
    for outcome, n in sorted(figures.outcomes.items()):
        print(f"  {n:5d}  {outcome}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
