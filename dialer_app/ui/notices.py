"""The notice bar at the top of the window: what the app set aside or could not open, in plain
words, until the rep dismisses it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QToolButton, QWidget

from .text import neutralise
from .widgets import ValueLabel


class NoticeBar(QWidget):
    """Sentences for the rep (see `core.files.notices`), newest last; hidden while empty.

    Signals:
        posted(str): a notice from any thread; shown by the window's own thread.
    """

    posted = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.posted.connect(self.add)
        self.setObjectName("notices")
        self.label = ValueLabel("Notice", self, announce=True, object_name="notice-text")
        self.label.setWordWrap(True)
        self.dismiss = QToolButton(self)
        self.dismiss.setText("×")
        self.dismiss.setAccessibleName("Dismiss notice")
        self.dismiss.setToolTip("Dismiss")
        self.dismiss.setAutoRaise(True)
        self.dismiss.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 2, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(
            "#notices { background: #fff4ce; border: 1px solid #c7a700; border-radius: 3px; }"
            " #notices QLabel, #notices QToolButton { color: #3b2f00; }"
        )
        self.texts: list[str] = []
        self.hide()

    def post(self, text: str) -> None:
        """`add`, safe to call from any thread."""
        self.posted.emit(text)

    def add(self, text: str) -> None:
        """Show one more notice (the same sentence twice shows once)."""
        text = neutralise(text)
        if text in self.texts:
            return
        self.texts.append(text)
        bullet = "• " if len(self.texts) > 1 else ""
        self.show()  # first: the new text is announced only while shown
        self.label.setText("\n".join(f"{bullet}{t}" for t in self.texts))

    def clear(self) -> None:
        self.texts = []
        self.label.clear()
        self.hide()
