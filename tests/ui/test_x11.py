"""On a real X server (Xvfb), keys sent as a keyboard sends them (xdotool): the global shortcuts
reach the window while another app has the keyboard — and that app does not get them —, a key
another app holds is refused next to its field, and a picked tag suggestion leaves its box
empty (the bug showed on X11 only)."""

from __future__ import annotations

import os
import selectors
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QCheckBox, QDialogButtonBox, QLabel, QLineEdit

from dialer_app.core import settings as s
from dialer_app.services.hotkeys import GlobalHotkeys, X11Backend
from tests.packaging.xdisplay import XVFB, xvfb
from tests.support.qt import by_name, phase, type_query

XDOTOOL = shutil.which("xdotool")
ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(XVFB is None or XDOTOOL is None, reason="needs Xvfb and xdotool"),
]

# Another app with a text field, as a rep's mail client would be: it prints what it is typed.
OTHER_APP = """
import sys
from PySide6.QtWidgets import QApplication, QLineEdit
app = QApplication(sys.argv)
box = QLineEdit()
box.setWindowTitle(sys.argv[1])
box.textChanged.connect(lambda text: print("TEXT " + text, flush=True))
box.resize(300, 40)
box.show()
print("READY", flush=True)
app.exec()
"""

TAGS_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from dialer_app.ui.tags import TagsEdit
app = QApplication(sys.argv)
tags = TagsEdit()
tags.setWindowTitle(sys.argv[1])
tags.set_suggestions(["budget", "no-answer", "follow-up"])
tags.resize(400, 80)
tags.show()
tags.input.setFocus()
tags.changed.connect(lambda: print("TAGS " + "|".join(tags.chips()) + " BOX " + tags.input.text(),
                                   flush=True))
print("READY", flush=True)
app.exec()
"""


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xvfb() as name:
        yield name


def _xdotool(display: str, *args: str) -> str:
    assert XDOTOOL is not None
    env = {**os.environ, "DISPLAY": display}
    return subprocess.run(
        [XDOTOOL, *args], env=env, capture_output=True, text=True, check=True, timeout=30
    ).stdout


class App:
    """A small Qt app on the X server, in a process of its own, reporting on stdout."""

    def __init__(self, display: str, code: str, title: str) -> None:
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, title],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.lines: list[str] = []
        self._pending = b""
        assert self.read_until(lambda line: line == "READY")
        window = _xdotool(display, "search", "--sync", "--name", title).split()[0]
        _xdotool(display, "windowfocus", "--sync", window)  # the keyboard is this app's

    def read_until(self, done: Any, timeout: float = 15.0) -> bool:
        """Read its lines until one satisfies `done`; False at its end or after `timeout`."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                while b"\n" in self._pending:
                    line, self._pending = self._pending.split(b"\n", 1)
                    self.lines.append(line.decode())
                    if done(self.lines[-1]):
                        return True
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return False
                chunk = os.read(fd, 65536)
                if not chunk:
                    return False
                self._pending += chunk

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _open_with_hotkeys(qtbot: Any, sandbox: Any, make_window: Any, display: str) -> Any:
    opened = make_window(sandbox)
    win = opened.win
    win.set_hotkeys(GlobalHotkeys(lambda emit: X11Backend(emit, display=display), "xcb"))
    return opened


def _turn_on_in_settings(qtbot: Any, win: Any) -> Any:
    dialog = win.show_settings()
    dialog.tabs.setCurrentIndex(dialog.tabs.indexOf(dialog.shortcuts))
    check = by_name(dialog, "Global shortcuts", QCheckBox)
    assert check.isEnabled()  # X11 can
    check.setChecked(True)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    return dialog


def test_global_shortcuts_work_while_another_app_has_the_keyboard(
    qtbot, sandbox, make_window, display
) -> None:
    opened = _open_with_hotkeys(qtbot, sandbox, make_window, display)
    win, service = opened.win, opened
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), "a")
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        win.search._choose(0)
    other = App(display, OTHER_APP, "Mail client")
    try:
        _xdotool(display, "type", "hi")
        assert other.read_until(lambda line: line == "TEXT hi")  # it has the keyboard
        assert not win.settings.get(s.GLOBAL_SHORTCUTS)  # off until turned on
        _xdotool(display, "key", "ctrl+alt+shift+d")
        _xdotool(display, "type", "!")
        assert other.read_until(lambda line: line == "TEXT hi!")
        assert phase(win) == "idle"  # off: the key went to the other app, not here

        dialog = _turn_on_in_settings(qtbot, win)
        assert not dialog.isVisible()  # saved
        assert win.settings.get(s.GLOBAL_SHORTCUTS)
        _xdotool(display, "key", "ctrl+alt+shift+d")
        qtbot.waitUntil(lambda: phase(win) == "ringing", timeout=5000)
        _xdotool(display, "key", "ctrl+alt+shift+a")
        qtbot.waitUntil(lambda: phase(win) == "live", timeout=5000)
        _xdotool(display, "key", "ctrl+alt+shift+h")
        qtbot.waitUntil(lambda: phase(win) == "wrapping", timeout=5000)
        win.wrapup.disposition.setCurrentIndex(1)
        with qtbot.waitSignal(service.logbook.callQueued, timeout=10_000):
            _xdotool(display, "key", "ctrl+alt+shift+l")
        _xdotool(display, "type", "?")
        assert other.read_until(lambda line: line == "TEXT hi!?")  # it kept the keyboard
        assert not any(line.startswith("TEXT hi!") and line[-1:] in "dahl" for line in other.lines)
    finally:
        other.stop()
        win.set_hotkeys(None)  # the keys go back


def test_a_global_key_another_app_holds_is_refused_next_to_its_field(
    qtbot, sandbox, make_window, display
) -> None:
    holder = GlobalHotkeys(lambda emit: X11Backend(emit, display=display), "xcb")
    assert holder.apply({"dial": "Ctrl+Alt+Shift+D"}) == {}  # another app has it
    opened = _open_with_hotkeys(qtbot, sandbox, make_window, display)
    win = opened.win
    try:
        dialog = _turn_on_in_settings(qtbot, win)
        assert dialog.isVisible()  # not saved
        error = by_name(dialog, "Dial from any app key error", QLabel)
        assert error.isVisible()
        assert "taken by another app" in error.text()
        assert not win.settings.get(s.GLOBAL_SHORTCUTS)
        assert win.hotkeys is not None
        assert win.hotkeys.keys == {}  # all or nothing: no half set
        holder.close()
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
        assert not dialog.isVisible()
        assert set(win.hotkeys.keys) == {"dial", "answered", "hang_up", "log"}
    finally:
        holder.close()
        win.set_hotkeys(None)


def test_a_picked_tag_suggestion_leaves_the_box_empty_on_x11(display) -> None:
    app = App(display, TAGS_APP, "Tags")
    try:
        _xdotool(display, "type", "bud")
        _xdotool(display, "key", "Down")
        _xdotool(display, "key", "Return")
        assert app.read_until(lambda line: line == "TAGS budget BOX ")
        _xdotool(display, "type", "no-answer")
        _xdotool(display, "key", "Return")
        assert app.read_until(lambda line: line == "TAGS budget|no-answer BOX ")
        assert not any("budgetno" in line for line in app.lines)
    finally:
        app.stop()
