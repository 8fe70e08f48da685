"""The window a start paints first is its frame — titled, the search box in sight with the keys in
it, where the window was left — and once built it is the very window built at once: the same
widgets in the same order (Tab goes the same way), with the same names, places, keys and menu,
in full or compact mode as it was left; the box it showed first stays where it was."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEventLoop, QPoint
from PySide6.QtGui import QAction, QShortcut
from PySide6.QtWidgets import QApplication, QWidget

from dialer_app.core import settings as s
from dialer_app.core.desk import CallDesk
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock


def _describe(widget: QWidget, window: QWidget) -> str:
    shown = "shown" if widget.isVisibleTo(window) else "hidden"
    # Where on the screen the window lands is the platform's (the offscreen one moves it a
    # little on each restore); its size and everything in it are the app's.
    place = widget.size().toTuple() if widget is window else widget.geometry().getRect()
    return (
        f"{type(widget).__name__} {widget.objectName()!r} {widget.accessibleName()!r}"
        f" {widget.focusPolicy().name} {shown} {place}"
    )


def structure(window: MainWindow) -> dict[str, Any]:
    """Everything a rep, a screen reader or Tab meets in `window`, in order."""
    chain = []
    widget = window.nextInFocusChain()
    while widget is not window and len(chain) < 5000:
        chain.append(_describe(widget, window))
        widget = widget.nextInFocusChain()

    def tree(parent: QWidget, depth: int) -> list[str]:
        lines = [f"{'  ' * depth}{_describe(parent, window)}"]
        for child in parent.children():
            if isinstance(child, QWidget) and not child.isWindow():
                lines += tree(child, depth + 1)
        return lines

    focus = QApplication.focusWidget()
    return {
        "focus chain": chain,
        "widgets": tree(window, 0),
        "keys": [(k.key().toString(), k.isEnabled()) for k in window.findChildren(QShortcut)],
        "menu": [a.text() for a in window.findChildren(QAction)],
        "size": (window.size().width(), window.size().height(), window.compact),
        "on top": window.windowFlags().value,
        "focus": _describe(focus, window) if focus is not None else None,
    }


def _painted(qtbot: Any, window: MainWindow) -> None:
    window.show()
    qtbot.waitExposed(window)
    QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)


def _leave(qtbot: Any, state: Path, *, compact: bool) -> tuple[int, int]:
    """A window closed as the rep left it (narrowed, in compact mode or not): its size."""
    window = MainWindow(None, CallDesk(FakeClock(datetime.now(UTC))), state_file=state)
    qtbot.addWidget(window)
    _painted(qtbot, window)
    window.resize(380, 700)
    window.set_compact(compact)
    QApplication.processEvents()
    window.close()
    return window.width(), window.height()


def test_the_frame_is_the_window_titled_with_its_search_box(qtbot: Any, tmp_path: Path) -> None:
    state = tmp_path / "window.ini"
    left = _leave(qtbot, state, compact=False)
    frame = MainWindow(None, None, state_file=state)
    qtbot.addWidget(frame)
    _painted(qtbot, frame)
    assert frame.windowTitle() == "Dialer Companion"
    assert not frame.built
    shown = [w.accessibleName() for w in frame.findChildren(QWidget) if w.isVisible()]
    assert [name for name in shown if name] == ["Prospect search"]
    assert QApplication.focusWidget() is frame.search.box
    assert (frame.width(), frame.height()) == left == (380, 700)
    with qtbot.waitSignal(frame.closed):  # closing it before it is built is a normal quit
        frame.close()


@pytest.mark.parametrize("compact", [False, True], ids=["full", "compact"])
def test_built_after_its_first_paint_it_is_the_window_built_at_once(
    qtbot: Any, tmp_path: Path, compact: bool
) -> None:
    state = tmp_path / "window.ini"
    _leave(qtbot, state, compact=compact)
    clock = FakeClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))

    at_once = MainWindow(None, CallDesk(clock), settings=s.Settings(), state_file=state)
    qtbot.addWidget(at_once)
    _painted(qtbot, at_once)
    expected = structure(at_once)
    at_once.hide()

    window = MainWindow(None, None, state_file=state)
    qtbot.addWidget(window)
    _painted(qtbot, window)
    box = window.search.box
    painted_at = (box.mapTo(window, QPoint(0, 0)).toTuple(), box.size().toTuple())
    window.build(CallDesk(clock), settings=s.Settings())
    QApplication.processEvents()
    assert window.built
    assert window.compact is compact
    got = structure(window)
    for part, value in expected.items():
        assert got[part] == value, part
    # the box the rep saw first did not move as the rest came in around it
    assert (box.mapTo(window, QPoint(0, 0)).toTuple(), box.size().toTuple()) == painted_at
