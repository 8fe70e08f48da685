"""Today's count: every call of the rep's day counted once, whether the outbox has it, Outreach
has it, or both; read from Outreach (the real sandbox) by user and creation time; any answer
read without a crash."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from dialer_app.core.today import MAX_TALK, DayCall, DayTally, call_of, calls_of_day, tally
from tests.support.sandbox import SandboxServer, serve_for

START = datetime(2026, 3, 4, 0, 0, tzinfo=UTC)
END = START + timedelta(days=1)

moments = st.datetimes(
    min_value=datetime(2026, 3, 3, 12), max_value=datetime(2026, 3, 5, 12), timezones=st.just(UTC)
)
calls = st.builds(
    DayCall,
    outreach_id=st.one_of(st.none(), st.integers(1, 40)),
    vendor_call_id=st.sampled_from(["", "a", "b", "c", "d", "e"]),
    dialed_at=st.one_of(st.none(), moments),
    answered_at=st.one_of(st.none(), moments),
    completed_at=st.one_of(st.none(), moments),
    created_at=st.one_of(st.none(), moments),
    outcome=st.sampled_from(["", "Answered", "Not Answered"]),
)


def _key(call: DayCall) -> object:
    return call.outreach_id if call.outreach_id is not None else ("v", call.vendor_call_id)


@settings(max_examples=300, deadline=None)
@given(
    remote=st.lists(calls, max_size=10, unique_by=_key),
    local=st.lists(  # the outbox's calls: each has its own vendorCallId
        calls.filter(lambda c: bool(c.vendor_call_id)),
        max_size=5,
        unique_by=lambda c: c.vendor_call_id,
    ),
    goal=st.integers(-5, 100),
)
def test_each_call_of_the_day_counts_once(
    remote: list[DayCall], local: list[DayCall], goal: int
) -> None:
    day = tally(local, remote, START, END, goal=goal)
    known_ids = {c.outreach_id for c in remote if c.outreach_id is not None}
    known_vendor = {c.vendor_call_id for c in remote if c.vendor_call_id}
    extra = [
        c
        for c in local
        if not (c.outreach_id is not None and c.outreach_id in known_ids)
        and not (c.vendor_call_id and c.vendor_call_id in known_vendor)
    ]
    union = [c for c in [*remote, *extra] if c.at is not None and START <= c.at < END]
    assert day.calls == len(union)
    assert day.connects == sum(1 for c in union if c.connected) <= day.calls
    assert timedelta(0) <= day.talk <= MAX_TALK * day.connects
    assert day.goal == max(0, goal)
    assert day.reconciled
    assert tally([*local, *local], remote, START, END).calls == day.calls, "logged twice: once"


def test_the_outbox_alone_before_outreach_answers() -> None:
    at = START + timedelta(hours=10)
    local = [
        DayCall(
            vendor_call_id="a",
            dialed_at=at,
            answered_at=at,
            completed_at=at + timedelta(minutes=12),
            outcome="Answered",
        ),
        DayCall(vendor_call_id="b", dialed_at=at, outcome="Not Answered"),
        DayCall(vendor_call_id="c", dialed_at=START - timedelta(minutes=1)),  # yesterday
    ]
    day = tally(local, None, START, END, goal=60)
    assert (day.calls, day.connects, day.talk, day.reconciled) == (
        2,
        1,
        timedelta(minutes=12),
        False,
    )
    assert day.short == "Today 2/60"
    assert day.sentence.startswith("2 calls, 1 connect, 12 min talk time today (goal 60: 58 to go)")
    assert "once Outreach answers" in day.sentence
    assert DayTally(calls=61, goal=60, reconciled=True).sentence.endswith("(goal 60 met)")
    assert DayTally(calls=1, talk=timedelta(minutes=65), reconciled=True).short == "Today 1"
    assert "1 h 05 min" in DayTally(calls=1, talk=timedelta(minutes=65)).sentence


@given(
    attributes=st.dictionaries(
        st.sampled_from(
            ["dialedAt", "answeredAt", "completedAt", "createdAt", "outcome", "vendorCallId", "x"]
        ),
        st.one_of(
            st.none(),
            st.booleans(),
            st.integers(),
            st.text(max_size=30),
            st.just("2026-03-04T10:00:00.000Z"),
            st.just("2026-03-04T10:00:00"),
            st.lists(st.integers(), max_size=2),
        ),
    )
)
def test_any_call_outreach_returns_is_read_without_a_crash(attributes: dict[str, Any]) -> None:
    call = call_of(5, attributes)
    for when in (call.dialed_at, call.answered_at, call.completed_at, call.created_at):
        assert when is None or when.tzinfo is not None
    assert isinstance(call.outcome, str)
    assert isinstance(call.vendor_call_id, str)
    tally([], [call], START, END)  # counts, whatever it holds


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "today", "--prospects", "20")


def test_outreach_answers_the_reps_calls_created_today(server: SandboxServer) -> None:
    vendor = [f"today-{uuid.uuid4()}" for _ in range(3)]

    async def go() -> tuple[list[DayCall], list[DayCall]]:
        client = OutreachClient(server.base_url, StaticToken(server.token))
        try:
            me = (await client.current_user()).id
            before = datetime.now(UTC) - timedelta(seconds=5)
            for n, vid in enumerate(vendor):
                now = datetime.now(UTC)
                await client.create_call(
                    NewCall(
                        attributes=CallAttributes(
                            dialedAt=now - timedelta(minutes=3),
                            answeredAt=(now - timedelta(minutes=2)) if n else None,
                            completedAt=now,
                            outcome="Answered" if n else "Not Answered",
                            vendorCallId=vid,
                        ),
                        relationships=CallRelationships.link(prospect=3, user=me if n < 2 else 2),
                    )
                )
            mine = await calls_of_day(client, me, before)
            later = await calls_of_day(client, me, datetime.now(UTC) + timedelta(minutes=1))
            return mine, later
        finally:
            await client.aclose()

    mine, later = asyncio.run(go())
    got = {c.vendor_call_id for c in mine}
    assert set(vendor[:2]) <= got, "the rep's own calls of today"
    assert vendor[2] not in got, "another user's call is not the rep's"
    assert later == [], "only calls created since the start given"
    answered = next(c for c in mine if c.vendor_call_id == vendor[1])
    assert answered.connected
    assert answered.talk == timedelta(minutes=2)
