"""When to call back: the quick choices and a typed date and time, in the prospect's time zone,
at any moment of the year (clock changes included), and the callback as the wrap-up keeps it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from dialer_app.core.callbacks import (
    FORM_AT,
    FORM_NOTE,
    NOTE_ROOM,
    Callback,
    CallbackError,
    at_local,
    describe,
    quick_choices,
)

ZONES = (
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Pacific/Chatham",
    "UTC",
)
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=300, deadline=None)
@given(now=moments, zone=st.sampled_from(ZONES))
def test_every_quick_choice_is_a_later_working_day_at_a_decent_time(
    now: datetime, zone: str
) -> None:
    tz = ZoneInfo(zone)
    today = now.astimezone(tz).date()
    tomorrow, two_days, next_week = quick_choices(now, zone)
    for choice in (tomorrow, two_days, next_week):
        assert choice.at > now
        assert choice.at.tzinfo is UTC
        assert choice.at.astimezone(tz).weekday() < 5, "never on a weekend"
        assert "their time" in choice.text

    first = tomorrow.at.astimezone(tz)
    assert (first.hour, first.minute) == (9, 0)
    assert first.date() > today
    assert all(
        (today + timedelta(days=d)).weekday() >= 5 for d in range(1, (first.date() - today).days)
    ), "the first working day after today"
    assert tomorrow.text.startswith(
        "Tomorrow" if (first.date() - today).days == 1 else first.strftime("%A")
    )

    second = two_days.at.astimezone(tz)
    assert second.minute % 15 == 0
    assert 9 <= second.hour < 17 or (second.hour, second.minute) == (17, 0)
    assert two_days.at >= now + timedelta(days=2) - timedelta(hours=1)  # a clock change: ±1 h
    assert 2 <= (second.date() - today).days <= 5

    third = next_week.at.astimezone(tz)
    assert (third.weekday(), third.hour, third.minute) == (0, 9, 0)
    assert 0 < (third.date() - today).days <= 7


def test_an_unknown_zone_says_your_time() -> None:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    for zone in ("", "Mars/Olympus_Mons"):
        choices = quick_choices(now, zone)
        assert all("your time" in c.text for c in choices)
        assert describe(choices[0].at, zone).endswith("your time")


@settings(max_examples=300, deadline=None)
@example(day=date(2026, 3, 29), hour=2, minute=30, zone="Europe/Berlin")  # skipped
@example(day=date(2026, 10, 25), hour=2, minute=30, zone="Europe/Berlin")  # twice
@example(day=date(2026, 11, 1), hour=1, minute=15, zone="America/New_York")  # twice
@given(
    day=st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    zone=st.sampled_from(ZONES),
)
def test_a_typed_time_is_read_on_the_prospects_wall_clock(
    day: date, hour: int, minute: int, zone: str
) -> None:
    tz = ZoneInfo(zone)
    now = datetime(2025, 12, 1, tzinfo=UTC)
    at = at_local(day, hour, minute, zone, now=now)
    wall = at.astimezone(tz)
    typed = datetime(day.year, day.month, day.day, hour, minute)
    if wall.replace(tzinfo=None) != typed:  # a wall time a clock change skips: just after
        gap = wall.replace(tzinfo=None) - typed
        assert timedelta(0) < gap <= timedelta(hours=1)
    else:
        later = typed.replace(tzinfo=tz, fold=1).astimezone(UTC)
        assert at <= later, "a wall time that happens twice is the first of the two"


def test_a_time_that_has_passed_or_is_no_time_is_refused_saying_why() -> None:
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    with pytest.raises(CallbackError, match="has passed"):
        at_local(date(2026, 3, 4), 15, 0, "UTC", now=now)
    with pytest.raises(CallbackError, match="not a time of day"):
        at_local(date(2026, 3, 5), 24, 0, "UTC", now=now)
    assert at_local(date(2026, 3, 4), 15, 1, "UTC", now=now) == now + timedelta(minutes=1)


def test_the_wrapup_form_keeps_a_callback_and_reads_back_only_what_it_wrote() -> None:
    cb = Callback(datetime(2026, 3, 5, 8, 0, tzinfo=UTC), "Send the quote first")
    assert Callback.from_form(cb.form_data()) == cb
    assert Callback.from_form({FORM_AT: "", FORM_NOTE: "x"}) is None
    assert Callback.from_form({}) is None
    assert Callback.from_form({FORM_AT: "2026-03-05T08:00:00"}) is None  # no zone: not ours
    assert Callback.from_form({FORM_AT: "tomorrow"}) is None
    assert Callback.from_form({FORM_AT: 7}) is None
    now = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)
    assert cb.problem(now) == ""
    assert "passed" in Callback(now - timedelta(seconds=1)).problem(now)
    assert "too long" in Callback(now + timedelta(days=1), "x" * (NOTE_ROOM + 1)).problem(now)


@given(form=st.dictionaries(st.sampled_from([FORM_AT, FORM_NOTE, "other"]), st.from_type(object)))
def test_any_form_content_reads_as_a_callback_or_none(form: dict[str, object]) -> None:
    cb = Callback.from_form(form)
    assert cb is None or (cb.at.tzinfo is UTC and isinstance(cb.note, str))


def test_the_desk_keeps_a_callback_with_its_call_through_a_restart() -> None:
    from dialer_app.core.desk import CallDesk, Who
    from tests.support.clock import FakeClock

    clock = FakeClock(datetime(2026, 3, 4, 15, 0, tzinfo=UTC))
    desk = CallDesk(clock)
    desk.open_prospect(Who(7, "Ada Lovelace"))
    desk.dial()
    clock.advance(30)
    desk.hang_up()
    cb = Callback(datetime(2026, 3, 5, 8, 0, tzinfo=UTC), "Send the quote first")
    desk.set_form({"disposition_id": 3, **cb.form_data()})
    again = CallDesk.from_data(desk.to_data(), clock)
    assert Callback.from_form(again.form) == cb
    call = again.compose(user_id=1)
    assert "callback" not in str(call.to_document()), "the call itself carries none of it"
