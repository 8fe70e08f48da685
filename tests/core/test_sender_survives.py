"""The sender cannot die: supervised, poison rows set aside, waits clamped and measured on a
monotonic clock that wall-clock jumps and restarts do not fool.

Clocks are injected (wall and monotonic apart); a fake transport plays Outreach where the test
is about the sender's own rules. The read-lag look-ups against the real sandbox are in
`test_read_lag.py`; the hostile fuzz in `test_hostile_fuzz.py`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.outreach.headers import RETRY_CEILING
from dialer_app.core.outreach.retry import NO_RETRY
from dialer_app.core.sync import Backoff, SyncWorker

BASE = "https://api.example.test/api/v2"
Handler = Callable[[httpx.Request], httpx.Response]


class Clocks:
    """Wall and monotonic time, moved by the test; the wall clock can jump alone."""

    def __init__(self) -> None:
        self.wall = 1_900_000_000.0
        self.mono = 5_000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


class Outreach:
    """A fake Outreach for the sender: stores POSTed calls, answers look-ups, can be told to
    fail. `posts` counts POST /calls, `requests` every request."""

    def __init__(self, clocks: Clocks | None = None) -> None:
        self.stored: list[dict[str, Any]] = []
        self.requests = 0
        self.posts = 0
        self.fail: Callable[[httpx.Request], httpx.Response | None] = lambda request: None
        self.clocks = clocks
        self.times: list[float] = []

    def most_in_a_minute(self) -> int:
        """The most requests within any 60 s of monotonic time."""
        return max((sum(1 for u in self.times if t <= u < t + 60) for t in self.times), default=0)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.clocks is not None:
            self.times.append(self.clocks.mono)
        failure = self.fail(request)
        if failure is not None:
            return failure
        if request.method == "POST":
            self.posts += 1
            attrs = json.loads(request.content)["data"]["attributes"]
            call = {"type": "call", "id": 100 + len(self.stored), "attributes": attrs}
            self.stored.append(call)
            return httpx.Response(201, json={"data": call})
        return httpx.Response(200, json={"data": self.stored[::-1]})


def _call(n: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(outcome="Answered", vendorCallId=f"vid-{n}-{random.random()}"),
        relationships=CallRelationships.link(prospect=5),
    )


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


@pytest.fixture
def outbox(tmp_path: Path, clocks: Clocks) -> Outbox:
    box = Outbox(
        tmp_path / "outbox.sqlite3", clock=lambda: clocks.wall, monotonic=lambda: clocks.mono
    )
    yield box
    box.close()


def _client(handler: Handler, clocks: Clocks) -> OutreachClient:
    return OutreachClient(
        BASE,
        StaticToken("t"),
        transport=httpx.MockTransport(handler),
        retry=NO_RETRY,
        clock=lambda: clocks.wall,
    )


def _worker(outbox: Outbox, client: OutreachClient, clocks: Clocks, **kw: Any) -> SyncWorker:
    kw.setdefault("backoff", Backoff(base=1, cap=300, floor=0.2))
    return SyncWorker(
        outbox,
        lambda: client,
        owner="me",
        rng=random.Random(7),
        clock=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
        crash_pause=0.001,
        **kw,
    )


async def _drive(worker: SyncWorker, clocks: Clocks, seconds: float, steps: int = 500) -> None:
    """Let the worker run for `seconds` of injected time, moving the clocks to each wake-up."""
    end = clocks.mono + seconds
    for _ in range(steps):
        wait = await worker.step()
        if wait is None or clocks.mono >= end:
            return
        clocks.advance(max(wait, 0.001))


def _run_until(
    make: Callable[[Callable[[], None]], SyncWorker], done: Callable[[], bool], client: Any
) -> SyncWorker:
    """Run the supervised worker `make(on_change)` gives (real time) until `done()` holds,
    looking each time it reports a change; fail if it ends or 10 s pass without a change."""

    async def go() -> SyncWorker:
        changed = asyncio.Event()
        worker = make(changed.set)
        task = asyncio.create_task(worker.run())
        try:
            while not done():
                if task.done():
                    raise AssertionError(f"the sender ended: {task.exception()!r}")
                await asyncio.wait_for(changed.wait(), timeout=10)
                changed.clear()
            return worker
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.aclose()

    return asyncio.run(go())


# -- supervision ----------------------------------------------------------------------------


class Crashing(OutreachClient):
    """A client whose `post_call` raises what no client should, for the calls it is told."""

    def __init__(self, *args: Any, crash: Callable[[NewCall], bool], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.crash = crash
        self.crashed = 0

    async def post_call(self, call: NewCall) -> Any:
        if self.crash(call):
            self.crashed += 1
            raise RuntimeError("a bug in the sender")
        return await super().post_call(call)


def test_an_unexpected_error_restarts_the_sender_and_says_so(
    outbox: Outbox, clocks: Clocks, caplog: pytest.LogCaptureFixture
) -> None:
    outreach = Outreach()
    crashes = iter([True])
    client = Crashing(
        BASE,
        StaticToken("t"),
        transport=httpx.MockTransport(outreach),
        retry=NO_RETRY,
        crash=lambda call: next(crashes, False),
    )
    entry = outbox.enqueue(_call(1))
    problems: list[str] = []

    def make(on_change: Callable[[], None]) -> SyncWorker:
        return SyncWorker(
            outbox,
            lambda: client,
            owner="me",
            on_problem=problems.append,
            on_change=on_change,
            crash_pause=0.001,
            checks=(0.01, 0.02),
        )

    with caplog.at_level(logging.INFO):
        worker = _run_until(make, lambda: outbox.get(entry.id).state == "sent", client)
    assert worker.crashes == 1
    assert problems[0].startswith("Sending stopped on an unexpected error (RuntimeError)")
    assert problems[-1] == ""  # running cleanly again
    assert "a bug in the sender" in caplog.text  # the traceback is in the log
    assert outreach.posts == 1  # the crash came before the POST: looked up, then sent once


def test_a_call_that_always_crashes_the_sender_is_set_aside_and_the_rest_go(
    outbox: Outbox, clocks: Clocks
) -> None:
    outreach = Outreach()
    client = Crashing(
        BASE,
        StaticToken("t"),
        transport=httpx.MockTransport(outreach),
        retry=NO_RETRY,
        crash=lambda call: (call.attributes.note or "") == "poison",
    )
    poison = outbox.enqueue(
        NewCall(attributes=CallAttributes(note="poison", vendorCallId="poison-1"))
    )
    good = [outbox.enqueue(_call(n)) for n in range(2)]
    parked: list[Any] = []

    def make(on_change: Callable[[], None]) -> SyncWorker:
        return SyncWorker(
            outbox,
            lambda: client,
            owner="me",
            on_parked=parked.append,
            on_change=on_change,
            crash_pause=0.001,
            checks=(0.01, 0.02),
        )

    worker = _run_until(make, lambda: all(outbox.get(g.id).state == "sent" for g in good), client)
    set_aside = outbox.get(poison.id)
    assert set_aside.state == "attention"
    assert "failed 3 times" in set_aside.last_error
    assert set_aside.uncertain  # it may have been posted: a resend looks first
    assert client.crashed == 3
    assert [p.id for p in parked] == [poison.id]
    assert "set aside" in worker.problem or worker.problem == ""


def test_a_damaged_row_is_parked_and_never_blocks_the_calls_behind_it(
    outbox: Outbox, clocks: Clocks
) -> None:
    entries = [outbox.enqueue(_call(n)) for n in range(4)]
    db = outbox._db
    db.execute("UPDATE operations SET body='{not json' WHERE id=?", (entries[0].id,))
    db.execute("UPDATE operations SET body='{\"data\": 5}' WHERE id=?", (entries[2].id,))
    db.execute(
        "UPDATE operations SET field_errors='oops', created_at='never' WHERE id=?", (entries[3].id,)
    )
    outreach = Outreach()
    client = _client(outreach, clocks)
    listed = outbox.entries()  # the outbox view can still list every row
    assert {e.damaged != "" for e in listed} == {True, False}

    async def go() -> None:
        try:
            await _drive(_worker(outbox, client, clocks), clocks, 60)
        finally:
            await client.aclose()

    asyncio.run(go())
    states = [outbox.get(e.id).state for e in entries]
    assert states == ["attention", "sent", "attention", "sent"]
    assert "damaged" in outbox.get(entries[0].id).last_error
    assert outreach.posts == 2


def test_a_listener_that_fails_never_stops_the_sender(outbox: Outbox, clocks: Clocks) -> None:
    outreach = Outreach()
    client = _client(outreach, clocks)
    entry = outbox.enqueue(_call(1))

    def make(on_change: Callable[[], None]) -> SyncWorker:
        def broken() -> None:
            on_change()
            raise ValueError("a widget went away")

        return SyncWorker(outbox, lambda: client, owner="me", on_change=broken, on_sent=broken)

    worker = _run_until(make, lambda: outbox.get(entry.id).state == "sent", client)
    assert worker.crashes == 0


def test_an_outbox_that_cannot_be_written_pauses_sending_and_says_so(
    outbox: Outbox, clocks: Clocks
) -> None:
    outreach = Outreach()
    client = _client(outreach, clocks)
    entry = outbox.enqueue(_call(1))
    outbox._db.execute("PRAGMA query_only = 1")
    problems: list[str] = []
    made: list[SyncWorker] = []

    def make(on_change: Callable[[], None]) -> SyncWorker:
        made.append(
            SyncWorker(
                outbox,
                lambda: client,
                owner="me",
                on_problem=problems.append,
                on_change=on_change,
                crash_pause=0.001,
            )
        )
        return made[0]

    def fixed_after_a_crash() -> bool:
        if made and made[0].crashes and outbox._db.execute("PRAGMA query_only").fetchone()[0]:
            outbox._db.execute("PRAGMA query_only = 0")  # the rep frees the disk
            made[0].wake()
        return outbox.get(entry.id).state == "sent"

    _run_until(make, fixed_after_a_crash, client)
    assert problems[0].startswith("Sending is paused: ")
    assert "read-only" in problems[0]
    assert problems[-1] == ""


# -- waits: clamped, monotonic, surviving jumps and restarts --------------------------------


def _failing_once(
    status: int, headers: dict[str, str]
) -> Callable[[httpx.Request], httpx.Response | None]:
    left = [1]

    def fail(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and left[0]:
            left[0] -= 1
            return httpx.Response(status, headers=headers)
        return None

    return fail


def test_a_wall_clock_set_back_an_hour_does_not_hold_a_waiting_call(
    outbox: Outbox, clocks: Clocks, tmp_path: Path
) -> None:
    outreach = Outreach()
    outreach.fail = _failing_once(503, {"Retry-After": "5"})
    client = _client(outreach, clocks)
    entry = outbox.enqueue(_call(1))

    async def go() -> None:
        worker = _worker(outbox, client, clocks, backoff=Backoff(0, 0, 0))
        try:
            assert await worker.step() == pytest.approx(5)
            clocks.wall -= 3600  # NTP, a laptop's sleep: the wall clock jumps back an hour
            assert outbox.next_due_in() == pytest.approx(5)
            # After a restart (no memory of the monotonic due time) it still waits at most 5 s.
            again = Outbox(
                tmp_path / "outbox.sqlite3",
                clock=lambda: clocks.wall,
                monotonic=lambda: clocks.mono,
            )
            assert again.next_due_in() == pytest.approx(5)
            clocks.advance(5)
            assert again.next_due_in() == 0
            again.close()
            await worker.step()
        finally:
            await client.aclose()

    asyncio.run(go())
    assert outbox.get(entry.id).state == "sent"


def test_a_wall_clock_jumping_ahead_does_not_send_early(outbox: Outbox, clocks: Clocks) -> None:
    outbox.enqueue(_call(1))
    claimed = outbox.claim_next("me")
    assert claimed is not None
    outbox.mark_retry(claimed.id, delay=60, error="x")
    clocks.wall += 3600
    assert outbox.next_due_in() == pytest.approx(60)
    assert outbox.claim_next("me") is None
    clocks.mono += 60
    assert outbox.claim_next("me") is not None


def test_a_stored_wait_beyond_the_ceiling_is_clamped_on_restart(
    outbox: Outbox, clocks: Clocks, tmp_path: Path
) -> None:
    entries = [outbox.enqueue(_call(n)) for n in range(2)]
    outbox._db.execute(  # as an older build (or a bad Retry-After) left it: 1e12 s away
        "UPDATE operations SET next_attempt_at=?, retry_wait=NULL WHERE id=?",
        (clocks.wall + 1e12, entries[0].id),
    )
    again = Outbox(
        tmp_path / "outbox.sqlite3", clock=lambda: clocks.wall, monotonic=lambda: clocks.mono
    )
    try:
        assert again.next_due_in() == RETRY_CEILING
        clocks.advance(RETRY_CEILING)
        assert [e.id for e in again.claim_batch("me", 5)] == [e.id for e in entries]
    finally:
        again.close()


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"Retry-After": "1e12"},
        {"X-RateLimit-Reset": "nan"},
        {"X-RateLimit-Reset": "99999999999999"},
        {"X-RateLimit-Reset": "-5", "Retry-After": "-5"},
    ],
)
@pytest.mark.parametrize("status", [429, 503])
def test_no_header_makes_a_wait_endless_or_nan(
    outbox: Outbox, clocks: Clocks, status: int, headers: dict[str, str]
) -> None:
    outreach = Outreach()
    outreach.fail = _failing_once(status, headers)
    client = _client(outreach, clocks)
    entry = outbox.enqueue(_call(1))

    async def go() -> float | None:
        try:
            return await _worker(outbox, client, clocks).step()
        finally:
            await client.aclose()

    wait = asyncio.run(go())
    row = outbox.get(entry.id)
    assert row.state == "waiting"
    assert math.isfinite(row.next_attempt_at)
    assert wait is not None
    assert 0.2 <= wait <= RETRY_CEILING


def test_a_nan_delay_never_reaches_the_database(outbox: Outbox, clocks: Clocks) -> None:
    entry = outbox.enqueue(_call(1))
    for delay in (float("nan"), float("inf"), -5.0, 1e300):
        outbox.mark_retry(entry.id, delay=delay, error="x")
        stored = outbox._db.execute(
            "SELECT next_attempt_at, retry_wait FROM operations WHERE id=?", (entry.id,)
        ).fetchone()
        assert all(v is not None and math.isfinite(v) for v in stored)
        assert 0 <= stored[0] - clocks.wall <= RETRY_CEILING
        outbox.mark_checking(entry.id, delay=delay, note="x")


def test_retry_after_minus_five_does_not_hammer_a_failing_server(
    outbox: Outbox, clocks: Clocks
) -> None:
    outreach = Outreach(clocks)
    outreach.fail = lambda request: httpx.Response(503, headers={"Retry-After": "-5"})
    client = _client(outreach, clocks)
    for n in range(3):
        outbox.enqueue(_call(n))

    async def go() -> None:
        try:
            await _drive(_worker(outbox, client, clocks), clocks, 600)
        finally:
            await client.aclose()

    asyncio.run(go())
    assert outreach.most_in_a_minute() <= 8  # the waits keep growing, whatever it says
    assert outreach.requests <= 12  # in 10 minutes
    assert outbox.counts().waiting == 3


def test_a_task_follow_up_waits_with_the_calls_while_the_server_fails(
    outbox: Outbox, clocks: Clocks
) -> None:
    """After a failure nothing else is sent until its wait ends: not the follow-ups either."""
    calls = [
        NewCall(
            attributes=CallAttributes(vendorCallId=f"t-{n}"),
            relationships=CallRelationships.link(prospect=5, task=40 + n),
        )
        for n in range(4)
    ]
    for call in calls:
        entry = outbox.enqueue(call, complete_task=True)
        outbox.mark_sent(entry.id, 900 + entry.id)  # delivered: its task completion is due
    outreach = Outreach(clocks)
    outreach.fail = lambda request: httpx.Response(500)
    client = _client(outreach, clocks)

    async def go() -> None:
        try:
            await _drive(_worker(outbox, client, clocks), clocks, 600)
        finally:
            await client.aclose()

    asyncio.run(go())
    assert outreach.most_in_a_minute() <= 8  # four follow-ups, one request at a time, ever fewer
    assert outbox.counts().waiting == 4


# -- the look-up window after an uncertain POST ----------------------------------------------


def test_a_dropped_post_is_looked_for_over_the_window_before_any_resend(
    outbox: Outbox, clocks: Clocks, caplog: pytest.LogCaptureFixture
) -> None:
    """Outreach stored the call but its reads show it only 25 s later: looked for at 2 and
    10 s (not there yet), found at 30 s; never posted twice."""
    outreach = Outreach()
    stored_at: list[float] = []

    def drop_after_storing(request: httpx.Request) -> httpx.Response | None:
        if request.method == "POST" and not stored_at:
            outreach.__call__(request)  # stored...
            stored_at.append(clocks.mono)
            raise httpx.RemoteProtocolError("...and the answer lost")
        return None

    def lagging(request: httpx.Request) -> httpx.Response:
        failure = drop_after_storing(request)
        if failure is not None:
            return failure
        if request.method == "GET" and stored_at and clocks.mono - stored_at[0] < 25:
            outreach.requests += 1
            return httpx.Response(200, json={"data": []})
        return outreach(request)

    client = _client(lagging, clocks)
    entry = outbox.enqueue(_call(1))
    seen_states: list[str] = []

    async def go() -> None:
        worker = _worker(
            outbox,
            client,
            clocks,
            on_change=lambda: seen_states.append(
                "checking" if outbox.get(entry.id).uncertain else outbox.get(entry.id).state
            ),
        )
        try:
            await _drive(worker, clocks, 120)
        finally:
            await client.aclose()

    with caplog.at_level(logging.INFO, logger="dialer_app.core.sync"):
        asyncio.run(go())
    assert outbox.get(entry.id).state == "sent"
    assert outreach.posts == 1
    assert len(outreach.stored) == 1
    looks = [r.getMessage() for r in caplog.records if "not in Outreach yet" in r.getMessage()]
    assert len(looks) == 2  # at 2 s and 10 s; found at 30 s
    assert "already in Outreach" in caplog.text
    assert "checking" in seen_states


def test_a_post_that_never_arrived_is_sent_again_after_the_whole_window(
    outbox: Outbox, clocks: Clocks
) -> None:
    outreach = Outreach()
    dropped: list[float] = []

    def drop_before_storing(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and not dropped:
            dropped.append(clocks.mono)
            raise httpx.ReadTimeout("no answer")
        return outreach(request)

    client = _client(drop_before_storing, clocks)
    entry = outbox.enqueue(_call(1))
    resent_at: list[float] = []

    async def go() -> None:
        worker = _worker(outbox, client, clocks, on_sent=lambda e, i: resent_at.append(clocks.mono))
        try:
            await _drive(worker, clocks, 300)
        finally:
            await client.aclose()

    asyncio.run(go())
    assert outbox.get(entry.id).state == "sent"
    assert outreach.posts == 1  # the one that arrived
    assert resent_at[0] - dropped[0] >= 60  # not before the window's end


def test_an_uncertain_call_from_before_a_restart_keeps_its_window(
    outbox: Outbox, clocks: Clocks, tmp_path: Path
) -> None:
    entry = outbox.enqueue(_call(1))
    claimed = outbox.claim_next("gone")
    assert claimed is not None
    assert outbox.confirm_claim(claimed.id, "gone", posting=True)
    outbox.mark_retry(claimed.id, delay=2, error="timed out", uncertain=True)
    clocks.advance(3)
    again = Outbox(
        tmp_path / "outbox.sqlite3", clock=lambda: clocks.wall, monotonic=lambda: clocks.mono
    )
    try:
        restored = again.get(entry.id)
        assert restored.uncertain
        assert again.since_posted(restored) == pytest.approx(3)
        clocks.wall -= 3600  # a clock set back: the window looks longer, never shorter
        assert again.since_posted(restored) == 0
    finally:
        again.close()


def test_a_killed_sender_s_call_in_flight_is_looked_for_over_the_window(
    outbox: Outbox, clocks: Clocks
) -> None:
    """The POST's time is written before it goes out (it survives a kill); the next sender
    looks over the window. Calls claimed with it but never posted are looked up once."""
    entries = [outbox.enqueue(_call(n)) for n in range(2)]
    batch = outbox.claim_batch("killed", 2)
    assert outbox.confirm_claim(batch[0].id, "killed", posting=True)
    outbox.recover_orphans(lambda owner: owner != "killed")
    first, second = (outbox.get(e.id) for e in entries)
    assert first.uncertain
    assert second.uncertain
    assert outbox.since_posted(first) == 0
    assert outbox.since_posted(second) == math.inf  # never posted: one look settles it


def test_every_decision_is_logged_without_the_note_or_the_number(
    outbox: Outbox, clocks: Clocks, caplog: pytest.LogCaptureFixture
) -> None:
    secret_note, number = "Asked about the merger, call back Tuesday", "+14155550123"

    def call(n: int) -> NewCall:
        return NewCall(
            attributes=CallAttributes(note=secret_note, to=number, vendorCallId=f"log-{n}"),
            relationships=CallRelationships.link(prospect=5),
        )

    outreach = Outreach()
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "3"}),  # retried, and why
            None,  # sent, with Outreach's id
            httpx.Response(422, json={"errors": [{"detail": "is too long"}]}),  # parked
        ]
    )
    outreach.fail = lambda request: next(answers, None) if request.method == "POST" else None
    client = _client(outreach, clocks)

    async def go() -> None:
        try:
            # one at a time: Outreach's answers are handed out in the order of the requests
            await _drive(_worker(outbox, client, clocks, lanes=1), clocks, 60)
        finally:
            await client.aclose()

    with caplog.at_level(logging.INFO):
        outbox.enqueue(call(1))
        outbox.enqueue(call(2))
        asyncio.run(go())
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("dialer_app.core")]
    text = "\n".join(lines)
    assert "call 1 (log-1) queued" in text
    assert "call 1 (log-1) retried in 3.0 s (attempt 1, server error 503)" in text
    assert "call 1 (log-1) sent: Outreach call 100" in text
    assert "call 2 (log-2) parked, needs attention: Outreach refused the call: is too long" in text
    assert all(
        r.levelno == logging.INFO for r in caplog.records if r.name == "dialer_app.core.sync"
    )
    assert secret_note not in text
    assert "4155550123" not in text
