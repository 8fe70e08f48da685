"""Compact mode: small and on top while calling, the wrap-up opens on hang-up; remembered."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton, QWidget

from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name, phase


def test_compact_mode_is_small_on_top_and_opens_the_wrap_up_on_hang_up(qtbot, sandbox, make_window):
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
    assert win._wrap_box.isVisible()  # wrapping up needs the form
    win.set_compact(False)
    assert not win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert win.height() == full_height


def test_geometry_and_mode_are_remembered(qtbot, aio, tmp_path):
    state = tmp_path / "window.ini"

    async def never() -> Backend:
        raise RuntimeError("not needed")

    outboxes: list[Outbox] = []

    def window() -> MainWindow:
        outbox = Outbox(tmp_path / "outbox.sqlite3")
        outboxes.append(outbox)
        services = build_services(never, outbox)
        win = MainWindow(services, CallDesk(FakeClock(datetime.now(UTC))), state_file=state)
        qtbot.addWidget(win)
        win.show()
        return win

    first = window()
    first.resize(500, 700)
    first.set_compact(True)
    first.close()
    outboxes[0].close()
    second = window()
    assert second.compact
    assert second.width() == 500
    outboxes[1].close()


def test_the_status_bar_fits_the_default_width_without_cutting_a_word(
    qtbot, sandbox, make_window
) -> None:
    win = make_window(sandbox).win
    win.resize(460, 860)
    qtbot.waitUntil(lambda: win.connection_label.text() != "Connecting…")
    bar = win.statusBar()
    shown = [w for w in bar.findChildren(QWidget) if w.parent() is bar and w.isVisible()]
    assert {win.mode_label, win.connection_label, win.outbox_label, win.menu_button} <= set(shown)
    qtbot.waitUntil(lambda: all(w.width() >= w.minimumSizeHint().width() for w in shown))
    for widget in (win.connection_label, win.outbox_label, win.account_button):
        assert widget.width() >= widget.sizeHint().width(), widget.accessibleName() or widget.text()
