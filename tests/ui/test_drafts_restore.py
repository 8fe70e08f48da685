"""Calls in progress come back after the app dies: times, prospect and every field."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton

from tests.support.clock import FakeClock
from tests.support.qt import by_name, phase, type_query
from tests.ui.conftest import close


def test_a_live_call_comes_back_ended_at_an_unknown_time_with_its_wrap_up(
    qtbot, aio, sandbox, make_window
):
    clock = FakeClock(datetime.now(UTC))
    with httpx.Client(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.token}"}
    ) as api:
        prospect = api.get("/prospects", params={"page[size]": 1}).json()["data"][0]
    first = make_window(sandbox, clock=clock, drafts=True, outbox_name="app")
    win, service = first.win, first
    type_query(
        qtbot,
        service,
        by_name(win, "Prospect search", QLineEdit),
        prospect["attributes"]["emails"][0],
    )
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(by_name(win, "Prospect search", QLineEdit), Qt.Key.Key_Return)
    qtbot.mouseClick(by_name(win, "Dial", QPushButton), Qt.MouseButton.LeftButton)
    clock.advance(3)
    qtbot.mouseClick(by_name(win, "Answered", QPushButton), Qt.MouseButton.LeftButton)
    by_name(win, "Disposition", QComboBox).setCurrentIndex(2)
    qtbot.keyClicks(by_name(win, "Notes", QPlainTextEdit), "They want a quote by Friday")
    times_before = win.desk.current.times
    call_id = win.desk.current_id
    # The app dies here, mid-call, right after the last keystroke: no clean shutdown, nothing
    # logged, no time for the debounced flush.
    win._draft_flush.cancel()
    close(qtbot, aio, first)
    clock.advance(60)

    win2 = make_window(sandbox, clock=clock, drafts=True, outbox_name="app").win
    qtbot.waitUntil(lambda: win2.card.detail is not None)
    call = win2.desk.current
    assert call is not None
    assert call.id == call_id
    assert phase(win2) == "wrapping"  # not live: nobody knows whether it went on
    assert call.end_unknown
    assert call.times == times_before  # dialled and answered as they were, no end made up
    assert "unknown time" in by_name(win2, "Call status", QLabel).text()
    assert by_name(win2, "Elapsed time", QLabel).text() == "—"
    assert by_name(win2, "Notes", QPlainTextEdit).toPlainText() == "They want a quote by Friday"
    assert by_name(win2, "Disposition", QComboBox).currentIndex() == 2
    assert call.prospect is not None
    assert call.prospect.id == prospect["id"]
    assert win2.card.detail.prospect.id == prospect["id"]
    assert "Reopened 1 call" in win2.log_message.text()
    # The rep was still on the phone: Hang up gives the call its real end.
    clock.advance(30)
    qtbot.mouseClick(by_name(win2, "Hang up", QPushButton), Qt.MouseButton.LeftButton)
    assert call.times.completed_at is not None
    assert (call.times.completed_at - times_before.answered_at).total_seconds() == 90
    assert by_name(win2, "Elapsed time", QLabel).text() == "1:33"
