"""The day's count where the rep sees it: the status bar (with the goal set in Settings) and the
tray's tooltip; and the queue folded to one line while a call is on."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from PySide6.QtWidgets import QDialogButtonBox, QLabel, QListView, QSpinBox

from dialer_app.core import settings as s
from dialer_app.core.outbox import Counts, Outbox
from dialer_app.core.today import DayTally
from dialer_app.ui.tray import Tray
from tests.support.qt import by_name


def test_the_goal_set_in_settings_shows_with_todays_count(
    qtbot: Any, sandbox: Any, make_window: Any
) -> None:
    opened = make_window(sandbox)
    win, queue = opened.win, opened.queue
    qtbot.waitUntil(lambda: queue.loaded and not queue.reading, timeout=15_000)
    label = by_name(win, "Today's calls", QLabel)
    calls = queue.today.calls
    assert label.text() == (f"Today {calls}" if calls else "")  # no "Today 0" without a goal
    assert label.isHidden() == (calls == 0)
    dialog = win.show_settings()
    by_name(dialog, "Daily call goal", QSpinBox).setValue(25)
    with qtbot.waitSignal(dialog.applied):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert opened.settings.get(s.DAILY_CALL_GOAL) == 25
    assert label.text() == f"Today {calls}/25"
    assert "(goal 25: " in label.toolTip()


def test_the_tray_tells_the_sync_state_and_the_day(qtbot: Any, offline: Any, tmp_path: Any) -> None:
    window = QLabel()
    qtbot.addWidget(window)
    tray = Tray(window, offline(Outbox(tmp_path / "outbox.sqlite3")).logbook)
    tray.show_counts(Counts(waiting=2))
    tray.show_today(DayTally(calls=12, connects=4, talk=timedelta(minutes=38), goal=60))
    tip = tray.toolTip()
    assert "2 waiting to sync" in tip
    assert "12 calls, 4 connects, 38 min talk time today (goal 60: 48 to go)" in tip
    tray.show_counts(Counts())
    assert "All calls synced" in tray.toolTip()
    assert "12 calls" in tray.toolTip(), "the day stays when the sync state changes"


def test_the_list_folds_to_one_line_while_a_call_is_on(
    qtbot: Any, sandbox: Any, make_window: Any
) -> None:
    opened = make_window(sandbox)
    win, queue = opened.win, opened.queue
    qtbot.waitUntil(lambda: queue.loaded and not queue.reading, timeout=15_000)
    listed = by_name(win, "Call tasks", QListView)
    line = by_name(win, "Next call task", QLabel)
    assert listed.isVisible()
    assert not line.isVisible()
    win.call.answered.click()  # a call comes in
    assert not listed.isVisible()
    assert line.isVisible()
    assert line.text().startswith(f"Call tasks: {queue.count()} due")
    win.call.hang_up.click()
    assert not listed.isVisible(), "still folded during the wrap-up"
    win.discard_button.click()
    assert listed.isVisible()
