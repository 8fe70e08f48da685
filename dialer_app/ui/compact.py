"""Compact mode's own wrap-up: the disposition (by key), one line of note, and Log.

It edits the same wrap-up as the full form (`WrapUpForm`): the disposition list is shared, the
note line writes the notes. A note of several lines is shown, not edited, here: the full
window keeps its line breaks.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.terms import NOTE_MAX, FieldError
from . import shortcuts as keys
from .widgets import FieldErrorLabel, ValueLabel
from .wrapup_form import DispositionBox, WrapUpForm

SHOWN_FIELDS = {"callDisposition", "outcome", "note"}
MULTILINE_HINT = "The note has several lines: edit it in the full window"


class CompactWrapUp(QWidget):
    """The disposition, one line of note, then Log call (and whose call it is, when another
    call is on the phone meanwhile).

    Signals:
        logRequested(): Log call was pressed.
        fullRequested(): the rep wants the whole form (the full window).
    """

    logRequested = Signal()
    fullRequested = Signal()

    def __init__(self, form: WrapUpForm, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compact-wrap-up")
        self._form = form
        self.title = ValueLabel("Wrap-up call", self, object_name="compact-wrap-title")
        self.title.setWordWrap(True)
        self.disposition = DispositionBox(self)
        self.disposition.setAccessibleName("Disposition")
        self.disposition.setAccessibleDescription(form.disposition.accessibleDescription())
        self.disposition.setModel(form.disposition.model())  # one list, two views of it
        self.note = QLineEdit(self)
        self.note.setAccessibleName("Notes")
        self.note.setPlaceholderText("Note (one line)")
        self.note.setMaxLength(2 * NOTE_MAX)  # longer than Outreach keeps is said on Log
        self.log_button = QPushButton("Log call", self)
        self.log_button.setAccessibleName("Log call")
        self.log_button.setDefault(True)
        self.full_button = QPushButton("Full form", self)
        self.full_button.setAccessibleName("Full form")
        self.error = FieldErrorLabel("Compact wrap-up", self)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.log_button, 2)
        buttons.addWidget(self.full_button, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        fields = QFormLayout()
        fields.setContentsMargins(0, 0, 0, 0)
        fields.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for text, field in (("&Disposition", self.disposition), ("&Note", self.note)):
            label = QLabel(text, self)
            label.setBuddy(field)  # Alt+D, Alt+N; and how a screen reader names the field
            fields.addRow(label, field)
        layout.addWidget(self.title)
        layout.addLayout(fields)
        layout.addLayout(buttons)
        layout.addWidget(self.error)

        self.disposition.currentIndexChanged.connect(self._on_disposition_changed)
        form.disposition.currentIndexChanged.connect(self._on_form_disposition_changed)
        self.note.textEdited.connect(self._on_note_edited)
        form.notes.textChanged.connect(self._on_form_notes_changed)
        self.log_button.clicked.connect(self.logRequested.emit)
        self.full_button.clicked.connect(self.fullRequested.emit)
        self.set_keys(keys.KeyMap())
        self._on_form_notes_changed()

    def set_keys(self, keymap: keys.KeyMap) -> None:
        log = keymap.label(keys.LOG)
        self.log_button.setToolTip(f"Log call ({log})")
        self.log_button.setAccessibleDescription(log)
        full = keymap.label(keys.COMPACT)
        self.full_button.setToolTip(
            f"Purpose, tags, the whole note, sequence action and recording: the full window "
            f"({full})"
        )
        self.full_button.setAccessibleDescription(full)

    def show_errors(self, errors: list[FieldError]) -> None:
        """What keeps the call from being logged; fields not shown here are named."""
        here = [e.message for e in errors if e.field in SHOWN_FIELDS]
        elsewhere = [str(e) for e in errors if e.field not in SHOWN_FIELDS]
        parts = here + ([f"In the full form: {'; '.join(elsewhere)}"] if elsewhere else [])
        self.error.show_error(" ".join(parts))

    def clear_errors(self) -> None:
        self.error.clear_error()

    # -- kept in step with the full form ------------------------------------------------------

    def _on_disposition_changed(self, index: int) -> None:
        if self._form.disposition.currentIndex() != index:
            self._form.disposition.setCurrentIndex(index)

    def _on_form_disposition_changed(self, index: int) -> None:
        if self.disposition.currentIndex() != index:
            self.disposition.setCurrentIndex(index)

    def _on_note_edited(self, text: str) -> None:
        if self._form.notes.toPlainText() != text:
            self._form.notes.setPlainText(text)

    def _on_form_notes_changed(self) -> None:
        text = self._form.notes.toPlainText()
        several = "\n" in text
        shown = " ⏎ ".join(text.split("\n")) if several else text
        if self.note.text() != shown:
            self.note.setText(shown)
        self.note.setReadOnly(several)
        self.note.setToolTip(MULTILINE_HINT if several else "")
        self.note.setAccessibleDescription(MULTILINE_HINT if several else "")
