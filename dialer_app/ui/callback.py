"""Call back: when to call a prospect again, chosen at wrap-up (or to move a call task to).

`CallbackDialog` offers the quick choices (tomorrow 9:00 their time, in 2 days, next week) and
a date and time typed in the prospect's time zone, each picked by its digit, and — for a
callback — an optional note. `CallbackRow` sits in the wrap-up: the "Call back" button and what
was chosen; its state goes with the call's wrap-up form (and so into the draft).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QDate, QEvent, QObject, Qt, QTime, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.callbacks import (
    FORM_AT,
    FORM_NOTE,
    NOTE_ROOM,
    Callback,
    CallbackError,
    at_local,
    describe,
    quick_choices,
    zone_of,
)
from . import shortcuts as keys
from .text import isolate, neutralise, one_line, plain
from .widgets import FieldErrorLabel

CUSTOM = "custom"


class CallbackDialog(QDialog):
    """Pick when: a quick choice (its digit) or a date and time in the prospect's time zone.

    `chosen` is the instant (UTC) once accepted; `note` the note (callbacks only).
    """

    def __init__(
        self,
        who: str,
        zone: str,
        now: datetime,
        *,
        reschedule: bool = False,
        current: Callback | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._zone = zone
        self._now = now
        self.chosen: datetime | None = None
        self.note = current.note if current is not None else ""
        self.removed = False
        title = "Reschedule the call task" if reschedule else "Call back"
        self.setWindowTitle(title)
        self.setObjectName("callback-dialog")
        tz, theirs = zone_of(zone)
        whose = f"their time ({zone})" if theirs else "your time (their time zone is unknown)"
        what = "When is the task due" if reschedule else f"When to call {isolate(who)} back"
        self.intro = QLabel(f"{what}? Times are {whose}.", self)
        self.intro.setWordWrap(True)
        plain(self.intro)
        self.choices = QListWidget(self)
        self.choices.setAccessibleName("When")
        self._quick = quick_choices(now, zone)
        for n, choice in enumerate(self._quick, start=1):
            item = QListWidgetItem(f"{n}  {choice.text}", self.choices)
            item.setData(Qt.ItemDataRole.UserRole, choice.at)
        custom = QListWidgetItem(f"{len(self._quick) + 1}  A date and time…", self.choices)
        custom.setData(Qt.ItemDataRole.UserRole, CUSTOM)
        self.choices.setFixedHeight(
            self.choices.sizeHintForRow(0) * self.choices.count() + 2 * self.choices.frameWidth()
        )
        here = now.astimezone(tz)
        start = (here + timedelta(days=1)).replace(hour=9, minute=0)
        if current is not None:
            start = current.at.astimezone(tz)
        self.date = QDateEdit(QDate(start.year, start.month, start.day), self)
        self.date.setAccessibleName("Date")
        self.date.setCalendarPopup(True)
        self.date.setMinimumDate(QDate(here.year, here.month, here.day))
        self.date.setDisplayFormat("ddd d MMM yyyy")
        self.time = QTimeEdit(QTime(start.hour, start.minute), self)
        self.time.setAccessibleName("Time")
        self.time.setDisplayFormat("HH:mm")
        when = QHBoxLayout()
        when.addWidget(self.date, 2)
        when.addWidget(self.time, 1)
        self.note_edit = QLineEdit(self.note, self)
        self.note_edit.setAccessibleName("Callback note")
        self.note_edit.setPlaceholderText("Note for the callback (optional)")
        self.note_edit.setMaxLength(NOTE_ROOM)
        self.note_edit.setVisible(not reschedule)
        self.error = FieldErrorLabel("Callback", self)
        self.buttons = QDialogButtonBox(self)
        self.ok = self.buttons.addButton(
            "Reschedule" if reschedule else "Set callback",
            QDialogButtonBox.ButtonRole.AcceptRole,
        )
        self.ok.setDefault(True)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.remove: QPushButton | None = None
        if current is not None and not reschedule:
            self.remove = self.buttons.addButton(
                "No callback", QDialogButtonBox.ButtonRole.DestructiveRole
            )
            self.remove.setAccessibleName("No callback")
            self.remove.clicked.connect(self._on_remove_clicked)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.choices)
        layout.addLayout(when)
        layout.addWidget(self.note_edit)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.buttons.accepted.connect(self._on_accepted)
        self.buttons.rejected.connect(self.reject)
        self.choices.currentRowChanged.connect(self._on_choice_changed)
        self.choices.itemActivated.connect(lambda _item: self._on_accepted())
        self.choices.installEventFilter(self)
        self.choices.setCurrentRow(self.choices.count() - 1 if current is not None else 0)
        self._on_choice_changed(self.choices.currentRow())
        self.choices.setFocus()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """In the list, a digit picks its choice (the date and time: on to the date)."""
        if watched is self.choices and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            text = event.text()
            if len(text) == 1 and text.isdigit() and 1 <= int(text) <= self.choices.count():
                row = int(text) - 1
                self.choices.setCurrentRow(row)
                if self._custom():
                    self.date.setFocus(Qt.FocusReason.ShortcutFocusReason)
                return True
        return bool(super().eventFilter(watched, event))

    def _custom(self) -> bool:
        item = self.choices.currentItem()
        return item is not None and bool(item.data(Qt.ItemDataRole.UserRole) == CUSTOM)

    def _on_choice_changed(self, _row: int) -> None:
        custom = self._custom()
        self.date.setEnabled(custom)
        self.time.setEnabled(custom)
        self.error.clear_error()

    def _on_remove_clicked(self) -> None:
        self.removed = True
        self.chosen = None
        self.accept()

    def _on_accepted(self) -> None:
        if self._custom():
            day = self.date.date()
            clock = self.time.time()
            try:
                self.chosen = at_local(
                    datetime(day.year(), day.month(), day.day()).date(),
                    clock.hour(),
                    clock.minute(),
                    self._zone,
                    now=self._now,
                )
            except CallbackError as exc:
                self.error.show_error(str(exc))
                self.date.setFocus()
                return
        else:
            item = self.choices.currentItem()
            if item is None:
                return
            self.chosen = item.data(Qt.ItemDataRole.UserRole)
        self.note = self.note_edit.text().strip()
        self.accept()


class CallbackRow(QWidget):
    """The wrap-up's "Call back" button and the callback chosen for the call (if any).

    Signals:
        changed(): a callback was set, changed or removed.
        requested(): the rep pressed "Call back" (the window knows who and where).
    """

    changed = Signal()
    requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.callback: Callback | None = None
        self._zone = ""
        self.button = QPushButton("Call back…", self)
        self.button.setAccessibleName("Call back")
        self.button.setToolTip(f"{keys.CALL_BACK.action} ({keys.CALL_BACK.label})")
        self.label = QLabel(self)
        self.label.setObjectName("callback")
        self.label.setAccessibleName("Callback")
        self.label.setWordWrap(True)
        plain(self.label)
        self.error = FieldErrorLabel("Callback", self)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.label, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self.button.clicked.connect(self.requested.emit)
        self._show()

    def state(self) -> dict[str, Any]:
        """What the wrap-up form keeps: when (UTC, ISO 8601) and the note; empty when none."""
        if self.callback is None:
            return {FORM_AT: "", FORM_NOTE: ""}
        return self.callback.form_data()

    def restore(self, form: dict[str, Any], zone: str = "") -> None:
        self._zone = zone
        self.callback = Callback.from_form(form)
        self.error.clear_error()
        self._show()

    def set_zone(self, zone: str) -> None:
        if zone != self._zone:
            self._zone = zone
            self._show()

    def set_callback(self, callback: Callback | None) -> None:
        if callback != self.callback:
            self.callback = callback
            self.error.clear_error()
            self._show()
            self.changed.emit()

    def _show(self) -> None:
        cb = self.callback
        if cb is None:
            self.label.setText("")
            self.label.setAccessibleDescription("No callback")
            return
        text = f"Call back {describe(cb.at, self._zone)}"
        if cb.note:
            text += f" — {one_line(neutralise(cb.note), 120)}"
        self.label.setText(text)
        self.label.setAccessibleDescription(text)

    def connect_changed(self, slot: Callable[[], None]) -> None:
        self.changed.connect(slot)
