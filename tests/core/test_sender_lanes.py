"""Two calls in flight at once while Outreach answers each, one at a time once it fails.

Outreach is played by a transport that answers each request as a generated script says —
stored, 503, 429 with a wait, 500 after storing, a dropped connection before or after storing,
a refusal (422) — and lets the other lane's request start before it answers. Whatever the
script, no call is stored twice, none is lost (each ends sent or needing attention, and what is
sent is stored), no more than two requests are ever out at once, and none goes out alongside
another after a failure until Outreach has answered one cleanly again.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.outreach.retry import NO_RETRY
from dialer_app.core.sync import LANES, Backoff, SyncWorker

BASE = "https://api.example.test/api/v2"
ANSWERS = ("stored", "503", "429", "500 stored", "dropped", "dropped stored", "refused")
FAILURES = {"503", "429", "500 stored", "dropped", "dropped stored"}


@dataclass
class Clocks:
    wall: float = 1_900_000_000.0
    mono: float = 5_000.0

    def advance(self, seconds: float) -> None:
        self.wall += seconds
        self.mono += seconds


@dataclass
class ScriptedOutreach(httpx.AsyncBaseTransport):
    """Answers POST /calls as `script` says, in order (then stores); GET /calls lists what is
    stored. Each POST yields to the loop before answering, so that another may start."""

    script: list[str]
    stored: list[dict[str, Any]] = field(default_factory=list)
    out: int = 0  # POSTs in flight now
    most_out: int = 0
    last_ended: str = ""  # the answer of the last request that ended
    overlaps_after_failure: int = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET":  # a look for a call of unknown fate: a clean answer too
            self.last_ended = "read"
            return httpx.Response(200, json={"data": self.stored[::-1]})
        if self.out and self.last_ended in FAILURES:
            self.overlaps_after_failure += 1
        self.out += 1
        self.most_out = max(self.most_out, self.out)
        answer = self.script.pop(0) if self.script else "stored"
        try:
            for _ in range(3):
                await asyncio.sleep(0)  # the other lane's request may start meanwhile
            return self._answer(request, answer)
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
            return httpx.Response(429, headers={"Retry-After": "7"})
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
)
def test_whatever_outreach_answers_two_lanes_store_each_call_once_and_lose_none(
    calls: int, script: list[str]
) -> None:
    clocks = Clocks()
    outreach = ScriptedOutreach(list(script))
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
