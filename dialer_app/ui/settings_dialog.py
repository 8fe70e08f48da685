"""Settings: how numbers reach the softphone, the default phone region, calling hours (and
whether calling outside them asks first), call-task completion, the daily call goal, the
shortcuts — the window's and the global ones — and the way to the org profiles and sign-in
(the Accounts dialog).

Nothing is saved until the rep presses Save, and Save refuses with the reason next to the field
while a value is wrong (calling hours that end before they start, a key another shortcut, a
text field or the desktop already uses, a global shortcut another app holds).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import phonenumbers
from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ..core import hotkeys as hk
from ..core import settings as s
from . import shortcuts as keys
from .widgets import FieldErrorLabel

GLOBAL_IDS = {sc.id for sc in keys.GLOBAL}
TryGlobal = Callable[[bool, dict[str, str]], "dict[str, str] | None"]

SCHEME_TEXTS = {
    "tel": "tel: — most softphones and the OS default",
    "callto": "callto: — Skype-style softphones",
    "sip": "sip: — SIP softphones (Linphone, Zoiper, MicroSIP)",
    "none": "Don't hand numbers over (I dial myself)",
}


def _region_name(code: str) -> str:
    territory = QLocale.codeToTerritory(code)
    known = territory != QLocale.Country.AnyTerritory
    name = QLocale.territoryToString(territory) if known else ""
    return f"{name} ({code})" if name else code


class SettingsDialog(QDialog):
    """The settings window.

    Signals:
        applied(): the settings were saved; the window picks up what changed.
        accountsRequested(): the rep wants the org profiles and sign-in (the Accounts dialog).
    """

    applied = Signal()
    accountsRequested = Signal()

    def __init__(
        self,
        settings: s.Settings,
        parent: QWidget | None = None,
        *,
        try_global_keys: TryGlobal | None = None,
        platform: str = "",
    ) -> None:
        """`try_global_keys(on, keys)` grabs the global shortcuts before they are saved and
        says what could not be had (None: the platform has none); `platform` is Qt's."""
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings-dialog")
        self.settings = settings
        self._try_global = try_global_keys
        self._availability = hk.availability(
            platform, wayland_session=bool(os.environ.get("WAYLAND_DISPLAY"))
        )
        if try_global_keys is None and self._availability.works:
            self._availability = hk.Availability(
                False, "Global shortcuts are not available in this window."
            )
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self._calling_page(), "&Calling")
        self.tabs.addTab(self._shortcuts_page(), "S&hortcuts")
        self.tabs.addTab(self._account_page(), "&Account")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(self.buttons)
        self.load()

    # -- pages ------------------------------------------------------------------------------

    def _account_page(self) -> QWidget:
        page = QWidget(self)
        text = QLabel(
            "Org profiles (API address, client id and secret, redirect port), signing in with "
            "Outreach and signing out live in Accounts. Secrets stay in the system keychain.",
            page,
        )
        text.setWordWrap(True)
        self.accounts_button = QPushButton("Open Accounts…", page)
        self.accounts_button.setAccessibleName("Open Accounts")
        self.accounts_button.clicked.connect(self.accountsRequested.emit)
        layout = QVBoxLayout(page)
        layout.addWidget(text)
        layout.addWidget(self.accounts_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addStretch(1)
        return page

    def _calling_page(self) -> QWidget:
        page = QWidget(self)
        self.scheme = QComboBox(page)
        self.scheme.setAccessibleName("Softphone link")
        for choice in s.DIAL_SCHEME.choices:
            self.scheme.addItem(SCHEME_TEXTS.get(choice, choice), choice)
        self.region = QComboBox(page)
        self.region.setAccessibleName("Default phone region")
        self.region.setToolTip("Numbers typed without a + are read as numbers of this country")
        regions = sorted(phonenumbers.SUPPORTED_REGIONS, key=_region_name)
        for code in regions:
            self.region.addItem(_region_name(code), code)
        self.hours_start = QSpinBox(page)
        self.hours_start.setAccessibleName("Calling hours start")
        self.hours_start.setRange(0, 23)
        self.hours_start.setSuffix(":00")
        self.hours_end = QSpinBox(page)
        self.hours_end.setAccessibleName("Calling hours end")
        self.hours_end.setRange(1, 24)
        self.hours_end.setSuffix(":00")
        hours = QHBoxLayout()
        hours.addWidget(self.hours_start)
        hours.addWidget(QLabel("to", page))
        hours.addWidget(self.hours_end)
        hours.addWidget(QLabel("in the prospect's time zone", page), 1)
        self.hours_error = FieldErrorLabel("Calling hours", page)
        self.confirm_hours = QCheckBox(s.CONFIRM_OUTSIDE_HOURS.label, page)
        self.confirm_hours.setAccessibleName("Ask outside calling hours")
        self.confirm_hours.setToolTip(
            "Calling late in the evening or at the weekend, their time, asks first (as calling "
            "someone who opted out does)"
        )
        self.complete_task = QCheckBox(s.COMPLETE_CALL_TASK.label, page)
        self.complete_task.setAccessibleName("Complete call tasks")
        self.complete_task.setToolTip(
            "Only if call tasks stay open in Outreach after calls are logged: the app then marks "
            "the task complete once, after the call is delivered (the README explains why this "
            "is off by default)."
        )

        form = QFormLayout(page)
        form.addRow(QLabel(s.DIAL_SCHEME.label, page), self.scheme)
        form.addRow(QLabel(s.REGION.label, page), self.region)
        form.addRow(QLabel("Calling hours", page), hours)
        form.addRow("", self.hours_error)
        form.addRow("", self.confirm_hours)
        form.addRow("", self.complete_task)
        self.daily_goal = QSpinBox(page)
        self.daily_goal.setAccessibleName("Daily call goal")
        self.daily_goal.setRange(0, 999)
        self.daily_goal.setSpecialValueText("No goal")
        self.daily_goal.setSuffix(" calls")
        self.daily_goal.setToolTip("Shown with today's count in the status bar and the tray")
        goal_label = QLabel("Daily call &goal", page)
        goal_label.setBuddy(self.daily_goal)
        form.addRow(goal_label, self.daily_goal)
        for label, buddy in ((0, self.scheme), (1, self.region)):
            item = form.itemAt(label, QFormLayout.ItemRole.LabelRole)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                widget.setBuddy(buddy)
        self.hours_start.valueChanged.connect(self._on_hours_changed)
        self.hours_end.valueChanged.connect(self._on_hours_changed)
        return page

    def _shortcuts_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        intro = QLabel(
            "Click a field and press the keys; clear it for none. A key that another "
            "shortcut, the text fields or the desktop already use is refused.",
            page,
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.key_edits: dict[str, QKeySequenceEdit] = {}
        self.key_errors: dict[str, FieldErrorLabel] = {}
        window = QFormLayout()
        for shortcut in keys.ALL:
            if shortcut.scope == "window" and shortcut.editable:
                self._key_row(window, shortcut, page)
        layout.addLayout(window)
        fixed = QLabel(
            "\n".join(f"{sc.label}: {sc.action}" for sc in keys.ALL if not sc.editable),
            page,
        )
        fixed.setAccessibleName("Fixed keys")
        fixed.setAccessibleDescription(fixed.text())
        fixed.setWordWrap(True)
        layout.addWidget(fixed)
        self.global_keys = QCheckBox(s.GLOBAL_SHORTCUTS.label, page)
        self.global_keys.setAccessibleName("Global shortcuts")
        layout.addWidget(self.global_keys)
        self.global_note = QLabel(self._availability.note, page)
        self.global_note.setObjectName("global-shortcuts-note")
        self.global_note.setAccessibleName("Global shortcuts availability")
        self.global_note.setAccessibleDescription(self._availability.note)
        self.global_note.setWordWrap(True)
        self.global_note.setVisible(bool(self._availability.note))
        layout.addWidget(self.global_note)
        self.global_error = FieldErrorLabel("Global shortcuts", page)
        layout.addWidget(self.global_error)
        global_form = QFormLayout()
        for shortcut in keys.GLOBAL:
            self._key_row(global_form, shortcut, page)
        layout.addLayout(global_form)
        layout.addStretch(1)
        if not self._availability.works:
            self.global_keys.setEnabled(False)
        self.global_keys.toggled.connect(self._on_keys_changed)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        scroll.setAccessibleName("Keyboard shortcuts")
        self.shortcuts = scroll
        return scroll

    def _key_row(self, form: QFormLayout, shortcut: keys.Shortcut, page: QWidget) -> None:
        edit = QKeySequenceEdit(page)
        edit.setAccessibleName(f"{shortcut.title} key")
        edit.setAccessibleDescription(shortcut.action)
        edit.setToolTip(shortcut.action)
        edit.setMaximumSequenceLength(1)
        edit.setClearButtonEnabled(True)
        for clear in edit.findChildren(QToolButton):  # the clear button Qt adds
            clear.setAccessibleName(f"Clear {shortcut.title} key")
            clear.setToolTip("No key")
        reset = QToolButton(page)
        reset.setText("Default")
        reset.setAccessibleName(f"Default {shortcut.title} key")
        reset.setToolTip(f"Back to {shortcut.label}")
        reset.clicked.connect(lambda: edit.setKeySequence(QKeySequence(shortcut.keys[0])))
        row = QHBoxLayout()
        row.addWidget(edit, 1)
        row.addWidget(reset)
        label = QLabel(shortcut.title, page)
        label.setBuddy(edit)
        form.addRow(label, row)
        error = FieldErrorLabel(f"{shortcut.title} key", page)
        form.addRow("", error)
        self.key_edits[shortcut.id] = edit
        self.key_errors[shortcut.id] = error
        edit.keySequenceChanged.connect(self._on_keys_changed)

    # -- keys -------------------------------------------------------------------------------

    def chosen_keys(self) -> dict[str, str]:
        """What the key fields hold, by shortcut id ("" for none)."""
        portable = QKeySequence.SequenceFormat.PortableText
        return {sid: edit.keySequence().toString(portable) for sid, edit in self.key_edits.items()}

    def key_problems(self) -> dict[str, str]:
        """Why a field's key cannot be had, by shortcut id (only the fields with a problem).
        Global keys count only while global shortcuts are on."""
        chosen = self.chosen_keys()
        if not self.global_keys.isChecked():
            chosen = {sid: "" if sid in GLOBAL_IDS else k for sid, k in chosen.items()}
        keymap = keys.KeyMap(chosen)
        problems = {}
        for sid, text in chosen.items():
            problem = keymap.problem(keys.BY_ID[sid], text)
            if problem:
                problems[sid] = problem
        return problems

    def _on_keys_changed(self) -> None:
        on = self.global_keys.isChecked()
        for sc in keys.GLOBAL:  # the global keys are for when global shortcuts are on
            self.key_edits[sc.id].setEnabled(on)
        problems = self.key_problems()
        for sid, error in self.key_errors.items():
            if sid in problems:
                error.show_error(problems[sid])
            else:
                error.clear_error()
        self.global_error.clear_error()
        self._update_save()

    def _update_save(self) -> None:
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(self.valid())

    # -- values -----------------------------------------------------------------------------

    def load(self) -> None:
        """Show the saved values."""
        self.scheme.setCurrentIndex(max(0, self.scheme.findData(self.settings.get(s.DIAL_SCHEME))))
        self.region.setCurrentIndex(max(0, self.region.findData(self.settings.get(s.REGION))))
        self.hours_start.setValue(self.settings.get(s.CALL_HOURS_START))
        self.hours_end.setValue(self.settings.get(s.CALL_HOURS_END))
        self.complete_task.setChecked(self.settings.get(s.COMPLETE_CALL_TASK))
        self.daily_goal.setValue(max(0, min(999, self.settings.get(s.DAILY_CALL_GOAL))))
        self.confirm_hours.setChecked(self.settings.get(s.CONFIRM_OUTSIDE_HOURS))
        keymap = keys.KeyMap(self.settings.shortcuts())
        for sid, edit in self.key_edits.items():
            edit.setKeySequence(QKeySequence(keymap.text(keys.BY_ID[sid])))
        self.global_keys.setChecked(
            self.settings.get(s.GLOBAL_SHORTCUTS) and self._availability.works
        )
        self._on_hours_changed()
        self._on_keys_changed()

    def hours_valid(self) -> bool:
        return self.hours_start.value() < self.hours_end.value()

    def valid(self) -> bool:
        return self.hours_valid() and not self.key_problems()

    def _on_hours_changed(self) -> None:
        if self.hours_valid():
            self.hours_error.clear_error()
        else:
            self.hours_error.show_error("Calling hours must end after they start.")
        self._update_save()

    def _on_buttons_accepted(self) -> None:
        if not self.hours_valid():
            self.tabs.setCurrentIndex(0)
            self.hours_end.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        problems = self.key_problems()
        chosen = self.chosen_keys()
        on = self.global_keys.isChecked()
        if not problems and self._try_global is not None:
            held = self._try_global(on, chosen)
            if held is None and on:
                self.global_error.show_error(self._availability.note or "Not available here.")
                return
            problems = held or {}
            for sid, problem in problems.items():
                self.key_errors[sid].show_error(problem)
        if problems:
            self.tabs.setCurrentIndex(1)
            self.key_edits[next(iter(problems))].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.settings.set(s.DIAL_SCHEME, str(self.scheme.currentData()))
        self.settings.set(s.REGION, str(self.region.currentData()))
        self.settings.set(s.CALL_HOURS_START, self.hours_start.value())
        self.settings.set(s.CALL_HOURS_END, self.hours_end.value())
        self.settings.set(s.COMPLETE_CALL_TASK, self.complete_task.isChecked())
        self.settings.set(s.DAILY_CALL_GOAL, self.daily_goal.value())
        self.settings.set(s.CONFIRM_OUTSIDE_HOURS, self.confirm_hours.isChecked())
        self.settings.set(s.GLOBAL_SHORTCUTS, on)
        defaults = keys.KeyMap()
        self.settings.set_shortcuts(
            {
                sid: text
                for sid, text in chosen.items()
                if keys.canonical(text) != defaults.text(keys.BY_ID[sid])
            }
        )
        self.applied.emit()
        self.accept()
