"""Calling outside the prospect's calling hours asks first, as calling someone who opted out
does — by a number (click or Alt+N) and by Dial — unless the rep turned the question off.
`core.hours` is the rule: late evening, night and weekends, the prospect's time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtWidgets import QMessageBox

from dialer_app.core import settings as s
from dialer_app.core.hours import local_time
from dialer_app.core.jsonapi import Resource
from dialer_app.core.outreach.models import Match, Prospect
from tests.support.clock import FakeClock
from tests.support.qt import phase

YES, NO = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


class Asked:
    """Stands in for the question box: records what was asked, answers as told."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.answer = NO

    def __call__(self, _parent: Any, _title: str, text: str, *_rest: Any) -> Any:
        self.texts.append(text)
        return self.answer


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Asked:
    recorder = Asked()
    monkeypatch.setattr(QMessageBox, "question", recorder)
    return recorder


@pytest.fixture
def callable_window(qtbot, sandbox, make_window):
    """A window on a prospect with a number and a time zone who takes calls."""
    with sandbox.client() as api:
        people = api.get("/prospects", params={"page[size]": 200}).json()["data"]
    prospect = next(
        p
        for p in people
        if p["attributes"]["workPhones"]
        and p["attributes"]["timeZone"]
        and not p["attributes"]["callOptedOut"]
    )
    clock = FakeClock(datetime(2026, 3, 4, 12, 0, tzinfo=UTC))
    opened = make_window(sandbox, clock=clock, hours_prompt=True)
    match = Match(Prospect.from_resource(Resource.model_validate(prospect)), "name")
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        opened.win.search.matchChosen.emit(match)
    return opened


def _reset(win: Any) -> None:
    """Back to no call: hang up and throw the call away."""
    if phase(win) != "idle":
        win._on_call_hang_up_requested()
        win._on_discard_button_clicked()
    assert win.desk.active_calls == []


def _outside(win: Any, at: datetime) -> bool:
    prospect = win.card.detail.prospect
    lt = local_time(
        prospect.time_zone,
        at,
        win.settings.get(s.CALL_HOURS_START),
        win.settings.get(s.CALL_HOURS_END),
    )
    assert lt is not None
    return not lt.within_hours


def test_a_call_outside_calling_hours_asks_first_at_any_instant(
    qtbot, callable_window, asked
) -> None:
    opened = callable_window
    win, clock = opened.win, opened.clock

    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(
        offset=st.integers(0, 14 * 24 * 60),  # any minute of two weeks
        by_key=st.booleans(),  # a number (click / Alt+N), or Dial
        answer=st.sampled_from([YES, NO]),
    )
    def check(offset: int, by_key: bool, answer: QMessageBox.StandardButton) -> None:
        _reset(win)
        clock.wall = datetime(2026, 3, 2, tzinfo=UTC) + timedelta(minutes=offset)
        asked.texts.clear()
        asked.answer = answer
        handed = len(opened.handed)
        if by_key:
            win.card.number_buttons[0].click()
        else:
            win.call.dial.click()
        outside = _outside(win, clock.wall)
        assert bool(asked.texts) == outside
        went = not outside or answer == YES
        assert (phase(win) == "ringing") == went
        if by_key:
            assert (len(opened.handed) == handed + 1) == went
        if outside:
            text = asked.texts[0]
            assert "outside calling hours" in text
            lt = local_time(win.card.detail.prospect.time_zone, clock.wall, 8, 20)
            assert lt is not None
            assert f"{lt.at:%A %H:%M}" in text  # the time where they are, by name of day
        _reset(win)

    check()


def test_late_evening_and_sunday_ask_and_no_calls_no_one(qtbot, callable_window, asked) -> None:
    opened = callable_window
    win, clock = opened.win, opened.clock
    zone = win.card.detail.prospect.time_zone
    from zoneinfo import ZoneInfo

    for local in (
        datetime(2026, 3, 4, 23, 48, tzinfo=ZoneInfo(zone)),  # a Wednesday, late
        datetime(2026, 3, 8, 11, 0, tzinfo=ZoneInfo(zone)),  # a Sunday morning
    ):
        clock.wall = local.astimezone(UTC)
        win.card.number_buttons[0].click()
        assert phase(win) == "idle"
        assert opened.handed == []
        assert "Call anyway?" in asked.texts[-1]
    assert "Not called" in win.log_message.text()


def test_the_question_can_be_turned_off(qtbot, callable_window, asked) -> None:
    opened = callable_window
    win, clock = opened.win, opened.clock
    from zoneinfo import ZoneInfo

    zone = win.card.detail.prospect.time_zone
    clock.wall = datetime(2026, 3, 8, 23, 0, tzinfo=ZoneInfo(zone)).astimezone(UTC)
    win.settings.set(s.CONFIRM_OUTSIDE_HOURS, False)
    win.card.number_buttons[0].click()
    assert asked.texts == []
    assert phase(win) == "ringing"  # the red local time on the card still says it
    assert "outside calling hours" in win.card.local_time.text()
