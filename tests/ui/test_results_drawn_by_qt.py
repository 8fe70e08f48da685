"""The search box's list of matches is painted by Qt alone, and shows what its rows say.

A paint that calls back into Python waits for the interpreter's lock whenever the sender's thread
holds it: the list's rows are pictures drawn when they change (`RowArt`), so a repaint runs no
Python at all — in any state (highlighted, greyed out, after a resize or a new font), whatever
the names hold. And the pictures are really there: each row shows ink, greyed-out rows none as
dark as text, and why a row matched ends at the list's right edge, whatever its width.
"""

from __future__ import annotations

import sys
from types import FrameType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.ui.models import RowArt
from dialer_app.ui.search_panel import SearchPanel
from dialer_app.ui.text import one_line


def repaint_calls(panel: SearchPanel) -> list[str]:
    """The Python functions Qt calls while it repaints the list (none, or it waits for them)."""
    called: list[str] = []

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if event == "call":
            called.append(f"{frame.f_code.co_qualname} ({frame.f_code.co_filename})")

    repaint = panel.results.viewport().repaint
    sys.setprofile(profile)
    try:
        repaint()
    finally:
        sys.setprofile(None)
    return called


names = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=60
) | st.sampled_from(["<b>Ann</b>", "Zoë ‮evil‬", "Ann\nLee", "&amp; Co", "李 小龍"])


@st.composite
def matches(draw: st.DrawFn) -> list[Match]:
    count = draw(st.integers(1, 21))
    return [
        Match(
            Prospect(
                i + 1,
                draw(names),
                draw(names),
                title=draw(names),
                company=draw(names),
            ),
            draw(st.sampled_from(["name", "company", "email a@b.example", "mobile +12125550100"])),
        )
        for i in range(count)
    ]


steps = st.lists(
    st.one_of(
        st.tuples(st.just("answer"), matches()),
        st.tuples(st.just("stale"), st.none()),
        st.tuples(st.just("down"), st.integers(1, 8)),
        st.tuples(st.just("width"), st.integers(180, 900)),
        st.tuples(st.just("font"), st.integers(7, 20)),
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=matches(), steps=steps)
def test_the_list_repaints_without_python_whatever_it_shows(qtbot, first, steps) -> None:
    holder = QWidget()  # (a panel of its own would be a window Qt resizes to fit it)
    qtbot.addWidget(holder)
    panel = SearchPanel(holder)
    panel.resize(440, 600)
    holder.show()
    panel.box.setText("q")
    panel.show_results("q", first)
    for step, value in steps:
        if step == "answer":
            panel.show_results("q", value)
        elif step == "stale":
            qtbot.keyClicks(panel.box, "x")  # a keystroke: the rows answer an earlier text
            panel.show_local(panel.box.text().strip(), [])  # and none kept here: greyed out
        elif step == "down" and panel.results.isVisible():
            for _ in range(value):
                qtbot.keyClick(QApplication.focusWidget() or panel.box, Qt.Key.Key_Down)
        elif step == "width":
            panel.resize(value, 600)
        elif step == "font":
            font = QFont(panel.results.font())
            font.setPointSize(value)
            panel.results.setFont(font)
        QApplication.processEvents()
        assert repaint_calls(panel) == []
        model = panel.model
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            match = model.match_at(row)
            assert match is not None
            assert index.data().split("\n")[0] == (one_line(match.prospect.name) or "(no name)")
            spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
            enabled = bool(model.flags(index) & Qt.ItemFlag.ItemIsEnabled)
            assert spoken.startswith("Earlier match") == model.stale == (not enabled)


def _ink(image: QImage, rect: QRect, background: QColor) -> list[tuple[int, int, int]]:
    """Where `rect` of `image` is not `background`: (x, y, lightness)."""
    out = []
    for y in range(rect.top(), rect.bottom() + 1):
        for x in range(rect.left(), rect.right() + 1):
            colour = image.pixelColor(x, y)
            if colour != background:
                out.append((x, y, colour.lightness()))
    return out


def _shown(qtbot, width: int, matches: list[Match]) -> tuple[QWidget, SearchPanel]:
    """A search panel on a window of its own, showing `matches` for "ann"."""
    holder = QWidget()
    qtbot.addWidget(holder)
    panel = SearchPanel(holder)
    panel.resize(width, 500)
    holder.show()
    panel.box.setText("ann")
    panel.show_results("ann", matches)
    QApplication.processEvents()
    return holder, panel


def test_each_row_shows_its_lines_and_greyed_out_rows_are_lighter(qtbot) -> None:
    people = [
        Match(Prospect(i, "Ann", f"Lee {i}", title="Director", company="Acme"), "name")
        for i in range(1, 4)
    ]
    _holder, panel = _shown(qtbot, 420, people)
    view = panel.results
    base = view.palette().color(QPalette.ColorRole.Base)
    text = QApplication.palette(view).color(QPalette.ColorRole.Text)
    image = view.viewport().grab().toImage()
    for row in (1, 2):  # not highlighted: text on the list's background
        ink = _ink(image, view.visualRect(panel.model.index(row, 0)), base)
        assert ink, f"row {row} is blank"
        assert min(lightness for *_, lightness in ink) <= text.lightness() + 40
    panel.show_local("anx", [])  # typed on: nothing kept here, the rows answer "ann"
    panel.box.setText("anx")
    panel.model.set_stale(True)
    QApplication.processEvents()
    image = view.viewport().grab().toImage()
    for row in range(3):
        ink = _ink(image, view.visualRect(panel.model.index(row, 0)), base)
        assert ink, f"greyed-out row {row} is blank"
        assert min(lightness for *_, lightness in ink) > text.lightness() + 40


def test_why_a_row_matched_ends_at_the_right_edge_whatever_the_width(qtbot) -> None:
    person = [Match(Prospect(1, "Ann", "Lee", company="Acme"), "company")]
    _holder, panel = _shown(qtbot, 300, person)
    view = panel.results
    base = view.palette().color(QPalette.ColorRole.Base)
    for width in (300, 640, 360):
        panel.resize(width, 500)
        QApplication.processEvents()
        assert repaint_calls(panel) == []
        panel.model.set_stale(True)  # not highlighted: ink on the list's background
        QApplication.processEvents()
        rect = view.visualRect(panel.model.index(0, 0))
        ink = _ink(view.viewport().grab().toImage(), rect, base)
        right = max(x for x, _y, _l in ink)
        assert rect.right() - RowArt.INSET - 4 <= right <= rect.right() - RowArt.INSET + 1
        panel.show_results("ann", person)
