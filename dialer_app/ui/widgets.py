"""Small shared widgets: the red message shown next to a field."""

from __future__ import annotations

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
        self.setText(neutralise(message))
        self.setVisible(bool(message))

    def clear_error(self) -> None:
        self.clear()
        self.hide()
