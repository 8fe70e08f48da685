"""The wrap-up form: disposition, purpose, tags, notes, sequence action, recording link."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, QMimeData, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from ..core.outreach.models import Disposition, Purpose
from ..core.terms import NOTE_MAX, SEQUENCE_ACTIONS, FieldError
from .tags import TagsEdit
from .text import one_line
from .widgets import FieldErrorLabel

SEQUENCE_HINTS = {
    "": "Leave the sequence as it is.",
    "Advance": "Move the prospect on to the next step of the sequence.",
    "Finish": "Take the prospect out of the sequence.",
    "Finish - No Reply": "Finish the sequence: the prospect never replied.",
    "Finish - Replied": "Finish the sequence: the prospect replied.",
}


LONG_LINE = 2_000  # characters in one line of the notes beyond which they stop wrapping


class NotesEdit(QPlainTextEdit):
    """The notes: a paste that would take them past what Outreach keeps is cut there (the
    rest stays on the clipboard), so pasting a huge text never freezes the window.

    Signals:
        pasteCut(int): a paste was cut; that many characters of it went in.
    """

    pasteCut = Signal(int)

    def insertFromMimeData(self, source: QMimeData) -> None:
        text = source.text() if source.hasText() else ""
        room = NOTE_MAX - len(self.toPlainText()) + len(self.textCursor().selectedText())
        if len(text) <= max(room, 0):
            super().insertFromMimeData(source)
            return
        kept = text[: max(room, 0)]
        self.textCursor().insertText(kept)
        self.pasteCut.emit(len(kept))


NAME_ROLE = Qt.ItemDataRole.UserRole + 1
TYPING_PAUSE_MS = 1_000  # a pause this long starts a new name


class DispositionBox(QComboBox):
    """The disposition list: a digit 1–9 picks the numbered disposition; typing letters picks
    the first disposition whose name starts with them (else contains them), so dispositions
    beyond the ninth are a few letters away. A pause, Esc or leaving the list starts afresh."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._typed = ""
        self._since = QElapsedTimer()

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._typed = ""
        super().focusOutEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self._typed = ""
        text = event.text()
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if (
            not text
            or not text.isprintable()
            or mods
            not in (
                Qt.KeyboardModifier.NoModifier,
                Qt.KeyboardModifier.ShiftModifier,
            )
        ):
            super().keyPressEvent(event)
            return
        if not self._since.isValid() or self._since.elapsed() > TYPING_PAUSE_MS:
            self._typed = ""
        self._since.start()
        if not self._typed and text in "123456789":
            if int(text) < self.count():
                self.setCurrentIndex(int(text))
            event.accept()
            return
        if text.isspace() and not self._typed:
            super().keyPressEvent(event)  # space opens the list
            return
        self._typed += text
        row = self.find_name(self._typed)
        if row >= 0:
            self.setCurrentIndex(row)
        event.accept()

    def find_name(self, typed: str) -> int:
        """The row of the first disposition whose name starts with `typed`, else contains it."""
        wanted = typed.casefold()
        names = [str(self.itemData(i, NAME_ROLE) or "").casefold() for i in range(self.count())]
        for test in (str.startswith, str.__contains__):
            for row, name in enumerate(names):
                if name and test(name, wanted):
                    return row
        return -1


