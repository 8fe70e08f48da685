"""Settings: how numbers reach the softphone, the default phone region, calling hours, call-task
completion, the daily call goal, the shortcuts, and the way to the org profiles and sign-in (the
Accounts dialog).

Nothing is saved until the rep presses Save, and Save refuses with the reason next to the field
while a value is wrong (calling hours that end before they start).
"""

from __future__ import annotations

import phonenumbers
from PySide6.QtCore import QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ..core import settings as s
from . import shortcuts as keys
from .widgets import FieldErrorLabel

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

    def __init__(self, settings: s.Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.setObjectName("settings-dialog")
        self.settings = settings
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
        table = QTableWidget(len(keys.ALL), 2, self)
        table.setAccessibleName("Keyboard shortcuts")
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        table.verticalHeader().hide()
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, shortcut in enumerate(keys.ALL):
            table.setItem(row, 0, QTableWidgetItem(shortcut.label))
            table.setItem(row, 1, QTableWidgetItem(shortcut.action))
        table.resizeColumnsToContents()
        table.horizontalHeader().setStretchLastSection(True)
        self.shortcuts = table
        return table

    # -- values -----------------------------------------------------------------------------

    def load(self) -> None:
        """Show the saved values."""
        self.scheme.setCurrentIndex(max(0, self.scheme.findData(self.settings.get(s.DIAL_SCHEME))))
        self.region.setCurrentIndex(max(0, self.region.findData(self.settings.get(s.REGION))))
        self.hours_start.setValue(self.settings.get(s.CALL_HOURS_START))
        self.hours_end.setValue(self.settings.get(s.CALL_HOURS_END))
        self.complete_task.setChecked(self.settings.get(s.COMPLETE_CALL_TASK))
        self.daily_goal.setValue(max(0, min(999, self.settings.get(s.DAILY_CALL_GOAL))))
        self._on_hours_changed()

    def valid(self) -> bool:
        return self.hours_start.value() < self.hours_end.value()

    def _on_hours_changed(self) -> None:
        if self.valid():
            self.hours_error.clear_error()
        else:
            self.hours_error.show_error("Calling hours must end after they start.")
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setEnabled(self.valid())

    def _on_buttons_accepted(self) -> None:
        if not self.valid():
            self.hours_end.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.settings.set(s.DIAL_SCHEME, str(self.scheme.currentData()))
        self.settings.set(s.REGION, str(self.region.currentData()))
        self.settings.set(s.CALL_HOURS_START, self.hours_start.value())
        self.settings.set(s.CALL_HOURS_END, self.hours_end.value())
        self.settings.set(s.COMPLETE_CALL_TASK, self.complete_task.isChecked())
        self.settings.set(s.DAILY_CALL_GOAL, self.daily_goal.value())
        self.applied.emit()
        self.accept()
