"""The report of `dialer-app doctor` for one org, as a table an admin can read or copy."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from ..core.doctor import Report

COLUMNS = ("", "Check", "Found", "What the app does")
_SPOKEN = {"ok": "passed", "problem": "problem", "unknown": "not known"}
PROBLEM_COLOUR = "#b3261e"


class DoctorDialog(QDialog):
    """One row per check: ✓, ✗ or –, what was found, what the app will do about it."""

    def __init__(self, org: str, report: Report, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.setWindowTitle(f"Checks of {org}")
        problems = sum(c.verdict == "problem" for c in report.checks)
        self.summary = QLabel(
            f"{report.api} — checked {report.checked_at}: "
            + ("every check passed." if not problems else f"{problems} problem(s) found."),
            self,
        )
        self.summary.setAccessibleName("Check summary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(len(report.checks), len(COLUMNS), self)
        self.table.setAccessibleName("Checks")
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        for row, check in enumerate(report.checks):
            cells = (check.mark, check.title, check.found, check.action)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)  # plain text: never rich text from a server
                item.setToolTip(text)
                if column == 0:
                    item.setData(Qt.ItemDataRole.AccessibleTextRole, _SPOKEN[check.verdict])
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if check.verdict == "problem" and column < 2:
                    item.setForeground(QColor(PROBLEM_COLOUR))
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(self._on_header_section_resized)
        self.copy_button = QPushButton("Copy as JSON", self)
        self.copy_button.setToolTip("The same report as `dialer-app doctor --json`, for a helpdesk")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        self.close_button = QPushButton("Close", self)
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(900, 560)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self.table.resizeRowsToContents)  # once the columns have their width

    def _on_header_section_resized(self, *_args: object) -> None:
        self.table.resizeRowsToContents()  # wrapped text takes the height the width leaves it

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.report.dumps())
        self.copy_button.setText("Copied")
