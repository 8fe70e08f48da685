"""The settings dialog: values saved only on Save, wrong hours refused next to the field."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
)

from dialer_app.core import settings as s
from dialer_app.ui import shortcuts
from dialer_app.ui.settings_dialog import SettingsDialog
from tests.support.qt import by_name


def _dialog(qtbot, tmp_path) -> SettingsDialog:
    dialog = SettingsDialog(s.Settings(tmp_path / "settings.json"))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_saved_values_survive_a_restart(qtbot, tmp_path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    scheme = by_name(dialog, "Softphone link", QComboBox)
    scheme.setCurrentIndex(scheme.findData("sip"))
    region = by_name(dialog, "Default phone region", QComboBox)
    region.setCurrentIndex(region.findData("GB"))
    assert "United Kingdom" in region.currentText()
    by_name(dialog, "Calling hours start", QSpinBox).setValue(9)
    by_name(dialog, "Calling hours end", QSpinBox).setValue(17)
    by_name(dialog, "Complete call tasks", QCheckBox).setChecked(True)
    ask = by_name(dialog, "Ask outside calling hours", QCheckBox)
    assert ask.isChecked()  # on unless turned off
    ask.setChecked(False)
    with qtbot.waitSignal(dialog.applied):
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    again = s.Settings(tmp_path / "settings.json")
    assert again.get(s.DIAL_SCHEME) == "sip"
    assert again.get(s.REGION) == "GB"
    assert (again.get(s.CALL_HOURS_START), again.get(s.CALL_HOURS_END)) == (9, 17)
    assert again.get(s.COMPLETE_CALL_TASK) is True
    assert again.get(s.CONFIRM_OUTSIDE_HOURS) is False


def test_hours_that_end_before_they_start_are_refused_next_to_the_field(qtbot, tmp_path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    by_name(dialog, "Calling hours start", QSpinBox).setValue(18)
    by_name(dialog, "Calling hours end", QSpinBox).setValue(9)
    assert dialog.hours_error.isVisible()
    assert "end after they start" in dialog.hours_error.text()
    assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Save).isEnabled()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel).click()
    assert s.Settings(tmp_path / "settings.json").get(s.CALL_HOURS_START) == 8  # nothing saved


def test_every_shortcut_is_listed(qtbot, tmp_path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    page = by_name(dialog, "Keyboard shortcuts", QScrollArea)
    fixed = by_name(page, "Fixed keys", QLabel).text()
    for shortcut in shortcuts.ALL:
        if shortcut.editable:
            edit = by_name(page, f"{shortcut.title} key", QKeySequenceEdit)
            assert edit.keySequence().toString() == shortcut.keys[0]
        else:
            assert f"{shortcut.label}: {shortcut.action}" in fixed


def test_a_new_region_reads_typed_numbers_from_then_on(qtbot, sandbox, make_window) -> None:
    opened = make_window(sandbox)
    win = opened.win
    qtbot.keyClick(win, ",", Qt.KeyboardModifier.ControlModifier)
    dialog = win.settings_dialog
    assert dialog is not None
    assert dialog.isVisible()
    region = by_name(dialog, "Default phone region", QComboBox)
    region.setCurrentIndex(region.findData("GB"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Save).click()
    assert opened.lookup.region == "GB"
    assert win.settings.get(s.REGION) == "GB"


def test_the_account_page_opens_accounts(qtbot, tmp_path) -> None:
    dialog = _dialog(qtbot, tmp_path)
    with qtbot.waitSignal(dialog.accountsRequested):
        by_name(dialog, "Open Accounts", QPushButton).click()


def test_on_wayland_the_global_shortcuts_say_they_cannot_work(qtbot, tmp_path) -> None:
    dialog = SettingsDialog(
        s.Settings(tmp_path / "settings.json"),
        try_global_keys=lambda _on, _keys: {},
        platform="wayland",
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.tabs.setCurrentWidget(dialog.shortcuts)
    box = by_name(dialog, "Global shortcuts", QCheckBox)
    note = by_name(dialog, "Global shortcuts availability", QLabel)
    assert not box.isEnabled()  # never turned on where it cannot work
    assert note.isVisible()
    assert "Wayland" in note.text()
    assert "dialer-app event answered" in note.text()  # what to do instead
    assert note.accessibleDescription() == note.text()
