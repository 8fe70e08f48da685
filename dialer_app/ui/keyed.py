"""Widgets whose key presses go to a handler first, without an event filter.

An event filter is called for every event of its widget, each paint included, and a call into
Python from the window's thread waits for the interpreter's lock whenever another thread holds
it; `keyPressEvent` is called for key presses only. Light: the window's frame uses it.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit, QWidget

Keys = Callable[[QKeyEvent], bool]  # True: the key is taken, nothing else happens


def offer(keys: Keys, event: QKeyEvent, otherwise: Callable[[QKeyEvent], None]) -> None:
    """`event` to `keys` first; to `otherwise` (the widget's own handling) when not taken."""
    if keys(event):
        event.accept()
    else:
        otherwise(event)


class KeyedLineEdit(QLineEdit):
    """A line edit whose keys go to `keys` first."""

    def __init__(self, keys: Keys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys = keys

    def keyPressEvent(self, event: QKeyEvent) -> None:
        offer(self._keys, event, super().keyPressEvent)
