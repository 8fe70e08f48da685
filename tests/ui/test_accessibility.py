"""Every control and every value a rep needs, as a screen reader gets them from Qt: each control
has a name (or a label naming it), each label showing a value under a fixed name carries the
value in its description, and status changes are announced. (`test_atspi.py` reads the same
through AT-SPI, as Orca does.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QDialog,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QListView,
    QMessageBox,
    QPlainTextEdit,
    QWidget,
)

from dialer_app.core.softphone.events import make_event
from dialer_app.ui import widgets
from dialer_app.ui.widgets import ValueLabel
from tests.support.qt import by_name, end_a_call, type_query
from tests.support.recorded_writes import RecordedWrites

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QPlainTextEdit, QListView, QAbstractSpinBox)


def _labelled(widget: QWidget) -> bool:
    """A label that shows names this widget for a screen reader (its buddy)."""
    window = widget.window()
    return any(
        label.buddy() is widget and label.isVisibleTo(window)
        for label in window.findChildren(QLabel)
    )


def check_names(root: QWidget) -> None:
    for widget in root.findChildren(QWidget):
        if not widget.isVisibleTo(root) or isinstance(
            widget.parent(), (QAbstractSpinBox, QComboBox, QKeySequenceEdit)
        ):
            continue  # a spin box's or a list's own parts: named by it
        if isinstance(widget, CONTROLS):
            named = widget.accessibleName() or _labelled(widget)
            if isinstance(widget, QAbstractButton):
                named = named or widget.text().strip("&× ")
            assert named, (type(widget).__name__, widget.objectName(), widget.toolTip())
        if isinstance(widget, ValueLabel):
            shown = widget.text().replace("\n", ". ")
            assert widget.accessibleDescription() == shown or widget.textFormat().name != (
                "PlainText"
            ), (widget.accessibleName(), widget.text(), widget.accessibleDescription())


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What was announced to a screen reader (none listens here: recorded instead)."""
    said: list[str] = []

    def record(_widget: Any, text: str, *, urgent: bool = False) -> None:
        said.append(text)

    monkeypatch.setattr(widgets, "announce", record)
    return said


def test_every_control_has_a_name_and_every_value_label_its_value(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    check_names(win)  # idle
    end_a_call(qtbot, win, service)  # a card, a call in the wrap-up
    check_names(win)
    assert "local time" in by_name(win, "Prospect local time", QLabel).accessibleDescription()
    for name in ("Active sequence", "Open call task", "Last calls", "Elapsed time", "Sync status"):
        label = by_name(win, name, QLabel)
        assert label.accessibleDescription(), name
    win.set_compact(True)
    check_names(win)  # compact mode's own wrap-up too
    win.set_compact(False)
    dialog = win.show_settings()
    for tab in range(dialog.tabs.count()):
        dialog.tabs.setCurrentIndex(tab)
        check_names(dialog)
    dialog.close()


def test_status_changes_are_announced(qtbot, sandbox, make_window, heard) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    end_a_call(qtbot, win, service)
    assert any(text.startswith("Ended") for text in heard)  # the call's state
    heard.clear()
    with qtbot.waitSignal(service.logbook.callSent, timeout=10_000):
        win.log_button.click()
    qtbot.waitUntil(lambda: any("logged in Outreach" in text for text in heard))
    assert any("saved; syncing" in text for text in heard)  # each step, as it happens
    by_name(win, "Prospect search", QLineEdit).clear()
    end_a_call(qtbot, win, service)
    heard.clear()
    win._on_discard_button_clicked()
    assert any("discarded" in text for text in heard)  # the undo bar, said once
    count = len(heard)
    win._render_undo()
    assert len(heard) == count  # not again each second it counts down
    heard.clear()
    box = by_name(win, "Prospect search", QLineEdit)
    box.clear()
    type_query(qtbot, service, box, "a")
    # the answer is said; the "Searching…" of each keystroke is not
    assert not any(text.startswith("Searching") for text in heard)
    assert any("matches" in text for text in heard)


def test_the_sync_state_is_said_when_it_changes_kind_not_at_each_call(
    qtbot, sandbox, make_window, heard
) -> None:
    from dialer_app.core.outbox import Counts

    win = make_window(sandbox).win
    heard.clear()
    for left in range(40, 0, -1):
        win._show_outbox_counts(Counts(waiting=left), None)
    win._show_outbox_counts(Counts(), None)
    assert heard == ["40 to sync", "All calls synced"]
    win._show_outbox_counts(Counts(attention=2), None)
    assert heard[-1] == "2 need attention"


def test_an_error_next_to_a_field_is_announced_at_once(
    qtbot, sandbox, make_window, monkeypatch
) -> None:
    said: list[tuple[str, bool]] = []
    monkeypatch.setattr(
        widgets, "announce", lambda _w, text, *, urgent=False: said.append((text, urgent))
    )
    opened = make_window(sandbox)
    win = opened.win
    win.call.dial.click()
    win.call.hang_up.click()
    win.log_button.click()  # no prospect: refused, and said
    errors = [text for text, flag in said if flag]  # said at once, before anything else
    shown = win.wrapup.general_error.text()
    assert "assign the call" in shown  # the refusal, next to the form
    assert shown in errors, said  # and said at once, word for word


def _readme_names() -> set[str]:
    """The names the README's "Names a screen reader hears" gives (in italics)."""
    text = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = text.index("**Names a screen reader hears**")
    paragraph = text[start : text.index("\n\n", start)].replace("**", "")
    return {" ".join(name.split()) for name in re.findall(r"\*([^*]+)\*", paragraph)}


def test_every_name_the_readme_gives_is_one_a_screen_reader_finds(
    qtbot, sandbox, make_window, monkeypatch
) -> None:
    opened = make_window(sandbox)
    win = opened.win
    win.prospect_actions.attach(RecordedWrites())
    monkeypatch.setattr(QMessageBox, "question", lambda *_: QMessageBox.StandardButton.Yes)
    found: set[str] = set()

    def look() -> None:
        for widget in win.findChildren(QWidget):
            found.add(widget.accessibleName())

    look()  # idle
    end_a_call(qtbot, win, opened)  # a card, a call in the wrap-up
    look()
    numbers = [b.accessibleName() for b in win.card.number_buttons]
    assert numbers
    assert all(name.startswith("Call ") for name in numbers)
    win.discard_button.click()
    win.card.number_buttons[0].click()  # a call to a number of the card
    win.call.hang_up.click()
    win.prospect_actions.bad_number()  # the button reads the other way now
    win.prospect_actions.refer()  # the picker
    look()
    for dialog in win.findChildren(QDialog):
        dialog.reject()
    win.discard_button.click()  # the undo bar
    look()
    win.apply_call_event(make_event("incoming", "+12025550198", call_id="unknown"))
    qtbot.waitUntil(lambda: win.prospect_actions.unknown_bar.isVisible(), timeout=10_000)
    look()
    names = _readme_names() - {"Call"}  # "Call" begins each number's name (above)
    assert len(names) > 30
    assert names - found == set()
