"""The outbox view: what happened to each logged call, and what the rep can do about it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..core.outbox import Entry, Outbox
from .text import ask, isolate, literal, neutralise, one_line, plain

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Logged", "Prospect", "Outcome", "Status", "Details")
EntryRole = Qt.ItemDataRole.UserRole + 1


def status_text(entry: Entry) -> str:
    if entry.state == "sent":
        sent = f"Sent (call {entry.outreach_id})"
        task = {
            "pending": "; completing its task…",
            "done": "; task completed",
            "failed": "; task not completed",
        }.get(entry.task_state, "")
        return sent + task
    if entry.state == "attention":
        return "Needs attention"
    if entry.state == "sending":
        return "Sending…"
    if entry.state == "discarded":
        return "Discarded"
    # A POST whose fate is unknown: Outreach is asked (again, over a window) before any resend.
    return "Checking whether Outreach got it" if entry.uncertain else "Waiting to sync"


def details_text(entry: Entry) -> str:
    """What went wrong, in Outreach's words (bidi controls removed)."""
    if entry.field_errors:
        return neutralise("; ".join(str(f) for f in entry.field_errors))
    if entry.state == "sent" and entry.task_error:
        return f"Task {entry.task_id}: {neutralise(entry.task_error)}"
    return neutralise(entry.last_error)


class OutboxTableModel(QAbstractTableModel):
    """The outbox's calls, newest first."""

    def __init__(self, outbox: Outbox, parent: Any = None) -> None:
        super().__init__(parent)
        self._outbox = outbox
        self._entries: list[Entry] = []

    def reload(self) -> None:
        self.beginResetModel()
        self._entries = self._outbox.entries(
            states=("waiting", "sending", "sent", "attention"), limit=500
        )
        self.endResetModel()

    def entry_at(self, row: int) -> Entry | None:
        return self._entries[row] if 0 <= row < len(self._entries) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == EntryRole:
            return entry
        if role == Qt.ItemDataRole.ForegroundRole and entry.state == "attention":
            return Qt.GlobalColor.red
        if role == Qt.ItemDataRole.ToolTipRole:  # tooltips would draw markup: escaped
            shown = self.data(index, Qt.ItemDataRole.DisplayRole)
            return literal(shown) if shown else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = index.column()
        if col == 0:
            return entry.created_at.astimezone().strftime("%a %H:%M")
        if col == 1:
            if entry.summary:
                return one_line(entry.summary)
            return f"Prospect {entry.prospect_id}" if entry.prospect_id else ""
        if col == 2:
            return one_line(entry.call.attributes.outcome or "")
        if col == 3:
            return status_text(entry)
        if col == 4:
            return details_text(entry)
        return None


class OutboxDialog(QDialog):
    """Lists every call the app logged: waiting, sending, sent (with Outreach's id), or parked."""

    def __init__(self, outbox: Outbox, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Outbox")
        self.outbox = outbox
        self.model = OutboxTableModel(outbox, self)
        self.summary = QLabel(self)
        self.summary.setObjectName("outbox-summary")
        plain(self.summary)
        self.table = QTableView(self)
        self.table.setAccessibleName("Outbox calls")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.retry_button = QPushButton("&Retry now", self)
        self.retry_button.setAccessibleName("Retry now")
        self.resend_button = QPushButton("Re&send", self)
        self.resend_button.setAccessibleName("Resend")
        self.resend_button.setToolTip("Send a call that needs attention again, as it is")
        self.discard_button = QPushButton("&Discard…", self)
        self.discard_button.setAccessibleName("Discard")
        self.export_button = QPushButton("&Export CSV…", self)
        self.export_button.setAccessibleName("Export CSV")
        buttons = QHBoxLayout()
        for b in (self.retry_button, self.resend_button, self.discard_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table)
        layout.addLayout(buttons)
        self.resize(760, 420)

        self.retry_button.clicked.connect(self._on_retry_button_clicked)
        self.resend_button.clicked.connect(self._on_resend_button_clicked)
        self.discard_button.clicked.connect(self._on_discard_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.on_wake = lambda: None
        self.refresh()

    def refresh(self) -> None:
        selected = self.selected()
        self.model.reload()
        today = self.outbox.today()
        total = today.waiting + today.sending + today.sent + today.attention
        self.summary.setText(
            f"Today: {total} calls · {today.sent} sent · {today.unsent} waiting"
            f" · {today.attention} need attention"
        )
        if selected is not None:
            for row in range(self.model.rowCount()):
                entry = self.model.entry_at(row)
                if entry is not None and entry.id == selected.id:
                    self.table.selectRow(row)
        self._update_buttons()

    def selected(self) -> Entry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry_at(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.resend_button.setEnabled(entry is not None and entry.state == "attention")
        self.discard_button.setEnabled(
            entry is not None and entry.state in ("waiting", "attention")
        )

    # -- slots ------------------------------------------------------------------------------

    def _on_retry_button_clicked(self) -> None:
        self.outbox.retry_now()
        self.on_wake()
        self.refresh()

    def _on_resend_button_clicked(self) -> None:
        entry = self.selected()
        if entry is not None and entry.state == "attention":
            self.outbox.resend(entry.id)
            self.on_wake()
            self.refresh()

    def _on_discard_button_clicked(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        who = isolate(entry.summary) if entry.summary else "this prospect"
        answer = ask(
            self,
            "Discard call?",
            f"Discard the call with {who}? It will never be logged in Outreach.",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Discard:
            self.outbox.discard(entry.id)
            self.refresh()

    def _on_export_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export calls", "calls.csv", "CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> int:
        with open(path, "w", encoding="utf-8", newline="") as f:
            return self.outbox.export_csv(f)
