"""A callback asked for at wrap-up, through the window: Alt+B, a digit, Enter, then the call is
logged with its callback — both in the outbox at once, the callback waiting for the call, the
rep told when it is due; a callback time that has passed is refused with the form kept."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from dialer_app.core.callbacks import Callback
from dialer_app.ui.callback import CallbackDialog
from tests.support.clock import FakeClock
from tests.support.qt import phase

Mod = Qt.KeyboardModifier


def _key(qtbot: Any, key: Qt.Key, modifier: Mod = Mod.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget() or QApplication.activeWindow(), key, modifier)


def _wrapping_up(qtbot: Any, opened: Any) -> None:
    """F8: the first call task's prospect; Alt+1 dials, F7 hangs up, 5 picks the disposition."""
    win = opened.win
    qtbot.waitUntil(lambda: opened.queue.loaded and not opened.queue.reading, timeout=15_000)
    qtbot.waitUntil(lambda: win.wrapup.disposition.count() > 1)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_F8)
    qtbot.waitUntil(lambda: win.card.detail is not None and win.card.detail.task is not None)
    _key(qtbot, Qt.Key.Key_1, Mod.AltModifier)
    opened.clock.advance(20)
    _key(qtbot, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: phase(win) == "wrapping")
    _key(qtbot, Qt.Key.Key_5)


def test_a_callback_is_logged_with_its_call(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox()
    opened = make_window(server)
    win = opened.win
    _wrapping_up(qtbot, opened)
    server.faults(error_rate=1.0, error_statuses=[503])  # from here Outreach is away
    prospect = win.card.detail.prospect

    def choose_next_week() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CallbackDialog)
        assert dialog.windowTitle() == "Call back"
        qtbot.keyClick(dialog.choices, Qt.Key.Key_3)
        qtbot.keyClick(dialog.choices, Qt.Key.Key_Return)

    QTimer.singleShot(0, choose_next_week)
    _key(qtbot, Qt.Key.Key_B, Mod.AltModifier)
    chosen = win.callback_row.callback
    assert chosen is not None
    assert chosen.at > opened.clock.now() + timedelta(days=1)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    with qtbot.waitSignal(opened.logbook.callQueued, timeout=5_000) as queued:
        _key(qtbot, Qt.Key.Key_Return, Mod.ControlModifier)
    call = queued.args[0]
    assert "and a callback " in win.log_message.text()
    (callback,) = [e for e in opened.outbox.followers(call.id) if e.kind == "callback"]
    assert callback.body["prospect"] == prospect.id
    assert callback.body["dueAt"] == chosen.at.isoformat()
    assert callback.body["owner"] == opened.connection.user.id
    assert [link.role for link in callback.waiting_for] == ["call"]
    assert callback.state == "waiting"
    assert callback.attempts == 0  # Outreach is away: the call waits, the callback behind it


def test_a_callback_time_that_has_passed_is_refused_and_nothing_is_logged(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    opened = make_window(make_sandbox())
    win = opened.win
    _wrapping_up(qtbot, opened)
    win.callback_row.set_callback(Callback(opened.clock.now() + timedelta(minutes=5), "later"))
    opened.clock.advance(600)  # the rep went for coffee: the time is now past
    _key(qtbot, Qt.Key.Key_Return, Mod.ControlModifier)
    assert "has passed" in win.callback_row.error.text()
    assert opened.outbox.entries() == []
    assert phase(win) == "wrapping", "the form is kept"


@pytest.mark.slow  # waits for the list to be read again after the call reaches Outreach
def test_a_callback_due_later_today_joins_the_list_once_outreach_has_it(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    """ "Call me in an hour": the callback is a call task of today, so the list shows it (read
    again after the call reaches Outreach), with the rep's note."""
    noon = datetime.combine(datetime.now().date(), time(12)).astimezone()  # the rep's midday
    opened = make_window(make_sandbox(), clock=FakeClock(noon))
    win, queue = opened.win, opened.queue
    _wrapping_up(qtbot, opened)
    win.callback_row.set_callback(Callback(opened.clock.now() + timedelta(hours=1), "in an hour"))
    with qtbot.waitSignal(opened.logbook.callQueued, timeout=5_000) as queued:
        _key(qtbot, Qt.Key.Key_Return, Mod.ControlModifier)
    (callback,) = [e for e in opened.outbox.followers(queued.args[0].id) if e.kind == "callback"]
    qtbot.waitUntil(lambda: opened.outbox.get(callback.id).state == "sent", timeout=15_000)
    task_id = opened.outbox.get(callback.id).outreach_id
    qtbot.waitUntil(lambda: task_id in {i.task_id for i in queue.items()}, timeout=20_000)
    (item,) = [i for i in queue.items() if i.task_id == task_id]
    assert item.note == "in an hour"
    assert item.prospect_id == callback.prospect_id
