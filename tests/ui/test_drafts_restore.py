"""A call in progress comes back after the app dies: times, prospect and every field."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton

from dialer_app.core.session import CallState
from tests.support.clock import FakeClock
from tests.support.qt import by_name, type_query
from tests.ui.conftest import close


def test_the_call_in_progress_is_reopened_after_the_app_dies(qtbot, aio, sandbox, make_window):
    clock = FakeClock(datetime.now(UTC))
    with httpx.Client(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.token}"}
    ) as api:
        prospect = api.get("/prospects", params={"page[size]": 1}).json()["data"][0]
    first = make_window(sandbox, clock=clock, drafts=True, outbox_name="app")
    win, service = first.win, first.service
    type_query(
        qtbot,
        service,
        by_name(win, "Prospect search", QLineEdit),
        prospect["attributes"]["emails"][0],
    )
    with qtbot.waitSignal(service.prospectLoaded, timeout=10_000):
        qtbot.keyClick(by_name(win, "Prospect search", QLineEdit), Qt.Key.Key_Return)
    qtbot.mouseClick(by_name(win, "Dial", QPushButton), Qt.MouseButton.LeftButton)
    clock.advance(3)
    qtbot.mouseClick(by_name(win, "Answered", QPushButton), Qt.MouseButton.LeftButton)
    by_name(win, "Disposition", QComboBox).setCurrentIndex(2)
    qtbot.keyClicks(by_name(win, "Notes", QPlainTextEdit), "They want a quote by Friday")
    times_before = win.call.session.times
    # The app dies here, right after the last keystroke: no clean shutdown, nothing logged,
    # no time for the debounced flush.
    win._draft_timer.stop()
    close(qtbot, aio, first)
    clock.advance(60)

    win2 = make_window(sandbox, clock=clock, drafts=True, outbox_name="app").win
    qtbot.waitUntil(lambda: win2.prospect is not None and win2.prospect.first_name != "")
    assert win2.call.session.state is CallState.CONNECTED
    assert win2.call.session.times == times_before
    assert by_name(win2, "Elapsed time", QLabel).text() == "1:03"  # counted from the dial
    assert by_name(win2, "Notes", QPlainTextEdit).toPlainText() == "They want a quote by Friday"
    assert by_name(win2, "Disposition", QComboBox).currentIndex() == 2
    assert win2.prospect is not None
    assert win2.prospect.id == prospect["id"]
    assert "Reopened" in win2.log_message.text()
