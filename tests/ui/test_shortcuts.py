"""Shortcuts: one table (`ui.shortcuts`), each editable one changed in Settings, a key that
another shortcut, the text fields or the desktop already use refused next to its field; the
keys kept for the call-task queue stay free; switching between calls works from any field."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialogButtonBox,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from dialer_app.core import settings as s
from dialer_app.core.softphone.events import make_event
from dialer_app.ui import shortcuts as keys
from dialer_app.ui.settings_dialog import SettingsDialog
from tests.support.prospects import numbers_with_one_prospect
from tests.support.qt import by_name, phase

README = Path(__file__).resolve().parents[2] / "README.md"
WINDOW = [sc for sc in keys.ALL if sc.editable and sc.scope == "window"]


def _concrete(keymap: keys.KeyMap) -> dict[str, list[str]]:
    """Every concrete key in force → the shortcuts it triggers."""
    taken: dict[str, list[str]] = {}
    for sc in keys.ALL:
        for key in keymap.keys(sc):
            for one in keys._expanded((key,)):
                taken.setdefault(keys.canonical(one) or one, []).append(sc.id)
    return taken


def test_the_default_keys_are_each_one_shortcut_s_and_the_queue_s_as_documented(qtbot) -> None:
    keymap = keys.KeyMap()
    for key, ids in _concrete(keymap).items():
        ids = [i for i in ids if not keys.BY_ID[i].twin]
        assert len(ids) <= 1, (key, ids)
    concrete = _concrete(keymap)
    assert concrete["F8"] == ["next_task"]
    assert concrete["Ctrl+Shift+Return"] == concrete["Ctrl+Shift+Enter"] == ["log_and_next"]
    for sc in keys.ALL:
        if sc.editable:
            assert keymap.problem(sc, keymap.text(sc)) == "", sc.id


any_key = st.builds(
    lambda mods, key: "+".join([*mods, key]),
    st.lists(st.sampled_from(["Ctrl", "Alt", "Shift", "Meta"]), unique=True, max_size=3),
    st.sampled_from(
        [*"ABDFHLMOPSUZ1", "F5", "F6", "F7", "F8", "F9", "Return", "PgDown", "PgUp", ",", "Del"]
    ),
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from([sc.id for sc in keys.ALL if sc.editable]), any_key))
def test_keys_accepted_one_by_one_never_share_a_key_or_take_a_kept_one(chosen) -> None:
    """Take the rep's keys one field at a time, as the dialog does (a refused key is not
    saved): what is accepted never gives two shortcuts one key, nor a key kept elsewhere."""
    accepted: dict[str, str] = {}
    for sid, key in chosen.items():
        trial = keys.KeyMap({**accepted, sid: key})
        if not trial.problem(keys.BY_ID[sid], key):
            accepted[sid] = key
    keymap = keys.KeyMap(accepted)
    for key, ids in _concrete(keymap).items():
        assert key not in keys.RESERVED
        assert key not in keys.TAKEN
        owners = {keys.BY_ID[i].twin or i for i in ids}
        assert len(owners) <= 1, (key, ids)


def _dialog(qtbot, win) -> SettingsDialog:
    qtbot.keyClick(win, ",", Qt.KeyboardModifier.ControlModifier)
    dialog = win.settings_dialog
    assert dialog is not None
    dialog.tabs.setCurrentIndex(dialog.tabs.indexOf(dialog.shortcuts))
    return dialog


def test_a_changed_key_works_at_once_and_the_old_one_no_longer(qtbot, sandbox, make_window) -> None:
    opened = make_window(sandbox)
    win = opened.win
    dialog = _dialog(qtbot, win)
    edit = by_name(dialog, "Dial key", QKeySequenceEdit)
    edit.setKeySequence(QKeySequence("F12"))
    assert not by_name(dialog, "Dial key error", QLabel).isVisible()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert win.settings.shortcuts() == {"dial": "F12"}
    assert "F12" in by_name(win, "Dial", QPushButton).toolTip()
    qtbot.keyClick(win, Qt.Key.Key_F5)
    assert phase(win) == "idle"
    qtbot.keyClick(win, Qt.Key.Key_F12)
    qtbot.waitUntil(lambda: phase(win) == "ringing")


def test_a_key_in_use_is_refused_next_to_its_field(qtbot, sandbox, make_window) -> None:
    opened = make_window(sandbox)
    win = opened.win
    dialog = _dialog(qtbot, win)
    edit = by_name(dialog, "Dial key", QKeySequenceEdit)
    error = by_name(dialog, "Dial key error", QLabel)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    for key, says in (
        ("Ctrl+O", "already does “Open the outbox”"),
        ("F8", "already does “Call tasks: open the next task's prospect"),
        ("Ctrl+Shift+Return", "already does “Log & next"),
        ("Ctrl+C", "text fields"),
        ("D", "typed into the fields"),
        ("Alt+D", "Wrap-up: to Disposition"),
        ("Alt+4", "Call the card's first…ninth number"),
        ("Ctrl+Alt+F2", "the desktop"),
    ):
        edit.setKeySequence(QKeySequence(key))
        assert error.isVisible(), key
        assert says in error.text(), (key, error.text())
        assert says in error.accessibleDescription()
        assert not save.isEnabled()
    edit.clear()  # no key at all is allowed
    assert not error.isVisible()
    assert save.isEnabled()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert win.settings.shortcuts() == {}  # nothing saved


def test_keys_are_kept_across_a_restart(qtbot, sandbox, make_window, tmp_path) -> None:
    saved = s.Settings(tmp_path / "settings.json")
    saved.set_shortcuts({"compact": "Ctrl+Shift+M"})
    opened = make_window(sandbox, settings=s.Settings(tmp_path / "settings.json"))
    win = opened.win
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert not win.compact
    qtbot.keyClick(
        win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert win.compact


def test_switching_calls_works_from_every_field(qtbot, sandbox, make_window) -> None:
    people = numbers_with_one_prospect(sandbox, 2)
    opened = make_window(sandbox)
    win = opened.win
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    for n, who in enumerate(people):
        win.apply_call_event(make_event("incoming", who.number, call_id=f"in-{n}"))
        win.apply_call_event(make_event("ended", who.number, call_id=f"in-{n}"))
    title = by_name(win, "Wrap-up call", QLabel)
    qtbot.waitUntil(lambda: people[0].name in title.text())
    fields = [
        by_name(win, "Notes", QPlainTextEdit),
        by_name(win, "Tags", QLineEdit),
        by_name(win, "Prospect search", QLineEdit),
        by_name(win, "Disposition", QComboBox),
        by_name(win, "Recording link", QLineEdit),
    ]
    for field in fields:
        field.setFocus()
        qtbot.waitUntil(lambda f=field: QApplication.focusWidget() is f)
        before = title.text()
        qtbot.keyClick(field, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
        assert title.text() != before, field.accessibleName()
        qtbot.keyClick(
            QApplication.focusWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier
        )
        assert title.text() == before, field.accessibleName()


def test_the_readme_lists_every_shortcut() -> None:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("### Keyboard shortcuts") :]
    table = table[: table.index("\n## ")]
    for sc in keys.ALL:
        row = next((line for line in table.splitlines() if sc.action in line), "")
        assert row, f"{sc.action} is not in the README's shortcut table"
        for key in sc.keys:
            assert key in row, (sc.id, key)
    assert not re.search(r"\bF8\b.*(next|previous) one into the wrap-up", text)


# Where each row of the README's table of dialog keys is built.
_DIALOG_SOURCES = {
    "Outbox": "outbox_view.py",
    "Adding the number to a prospect": "pick_prospect.py",
    "New prospect": "new_prospect.py",
    "Settings": "settings_dialog.py",
    "Compact mode's wrap-up": "compact.py",
}


def test_the_readme_says_the_dialogs_keys_as_qt_reads_them(qapp) -> None:
    """Each `Alt+X *Label*` of the README is a label or button of that dialog whose text Qt
    gives that key (`QKeySequence.mnemonic`), and every such text there is listed."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index("In the dialogs and in compact mode") :]
    table = table[: table.index("\n\n", table.index("| where |"))]
    rows = [line for line in table.splitlines() if line.startswith("| ") and "Alt+" in line]
    ui = Path(keys.__file__).parent
    assert {row.split(" | ")[0][2:].split(" (")[0] for row in rows} == set(_DIALOG_SOURCES)
    for row in rows:
        where, said = row[2:].split(" | ", 1)
        source = (ui / _DIALOG_SOURCES[where.split(" (")[0]]).read_text(encoding="utf-8")
        literals = {
            t for t in re.findall(r'"([^"\n]*&[^"\n]*)"', source) if t.strip("&") and "&&" not in t
        }
        documented = dict(re.findall(r"(Alt\+\w) \*([^*]+)\*", said))
        given = [(QKeySequence.mnemonic(t).toString(), t.replace("&", "")) for t in literals]
        assert len({key for key, _ in given}) == len(given), f"{where}: one key, two labels"
        assert dict(given) == documented, where
