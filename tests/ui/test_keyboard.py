"""A rep can find, dial, talk, wrap up and log with keys alone."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit

from dialer_app.core.uri import dial_uri
from dialer_app.ui import shortcuts as keys
from tests.support.qt import by_name, end_a_call, phase, type_query


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


def test_the_whole_path_with_keys_alone(qtbot, sandbox, make_window) -> None:
    with sandbox.client() as api:
        people = api.get("/prospects", params={"page[size]": 200}).json()["data"]
    prospect = next(
        p for p in people if not p["attributes"]["callOptedOut"] and p["attributes"]["workPhones"]
    )
    opened = make_window(sandbox)
    win, service, clock = opened.win, opened, opened.clock
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)

    _key(qtbot, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    box = by_name(win, "Prospect search", QLineEdit)
    assert QApplication.focusWidget() is box
    type_query(qtbot, service, box, prospect["attributes"]["emails"][0])
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_Return)

    _key(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # call the first number
    first = win.card.detail.prospect.phone_numbers[0]
    assert opened.handed == [dial_uri("tel", first.number, first.extension)]
    assert phase(win) == "ringing"
    clock.advance(5)
    _key(qtbot, Qt.Key.Key_F6)  # button shortcuts click after a short visible press
    qtbot.waitUntil(lambda: phase(win) == "live")
    clock.advance(40)
    _key(qtbot, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: phase(win) == "wrapping")

    disposition = by_name(win, "Disposition", QComboBox)
    assert QApplication.focusWidget() is disposition  # wrap-up starts where the rep needs it
    _key(qtbot, Qt.Key.Key_2)  # dispositions are numbered: 2 picks the second
    assert disposition.currentIndex() == 2
    _key(qtbot, Qt.Key.Key_Tab)
    _key(qtbot, Qt.Key.Key_Down)  # first purpose
    _key(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "follow-up")
    _key(qtbot, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), "Asked for pricing.")
    with qtbot.waitSignal(service.logbook.callSent, timeout=10_000) as sent:
        _key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    entry = sent.args[0]
    attrs = entry.call.attributes
    assert attrs.note == "Asked for pricing."
    assert attrs.tags == ["follow-up"]
    assert attrs.outcome == "Answered"
    assert entry.call.relationships.callPurpose is not None
    assert QApplication.focusWidget() is box  # ready for the next call


# The wrap-up fields the shortcut table's Alt+letters go to, in the table's order (by the names
# a screen reader gives them).
FIELD_NAMES = ("Disposition", "Call purpose", "Tags", "Notes", "Sequence action", "Recording link")


def test_each_wrap_up_field_s_alt_key_goes_to_it_from_every_other_field(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win = opened.win
    win.activateWindow()
    end_a_call(qtbot, win, opened)
    assert phase(win) == "wrapping"
    assert len(keys.FIELDS.keys) == len(FIELD_NAMES)
    fields = {name: by_name(win, name) for name in FIELD_NAMES}
    missed = []
    for shortcut, name in zip(keys.FIELDS.keys, FIELD_NAMES, strict=True):
        combination = QKeySequence(shortcut)[0]
        for start, widget in fields.items():
            if start == name:
                continue
            widget.setFocus()
            qtbot.waitUntil(lambda widget=widget: QApplication.focusWidget() is widget)
            qtbot.keyClick(widget, combination.key(), combination.keyboardModifiers())
            if QApplication.focusWidget() is not fields[name]:
                missed.append(f"{shortcut} from {start}")
    assert missed == []
