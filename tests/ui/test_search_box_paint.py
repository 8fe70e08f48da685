"""The search box repaints without calling into Python, and a warmed list shows its first answer
without making Qt's types then.

The box is repainted at every keystroke and every blink of its cursor. Its keys (and the list's)
reach the panel through `keyPressEvent`, not an event filter, which Qt would call for every event
of the box, each paint included: a call into Python from the window's thread waits for the
interpreter's lock whenever the sender's thread holds it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from types import FrameType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.ui.search_panel import SearchPanel


def python_calls_while(action: Any) -> list[str]:
    """The Python functions called on this thread while `action` (a Qt method) runs."""
    called: list[str] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            called.append(f"{frame.f_code.co_qualname} ({frame.f_code.co_filename})")

    sys.setprofile(profile)
    try:
        action()
    finally:
        sys.setprofile(None)
    return called


def test_the_box_repaints_without_python_and_its_keys_still_work(qtbot) -> None:
    holder = QWidget()  # (a panel of its own would be a window Qt resizes to fit it)
    qtbot.addWidget(holder)
    panel = SearchPanel(holder)
    panel.resize(440, 500)
    holder.show()
    people = [Match(Prospect(i, "Ann", f"Lee {i}", company="Acme"), "name") for i in (1, 2, 3)]
    qtbot.keyClicks(panel.box, "ann")
    panel.show_results("ann", people)
    QApplication.processEvents()
    assert python_calls_while(panel.box.repaint) == []
    assert python_calls_while(panel.results.repaint) == []  # the list's frame (not its rows)
    chosen: list[Match] = []
    panel.matchChosen.connect(chosen.append)
    qtbot.keyClick(panel.box, Qt.Key.Key_Down)  # into the list, on the second match
    assert QApplication.focusWidget() is panel.results
    qtbot.keyClick(panel.results, Qt.Key.Key_Up)
    qtbot.keyClick(panel.results, Qt.Key.Key_Up)  # ↑ on the first row: back to the box
    assert QApplication.focusWidget() is panel.box
    qtbot.keyClick(panel.box, Qt.Key.Key_Down)
    qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    assert [m.prospect.id for m in chosen] == [2]


_FIRST_ANSWER = """
import os, sys
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.ui.search_panel import SearchPanel
holder = QWidget()
panel = SearchPanel(holder)
panel.resize(400, 400)
holder.show()
app.processEvents()
if sys.argv[1] == "warm":
    panel.warm()
made = []
def profile(frame, event, arg):
    if event == "call" and frame.f_code.co_name == "_create_":  # an enum type made
        made.append(frame.f_locals.get("class_name"))
panel.box.setText("ann")
sys.setprofile(profile)
panel.show_results("ann", [Match(Prospect(1, "Ann", "Lee", company="Acme"), "name")])
sys.setprofile(None)
print(len(made))
"""


def _types_made_by_the_first_answer(how: str) -> int:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", _FIRST_ANSWER, how],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=True,
    )
    return int(out.stdout.split()[-1])


def test_a_warmed_list_shows_its_first_answer_without_making_qt_types() -> None:
    """PySide makes the Python types of Qt's enums when first used: dozens of them when the
    list shows its first answer (measured: the first keystroke's matches painted in 37-45 ms
    on a slow machine, against about 10 ms for the next). The window warms the list once idle
    after start; then the first answer finds them made."""
    assert _types_made_by_the_first_answer("cold") > 20
    assert _types_made_by_the_first_answer("warm") <= 4
