"""The outbox view: what happened to each write the rep asked for, and what they can do about it.

The dialog takes the logbook (never the outbox itself): it lists the newest operations when it
opens, then updates the rows the logbook's `changed` signal names, in place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

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

from .text import ask, isolate, literal, one_line, plain

if TYPE_CHECKING:
    from ..core.outbox import Entry
    from ..services.logbook import Description, Logbook, OutboxChange

Index = QModelIndex | QPersistentModelIndex
COLUMNS = ("Logged", "Prospect", "What", "Status", "Details")
EntryRole = Qt.ItemDataRole.UserRole + 1
SHOWN = 500  # the newest operations listed when the dialog opens


@dataclass(frozen=True, slots=True)
class _Row:
    entry: Entry
    texts: tuple[str, str, str, str, str]
    attention: bool


class OutboxTableModel(QAbstractTableModel):
    """Operations, newest first; rows are updated in place as the logbook reports changes."""

    def __init__(self, logbook: Logbook, parent: Any = None) -> None:
        super().__init__(parent)
        self._logbook = logbook
        self._rows: list[_Row] = []  # oldest first: new operations are appended
        self._at: dict[int, int] = {}  # operation id → its place in `_rows`

    def reload(self) -> None:
        """Everything again, from the logbook (when the dialog opens)."""
        self.beginResetModel()
        self._rows = [self._row(e) for e in reversed(self._logbook.entries(limit=SHOWN))]
        self._at = {row.entry.id: i for i, row in enumerate(self._rows)}
        self.endResetModel()

    def apply(self, entries: Iterable[Entry]) -> None:
        """These operations changed: update their rows, add new ones on top, drop discarded."""
        for entry in sorted(entries, key=lambda e: e.id):
            place = self._at.get(entry.id)
            if place is None:
                newest = self._rows[-1].entry.id if self._rows else 0
                if entry.state != "discarded" and entry.id > newest:
                    self.beginInsertRows(QModelIndex(), 0, 0)
                    self._at[entry.id] = len(self._rows)
                    self._rows.append(self._row(entry))
                    self.endInsertRows()
                continue  # older than what is listed, or gone: not shown
            row = len(self._rows) - 1 - place
            if entry.state == "discarded":
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[place]
                self._at = {r.entry.id: i for i, r in enumerate(self._rows)}
                self.endRemoveRows()
            else:
                self._rows[place] = self._row(entry)
                last = self.columnCount() - 1
                self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    def _row(self, entry: Entry) -> _Row:
        described: Description = self._logbook.describe(entry)
        if entry.summary:
            who = one_line(entry.summary)
        else:
            who = f"Prospect {entry.prospect_id}" if entry.prospect_id else ""
        texts = (
            entry.created_at.astimezone().strftime("%a %H:%M"),
            who,
            one_line(described.what),
            described.status,
            described.details,
        )
        return _Row(entry, texts, described.attention)

    def entry_at(self, row: int) -> Entry | None:
        if not 0 <= row < len(self._rows):
            return None
        return self._rows[len(self._rows) - 1 - row].entry

    def row_of(self, entry_id: int) -> int | None:
        place = self._at.get(entry_id)
        return None if place is None else len(self._rows) - 1 - place

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

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
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[len(self._rows) - 1 - index.row()]
        if role == EntryRole:
            return row.entry
        if role == Qt.ItemDataRole.ForegroundRole and row.attention:
            return Qt.GlobalColor.red
        if role == Qt.ItemDataRole.ToolTipRole:  # tooltips would draw markup: escaped
            shown = row.texts[index.column()] if 0 <= index.column() < len(COLUMNS) else ""
            return literal(shown) if shown else None
        if role != Qt.ItemDataRole.DisplayRole or not 0 <= index.column() < len(COLUMNS):
            return None
        return row.texts[index.column()]


class OutboxDialog(QDialog):
    """Lists what the app logged and wrote: waiting, sending, sent (with Outreach's id), or
    needing attention; retry now, resend, discard, export."""

    def __init__(self, logbook: Logbook, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Outbox")
        self.logbook = logbook
        self.model = OutboxTableModel(logbook, self)
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
        self.resend_button.setToolTip("Send what needs attention again, as it is")
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
        logbook.changed.connect(self._on_logbook_changed)
        self.refresh()

    def refresh(self) -> None:
        """List everything again (when the dialog is opened)."""
        selected = self.selected()
        self.model.reload()
        if selected is not None and (row := self.model.row_of(selected.id)) is not None:
            self.table.selectRow(row)
        self._show_summary()
        self._update_buttons()

    def selected(self) -> Entry | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.entry_at(rows[0].row()) if rows else None

    def _show_summary(self) -> None:
        today = self.logbook.today()
        others = today.total - today.calls
        writes = f" and {others} other write{'s' if others != 1 else ''}" if others else ""
        self.summary.setText(
            f"Today: {today.calls} calls{writes} · {today.sent} sent · {today.unsent} waiting"
            f" · {today.attention} need attention"
        )

    def _update_buttons(self) -> None:
        entry = self.selected()
        self.resend_button.setEnabled(entry is not None and entry.state == "attention")
        self.discard_button.setEnabled(
            entry is not None and entry.state in ("waiting", "attention")
        )

    # -- slots ------------------------------------------------------------------------------

    def _on_logbook_changed(self, change: OutboxChange) -> None:
        if not self.isVisible():
            return  # listed again when it opens
        self.model.apply(change.entries)
        self._show_summary()
        self._update_buttons()

    def _on_retry_button_clicked(self) -> None:
        self.logbook.retry_now()

    def _on_resend_button_clicked(self) -> None:
        entry = self.selected()
        if entry is not None and entry.state == "attention":
            self.logbook.resend(entry.id)

    def _on_discard_button_clicked(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        who = isolate(entry.summary) if entry.summary else "this prospect"
        what = "the call" if entry.kind == "call" else "this"
        after = [f for f in self.logbook.followers(entry.id) if f.state in ("waiting", "attention")]
        also = f" What waits for it ({len(after)} more) is discarded with it." if after else ""
        answer = ask(
            self,
            "Discard?",
            f"Discard {what} with {who}? It will never reach Outreach.{also}",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Discard:
            self.logbook.discard(entry.id)

    def _on_export_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export calls", "calls.csv", "CSV (*.csv)")
        if path:
            self.export_to(path)

    def export_to(self, path: str) -> int:
        return self.logbook.export_csv(Path(path))
