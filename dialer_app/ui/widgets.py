"""Small shared widgets: the red message shown next to a field, a label whose value a screen
reader hears, and announcing a change to a screen reader."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QWidget

from .text import neutralise, plain


class FieldErrorLabel(QLabel):
    """A field's error, hidden while there is none; announced by screen readers when shown."""

    def __init__(self, field_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"error-{field_name}")
        self.setAccessibleName(f"{field_name} error")
        self.setWordWrap(True)
        plain(self)  # the messages may quote Outreach or what the rep typed
        self.setStyleSheet(
            "color: palette(bright-text); background: #b3261e; padding: 2px 6px;"
            " border-radius: 3px;"
        )
        self.hide()

    def show_error(self, message: str) -> None:
        text = neutralise(message)
        changed = text != self.text() or not self.isVisible()
        self.setText(text)
        self.setAccessibleDescription(text)
        self.setVisible(bool(message))
        if changed and text and self.window().isVisible():
            announce(self, text, urgent=True)

    def clear_error(self) -> None:
        self.clear()
        self.setAccessibleDescription("")
        self.hide()


def announce(widget: QWidget, text: str, *, urgent: bool = False) -> None:
    """Have a screen reader say `text` now (nothing happens while none listens)."""
    if not text or not QAccessible.isActive():
        return
    event = QAccessibleAnnouncementEvent(widget, text)
    if urgent:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)


class ValueLabel(QLabel):
    """A label showing a value a rep needs, under a fixed accessible name ("Sync status").

    Qt gives a screen reader a label's accessible name *instead of* its text, so the text is
    also its accessible description, kept in step; with `announce`, each new text is said
    aloud when it changes while the label is shown (a status, not a running clock).
    """

    def __init__(
        self,
        name: str,
        parent: QWidget | None = None,
        *,
        announce: bool = False,
        object_name: str = "",
        autohide: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        if object_name:
            self.setObjectName(object_name)
        self._announce = announce
        self._autohide = autohide
        plain(self)
        if autohide:
            self.hide()

    def setText(self, text: str) -> None:
        if self._autohide:
            self.setVisible(bool(text))  # first: a hidden label is not announced
        if text == self.text():
            return
        super().setText(text)
        spoken = _spoken(text) if self.textFormat() != Qt.TextFormat.PlainText else text
        self.setAccessibleDescription(spoken.replace("\n", ". ") if spoken else "")
        if self._announce and spoken and self.isVisible():
            announce(self, spoken)

    def clear(self) -> None:
        self.setText("")


def _spoken(rich: str) -> str:
    """A rich-text label's words (the app's own markup only, such as <b>Demo</b>)."""
    doc = QTextDocument()
    doc.setHtml(rich)
    return doc.toPlainText()
