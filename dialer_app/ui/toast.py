"""A small always-on-top note that never takes keyboard focus (an incoming call in compact mode)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .text import plain

TOAST_MS = 10_000


class Toast(QWidget):
    """Shows a line of text near its anchor window for a few seconds, without activating."""

    def __init__(self, parent: QWidget | None = None) -> None:
        # A ToolTip-type window: every platform keeps it on top and never gives it focus.
        flags = (
            Qt.WindowType.ToolTip
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowStaysOnTopHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        super().__init__(parent, flags)
        self.setObjectName("toast")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.label = QLabel(self)
        self.label.setAccessibleName("Incoming call")
        self.label.setWordWrap(True)
        plain(self.label)  # it names the caller, as Outreach or the softphone spelled it
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        self.setStyleSheet("#toast { border: 1px solid palette(mid); }")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(TOAST_MS)
        self._timer.timeout.connect(self.hide)

    def show_text(self, text: str, anchor: QWidget) -> None:
        """`text` as given: callers put names in with `text.isolate` (bidi controls removed)."""
        self.label.setText(text)
        self.adjustSize()
        frame = anchor.frameGeometry()
        self.move(frame.left(), max(0, frame.top() - self.height() - 4))
        self.show()
        self.raise_()
        self._timer.start()

    def set_text(self, text: str) -> None:
        if self.isVisible():
            self.label.setText(text)
            self.adjustSize()