class WrapUpForm(QWidget):
    """Collects a `WrapUp`; shows each field's error right under the field."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.disposition = DispositionBox(self)
        self.disposition.setAccessibleName("Disposition")
        self.disposition.setAccessibleDescription(
            "1 to 9 pick the numbered dispositions; type a name for any of them"
        )
        self.purpose = QComboBox(self)
        self.purpose.setAccessibleName("Call purpose")
        self.tags = TagsEdit(self)
        self._known_sequence = True
        self.notes = NotesEdit(self)
        self.notes.setAccessibleName("Notes")
        self.notes.setPlaceholderText("What was said, what happens next")
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(96)
        self.note_count = QLabel(self)
        self.note_count.setObjectName("note-count")
        self.note_count.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.sequence_action = QComboBox(self)
        self.sequence_action.setAccessibleName("Sequence action")
        self.sequence_action.addItem("No change", "")
        for action in SEQUENCE_ACTIONS:
            self.sequence_action.addItem(action, action)
        self.sequence_hint = QLabel(self)
        self.sequence_hint.setObjectName("sequence-hint")
        self.sequence_hint.setWordWrap(True)
        self.recording_url = QLineEdit(self)
        self.recording_url.setAccessibleName("Recording link")
        self.recording_url.setPlaceholderText("https://… (optional)")
        self.should_record = QCheckBox("Recorded", self)
        self.should_record.setAccessibleName("Record call")
        self.should_record.setToolTip("The call was recorded (sent as shouldRecordCall)")
        recording = QWidget(self)
        recording_row = QHBoxLayout(recording)
        recording_row.setContentsMargins(0, 0, 0, 0)
        recording_row.addWidget(self.should_record)
        recording_row.addWidget(self.recording_url, 1)
        recording.setFocusProxy(self.recording_url)  # Alt+R lands in the link

        self._outcomes: dict[int, str] = {}  # disposition id → the call outcome it means
        self.errors: dict[str, FieldErrorLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget, fields in (
            ("&Disposition", self.disposition, ("callDisposition", "outcome")),
            ("&Purpose", self.purpose, ("callPurpose",)),
            ("&Tags", self.tags, ("tags",)),
            ("&Notes", self.notes, ("note",)),
            ("", self.note_count, ()),
            ("&Sequence", self.sequence_action, ("sequenceAction",)),
            ("", self.sequence_hint, ()),
            ("&Recording", recording, ("recordingUrl", "shouldRecordCall")),
        ):
            if label:
                lbl = QLabel(label, self)
                # The field that takes the focus: a label's Alt+letter moves the focus only to
                # a buddy that accepts it, never through a focus proxy (Tags, Recording).
                lbl.setBuddy(widget.focusProxy() or widget)
                form.addRow(lbl, widget)
            else:
                form.addRow("", widget)
            if fields:
                named = widget.focusProxy() or widget  # a row's field names its error
                err = FieldErrorLabel(named.accessibleName() or label.replace("&", ""), self)
                form.addRow("", err)
                for f in fields:
                    self.errors[f] = err
        self.general_error = FieldErrorLabel("Wrap-up", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(form)
        layout.addWidget(self.general_error)

        self.notes.textChanged.connect(self._on_notes_text_changed)
        self.notes.pasteCut.connect(self._on_notes_paste_cut)
        self.sequence_action.currentIndexChanged.connect(self._on_sequence_action_changed)
        self._on_notes_text_changed()
        self.set_sequence_available(False)

    def set_sequence_available(self, available: bool | None) -> None:
        """Sequence actions only make sense for a prospect in a sequence or with a call task.
        None: not known yet (the card is loading): the action is kept, but cannot be changed."""
        if available is False:
            self.sequence_action.setCurrentIndex(0)
        self.sequence_action.setEnabled(bool(available))
        self._known_sequence = available is not None
        self._on_sequence_action_changed()

    def set_reference(self, dispositions: list[Disposition], purposes: list[Purpose]) -> None:
        # A disposition says whether the call was answered (in the org's own words, mapped).
        self._outcomes = {d.id: d.call_outcome for d in dispositions}
        self.disposition.clear()
        self.disposition.addItem("Choose a disposition", None)
        for i, d in enumerate(dispositions, start=1):
            prefix = f"{i}  " if i <= 9 else ""
            self.disposition.addItem(f"{prefix}{one_line(d.name)}", d.id)
            self.disposition.setItemData(self.disposition.count() - 1, one_line(d.name), NAME_ROLE)
        self.purpose.clear()
        self.purpose.addItem("No purpose", None)
        for p in purposes:
            self.purpose.addItem(one_line(p.name), p.id)

    def outcomes(self) -> dict[int, str]:
        """Disposition id → the call outcome it means (either vocabulary, mapped), where known."""
        return {k: v for k, v in self._outcomes.items() if v}

    def state(self) -> dict[str, Any]:
        """Everything typed or picked, for the draft."""
        return {
            "disposition_id": self.disposition.currentData(),
            "purpose_id": self.purpose.currentData(),
            "tags": self.tags.text(),
            "note": self.notes.toPlainText(),
            "sequence_action": self.sequence_action.currentData() or "",
            "recording_url": self.recording_url.text(),
            "should_record": self.should_record.isChecked(),
        }

    def restore(self, state: dict[str, Any]) -> None:
        """Put a draft's values back (ids the org no longer has are left unset)."""
        for combo, key in (
            (self.disposition, "disposition_id"),
            (self.purpose, "purpose_id"),
            (self.sequence_action, "sequence_action"),
        ):
            idx = combo.findData(state.get(key))
            if idx >= 0:
                combo.setCurrentIndex(idx)
        self.tags.set_tags(str(state.get("tags") or "").split(","))
        note = str(state.get("note") or "")
        self._fit_wrap(note)  # before the text goes in: laying out a long line is what costs
        self.notes.setPlainText(note)
        self.recording_url.setText(str(state.get("recording_url") or ""))
        self.should_record.setChecked(state.get("should_record") is True)

    def connect_changed(self, slot: Callable[[], None]) -> None:
        """Call `slot` whenever any field changes."""
        for combo in (self.disposition, self.purpose, self.sequence_action):
            combo.currentIndexChanged.connect(slot)
        self.tags.changed.connect(slot)
        self.recording_url.textEdited.connect(slot)
        self.should_record.toggled.connect(slot)
        self.notes.textChanged.connect(slot)

    def show_errors(self, errors: list[FieldError]) -> None:
        self.clear_errors()
        for err in errors:
            label = self.errors.get(err.field, self.general_error)
            label.show_error(err.message if label is not self.general_error else str(err))

    def clear_errors(self) -> None:
        for label in {*self.errors.values(), self.general_error}:
            label.clear_error()

    def clear(self) -> None:
        self.disposition.setCurrentIndex(0)
        self.purpose.setCurrentIndex(0)
        self.tags.clear()
        self.notes.clear()
        self.sequence_action.setCurrentIndex(0)
        self.recording_url.clear()
        self.should_record.setChecked(False)
        self.clear_errors()

    def _on_notes_paste_cut(self, kept: int) -> None:
        self.errors["note"].show_error(
            f"Only {kept:,} characters of what you pasted fit: Outreach keeps {NOTE_MAX:,} "
            "in a note. The rest is still on your clipboard."
        )

    def _fit_wrap(self, text: str) -> None:
        """Wrap the notes, unless a line is so long that wrapping it would freeze the window
        (Qt lays out an unbroken line of 65,535 characters in half a second, 2 MB in minutes):
        then the notes scroll sideways instead."""
        longest = max((len(line) for line in text.split("\n")), default=0)
        mode = (
            QPlainTextEdit.LineWrapMode.NoWrap
            if longest > LONG_LINE
            else QPlainTextEdit.LineWrapMode.WidgetWidth
        )
        if self.notes.lineWrapMode() != mode:
            self.notes.setLineWrapMode(mode)

    def _on_notes_text_changed(self) -> None:
        text = self.notes.toPlainText()
        self._fit_wrap(text)
        n = len(text)
        self.note_count.setText(f"{n:,} / {NOTE_MAX:,}")
        over = n > NOTE_MAX
        self.note_count.setStyleSheet("color: #b3261e; font-weight: bold;" if over else "")

    def _on_sequence_action_changed(self) -> None:
        if not self.sequence_action.isEnabled():
            self.sequence_hint.setText(
                "No active sequence or call task for this prospect."
                if self._known_sequence
                else "Reading whether the prospect is in a sequence…"
            )
            return
        self.sequence_hint.setText(SEQUENCE_HINTS.get(self.sequence_action.currentData() or "", ""))
