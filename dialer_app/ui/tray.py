"""The tray icon: open, compact, quit, and the sync state at a glance."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from .resources import app_icon
from .text import literal

if TYPE_CHECKING:
    from ..core.outbox import Counts
    from ..services.logbook import Logbook, OutboxChange


class Tray(QSystemTrayIcon):
    """A tray icon whose menu drives the main window; its tooltip tells the sync state, as the
    logbook reports it."""

    def __init__(self, window: QWidget, logbook: Logbook) -> None:
        super().__init__(app_icon(), window)
        menu = QMenu(window)
        self.open_action = QAction("Open", menu)
        self.compact_action = QAction("Compact mode", menu)
        self.compact_action.setCheckable(True)
        self.quit_action = QAction("Quit", menu)
        for action in (self.open_action, self.compact_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.setContextMenu(menu)
        self._menu = menu
        logbook.changed.connect(self._on_logbook_changed)
        self.show_counts(logbook.counts())

    def _on_logbook_changed(self, change: OutboxChange) -> None:
        self.show_counts(change.counts)

    def show_counts(self, counts: Counts) -> None:
        state = f"{counts.unsent} waiting to sync" if counts.unsent else "All calls synced"
        if counts.attention:
            state += f", {counts.attention} need attention"
        self.setToolTip(literal(f"Dialer Companion — {state}"))
