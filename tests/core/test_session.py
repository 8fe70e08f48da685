"""The call session times calls honestly and refuses impossible transitions."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dialer_app.core.session import (
    CallSession,
    CallState,
    CallTimes,
    SessionError,
    format_elapsed,
)
from tests.support.clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def session(clock: FakeClock) -> CallSession:
    return CallSession(clock)


def test_outbound_answered_call_records_three_ordered_utc_times(
    session: CallSession, clock: FakeClock
) -> None:
    start = clock.wall
    session.dial()
    clock.advance(7)
    session.answer()
    clock.advance(65)
    times = session.hang_up()
    assert session.state is CallState.ENDED
    assert times.direction == "outbound"
    assert times.dialed_at == start
    assert times.answered_at == start + timedelta(seconds=7)
    assert times.completed_at == start + timedelta(seconds=72)
    assert times.outcome == "Answered"
    assert all(
        t is not None and t.utcoffset() == timedelta(0)
        for t in (times.dialed_at, times.answered_at, times.completed_at)
    )


def test_unanswered_call_has_no_answer_time_and_is_not_answered(
    session: CallSession, clock: FakeClock
) -> None:
    session.dial()
    clock.advance(30)
    times = session.hang_up()
    assert times.answered_at is None
    assert times.outcome == "Not Answered"


def test_inbound_answer_starts_at_answered_with_direction_inbound(
    session: CallSession, clock: FakeClock
) -> None:
    session.answer()
    clock.advance(12)
    times = session.hang_up()
    assert times.direction == "inbound"
    assert times.dialed_at is None
    assert times.answered_at is not None
    assert session.elapsed() == timedelta(seconds=12)


def test_elapsed_is_live_then_frozen_at_hang_up(session: CallSession, clock: FakeClock) -> None:
    session.dial()
    clock.advance(3)
    assert session.elapsed() == timedelta(seconds=3)
    session.hang_up()
    clock.advance(100)
    assert session.elapsed() == timedelta(seconds=3)


def test_wall_clock_jump_mid_call_cannot_reorder_or_stretch_the_call(
    session: CallSession, clock: FakeClock
) -> None:
    session.dial()
    clock.advance(5)
    clock.jump_wall(-3600)  # the machine's clock is set back an hour mid-call
    session.answer()
    clock.advance(5)
    times = session.hang_up()
    times.check_order()
    assert times.completed_at is not None
    assert times.dialed_at is not None
    assert times.completed_at - times.dialed_at == timedelta(seconds=10)


@pytest.mark.parametrize(
    ("setup", "event"),
    [
        ([], "hang_up"),
        (["dial"], "dial"),
        (["dial", "answer"], "answer"),
        (["dial", "hang_up"], "answer"),
    ],
)
def test_impossible_transitions_are_refused_with_a_reason(
    session: CallSession, setup: list[str], event: str
) -> None:
    for step in setup:
        getattr(session, step)()
    before = (session.state, session.times)
    with pytest.raises(SessionError, match="Cannot"):
        getattr(session, event)()
    assert (session.state, session.times) == before


def test_correcting_times_keeps_their_order(session: CallSession, clock: FakeClock) -> None:
    session.dial()
    clock.advance(10)
    session.hang_up()
    t = session.times
    assert t.dialed_at is not None
    assert t.completed_at is not None
    with pytest.raises(SessionError, match="must not be before"):
        session.correct(CallTimes(dialed_at=t.completed_at, completed_at=t.dialed_at))
    fixed = session.correct(
        CallTimes(dialed_at=t.dialed_at - timedelta(seconds=5), completed_at=t.completed_at)
    )
    assert session.times == fixed


def test_restored_draft_keeps_counting_from_its_own_start(clock: FakeClock) -> None:
    first = CallSession(clock)
    first.dial()
    clock.advance(40)
    saved = (first.state, first.times)
    second = CallSession(clock)  # the app restarted
    second.restore(*saved)
    assert second.elapsed() == timedelta(seconds=40)
    clock.advance(2)
    second.answer()
    assert second.times.dialed_at == saved[1].dialed_at


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (7, "0:07"), (754, "12:34"), (3723, "1:02:03")]
)
def test_elapsed_format(seconds: int, text: str) -> None:
    assert format_elapsed(timedelta(seconds=seconds)) == text
