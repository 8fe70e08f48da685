"""Two calls in flight at once while Outreach answers each, one at a time once it fails.

Outreach is played by a transport that answers each request as a generated script says —
stored, 503, 429 with a wait, 500 after storing, a dropped connection before or after storing,
a refusal (422) — each after a generated number of passes of the loop, so that the other lane's
request starts meanwhile and answers come back in any order. Whatever the script, no call is
stored twice, none is lost (each ends sent or needing attention, and what is sent is stored),
no more than two requests are ever out at once, none goes out alongside another after a failure
until Outreach has answered one cleanly again, and none goes out sooner than a 429 asked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outbox.queue import OutboxError
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.outreach.retry import NO_RETRY
from dialer_app.core.sync import LANES, Backoff, RateReserve, SyncWorker

BASE = "https://api.example.test/api/v2"
ANSWERS = ("stored", "503", "429", "500 stored", "dropped", "dropped stored", "refused")
FAILURES = {"503", "429", "500 stored", "dropped", "dropped stored"}
RETRY_AFTER = 7  # seconds a 429 asks for


@dataclass
class Clocks:
    wall: float = 1_900_000_000.0
    mono: float = 5_000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@dataclass
class ScriptedOutreach(httpx.AsyncBaseTransport):
    """Answers POST /calls as `script` says, in order of arrival (then stores), each after the
    number of passes of the loop `passes` says (then 1); GET /calls lists what is stored. Every
    answer carries the request budget, counted as requests arrive (`remaining`)."""

    script: list[str]
    passes: list[int] = field(default_factory=list)
    clocks: Clocks | None = None
    remaining: int = 10_000
    stored: list[dict[str, Any]] = field(default_factory=list)
    out: int = 0  # POSTs in flight now
    most_out: int = 0
    last_ended: str = ""  # the answer of the last request that ended
    overlaps_after_failure: int = 0
    not_before: float = 0.0  # monotonic: what the 429s answered so far asked
    too_soon: int = 0  # requests sent before that
    reset: str = ""  # when the budget's window ends (X-RateLimit-Reset), half an hour on

    def __post_init__(self) -> None:
        now = self.clocks.wall if self.clocks is not None else time.time()
        self.reset = str(int(now) + 1800)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        now = self.clocks.mono if self.clocks is not None else 0.0
        if now < self.not_before:
            self.too_soon += 1
        self.remaining -= 1
        budget = {"X-RateLimit-Remaining": str(self.remaining), "X-RateLimit-Reset": self.reset}
        if request.method == "GET":  # a look for a call of unknown fate: a clean answer too
            self.last_ended = "read"
            return httpx.Response(200, json={"data": self.stored[::-1]}, headers=budget)
        if self.out and self.last_ended in FAILURES:
            self.overlaps_after_failure += 1
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        answer = self.script.pop(0) if self.script else "stored"
        try:
            for _ in range(self.passes.pop(0) if self.passes else 1):
                await asyncio.sleep(0)  # the other lane's request may start meanwhile
            response = self._answer(request, answer)
            response.headers.update(budget)
            if answer == "429":
                self.not_before = max(self.not_before, now + RETRY_AFTER)
            return response
        finally:
            self.out -= 1
            self.last_ended = answer

    def _answer(self, request: httpx.Request, answer: str) -> httpx.Response:
        if answer.endswith("stored"):
            attrs = json.loads(request.content)["data"]["attributes"]
            call = {"type": "call", "id": 100 + len(self.stored), "attributes": attrs}
            self.stored.append(call)
            if answer == "stored":
                return httpx.Response(201, json={"data": call})
        if answer.startswith("dropped"):
            raise httpx.ReadError("connection dropped", request=request)
        if answer == "429":
            return httpx.Response(429, headers={"Retry-After": str(RETRY_AFTER)})
        if answer == "refused":
            body = {"errors": [{"detail": "is not valid", "source": {"pointer": "/data"}}]}
            return httpx.Response(422, json=body)
        return httpx.Response(int(answer.split()[0]))


def _call(n: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(outcome="Answered", vendorCallId=f"lane-{n}"),
        relationships=CallRelationships.link(prospect=5),
    )


async def _drain(worker: SyncWorker, clocks: Clocks, steps: int = 400) -> None:
    """Step the worker, moving the clocks to each wake-up, until nothing waits."""
    for _ in range(steps):
        wait = await worker.step()
        if wait is None:
            return
        clocks.advance(max(wait, 0.001))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    calls=st.integers(1, 7),
    script=st.lists(st.sampled_from(ANSWERS), max_size=14),
    passes=st.lists(st.integers(0, 6), max_size=14),
)
def test_whatever_outreach_answers_two_lanes_store_each_call_once_and_lose_none(
    calls: int, script: list[str], passes: list[int]
) -> None:
    clocks = Clocks()
    outreach = ScriptedOutreach(list(script), list(passes), clocks)
    with TemporaryDirectory(prefix="lanes-") as tmp:
        outbox = Outbox(
            Path(tmp) / "outbox.sqlite3", clock=lambda: clocks.wall, monotonic=lambda: clocks.mono
        )
        try:
            ids = [outbox.enqueue(_call(n)).id for n in range(calls)]

            async def go() -> None:
                client = OutreachClient(
                    BASE,
                    StaticToken("t"),
                    transport=outreach,
                    retry=NO_RETRY,
                    clock=lambda: clocks.wall,
                )
                worker = SyncWorker(
                    outbox,
                    lambda: client,
                    owner="me",
                    rng=random.Random(3),
                    backoff=Backoff(base=1, cap=60, floor=0.2),
                    clock=lambda: clocks.wall,
                    monotonic=lambda: clocks.mono,
                )
                try:
                    await _drain(worker, clocks)
                finally:
                    await client.aclose()

            asyncio.run(go())
            entries = [outbox.get(i) for i in ids]
        finally:
            outbox.close()
    stored = [c["attributes"]["vendorCallId"] for c in outreach.stored]
    assert len(stored) == len(set(stored))  # never twice
    assert all(e is not None and e.state in ("sent", "attention") for e in entries)  # none lost
    assert {e.ref for e in entries if e.state == "sent"} <= set(stored)
    assert outreach.most_out <= LANES
    assert outreach.overlaps_after_failure == 0
    assert outreach.too_soon == 0  # a 429's wait is kept, whichever lane met it


def test_calls_waiting_together_go_two_at_a_time_while_outreach_answers() -> None:
    """The lanes are used: with every answer clean, two requests are out at once."""
    clocks = Clocks()
    outreach = ScriptedOutreach([])
    with TemporaryDirectory(prefix="lanes-") as tmp:
        outbox = Outbox(
            Path(tmp) / "outbox.sqlite3", clock=lambda: clocks.wall, monotonic=lambda: clocks.mono
        )
        try:
            for n in range(6):
                outbox.enqueue(_call(n))

            async def go() -> None:
                client = OutreachClient(BASE, StaticToken("t"), transport=outreach, retry=NO_RETRY)
                try:
                    await _drain(SyncWorker(outbox, lambda: client, owner="me"), clocks)
                finally:
                    await client.aclose()

            asyncio.run(go())
            assert outbox.counts().sent == 6
        finally:
            outbox.close()
    assert outreach.most_out == LANES


def _drained(
    outreach: ScriptedOutreach, calls: int, folder: Path, **worker: Any
) -> tuple[SyncWorker, Outbox]:
    """A worker that sent what it could of `calls` calls to `outreach`; its outbox, still
    open."""
    clocks = Clocks()
    outbox = Outbox(folder / "outbox.sqlite3")
    for n in range(calls):
        outbox.enqueue(_call(n))

    async def go() -> SyncWorker:
        client = OutreachClient(BASE, StaticToken("t"), transport=outreach, retry=NO_RETRY)
        made = SyncWorker(outbox, lambda: client, owner="me", backoff=Backoff(0, 0, 0), **worker)
        try:
            await _drain(made, clocks)
        finally:
            await client.aclose()
        return made

    return asyncio.run(go()), outbox


def test_answers_out_of_order_never_spend_the_lookups_reserve(tmp_path: Path) -> None:
    """Every second answer comes late, so the budget Outreach reported last is not the
    lowest: the sender keeps the lowest of the window, and stops where the reserve begins."""
    keep = 10
    outreach = ScriptedOutreach([], [1] + [3, 1] * 10, remaining=keep + 7)  # 1: the first, alone
    _worker, outbox = _drained(outreach, 12, tmp_path, reserve=RateReserve(keep=keep))
    try:
        assert outbox.counts().sent == 7
        assert outreach.remaining == keep
        assert outreach.most_out == LANES
    finally:
        outbox.close()


@pytest.mark.parametrize("crash_first", [True, False])
def test_a_lane_that_crashes_is_set_aside_alone_and_every_error_is_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, crash_first: bool
) -> None:
    """Two calls go together; recording one sent hits a bug, the other a full disk (an outbox
    error, which is never the call's fault). Only the first is counted as a crash (set aside at
    the first, here), both errors are logged, and the other call is found in Outreach and sent."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    a, b = (outbox.enqueue(_call(n)) for n in range(2))
    crasher, disk = (a, b) if crash_first else (b, a)
    failed_once: set[int] = set()
    mark_sent = outbox.mark_sent

    def failing_mark_sent(entry_id: int, outreach_id: int | None) -> None:
        if entry_id not in failed_once:
            failed_once.add(entry_id)
            if entry_id == crasher.id:
                raise KeyError("a bug while recording the answer")
            raise OutboxError("The outbox could not save: the disk is full")
        mark_sent(entry_id, outreach_id)

    outbox.mark_sent = failing_mark_sent  # type: ignore[method-assign]
    outreach = ScriptedOutreach([])

    async def go() -> None:
        client = OutreachClient(BASE, StaticToken("t"), transport=outreach, retry=NO_RETRY)
        client.budget.remaining = 1_000  # known: the two go together from the first
        changed = asyncio.Event()
        worker = SyncWorker(
            outbox,
            lambda: client,
            owner="me",
            crash_limit=1,
            crash_pause=0.001,
            checks=(0.0,),
            on_change=changed.set,
        )
        task = asyncio.create_task(worker.run())
        try:
            async with asyncio.timeout(10):
                while {outbox.get(e.id).state for e in (a, b)} != {"attention", "sent"}:
                    await changed.wait()  # the sender says each time it changed something
                    changed.clear()
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await client.aclose()

    with caplog.at_level(logging.ERROR):
        try:
            asyncio.run(go())
            assert outbox.get(crasher.id).state == "attention"  # set aside, to resend or discard
            assert outbox.get(disk.id).state == "sent"
        finally:
            outbox.close()
    logged = [str(r.exc_info[1]) for r in caplog.records if r.exc_info]
    assert any("a bug while recording" in text for text in logged)
    assert any("the disk is full" in text for text in logged)
    assert outreach.most_out == LANES
    assert len(outreach.stored) == 2  # each once: the other was found, not sent again
