"""Start-up probe for the benchmark: report the main window's first paint, then close it."""

from __future__ import annotations

import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

PROBE_ENV = "DIALER_STARTUP_PROBE"


class FirstPaintProbe(QObject):
    """Prints `first-paint <monotonic seconds>` at the window's first paint and closes it."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._done = False
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self._done and event.type() == QEvent.Type.Paint:
            self._done = True
            print(f"first-paint {time.monotonic():.6f}", flush=True, file=sys.stdout)
            QTimer.singleShot(0, self._window.close)
        return False
