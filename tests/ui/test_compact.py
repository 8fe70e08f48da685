"""Compact mode: small and on top while calling, the wrap-up opens on hang-up; remembered."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.services.dialer import Backend, DialerService
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name, phase


def test_compact_mode_is_small_on_top_and_opens_its_wrap_up_on_hang_up(qtbot, sandbox, make_window):
    opened = make_window(sandbox)
    win = opened.win
    full_height = win.height()
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert win.compact
    assert win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert not win._wrap_box.isVisible()
    assert win.height() < full_height / 2
    by_name(win, "Dial", QPushButton).click()
    by_name(win, "Hang up", QPushButton).click()
    assert phase(win) == "wrapping"
    assert win.compact_wrap.isVisible()  # its own wrap-up, not the full form
    assert not win._wrap_box.isVisible()
    win.set_compact(False)
    assert not win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert win.height() == full_height


def test_geometry_and_mode_are_remembered(qtbot, aio, tmp_path):
    state = tmp_path / "window.ini"

    async def never() -> Backend:
        raise RuntimeError("not needed")

    def window() -> MainWindow:
        outbox = Outbox(tmp_path / "outbox.sqlite3")
        service = DialerService(TaskRunner(), never, outbox)
        win = MainWindow(service, CallDesk(FakeClock(datetime.now(UTC))), state_file=state)
        qtbot.addWidget(win)
        win.show()
        return win

    first = window()
    first.resize(500, 700)
    first.set_compact(True)
    first.close()
    first.service.outbox.close()
    second = window()
    assert second.compact
    assert second.width() == 500
    second.service.outbox.close()
