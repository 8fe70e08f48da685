"""The call-task queue in the window: today's and overdue call tasks, the one open, what's next.

Between calls it shows the list ("Call tasks": who, due when, their local time and whether
they may be called now, which sequence step or callback), the keys to work it (Next task, Skip,
Snooze, Reschedule) and, when the list is the saved copy, from when it is. While a call is on or
in the wrap-up, and in compact mode, it folds to one line — how many are due and the next one —
so the call and its wrap-up keep the room. The panel shows a `services.queue.CallQueue` and asks
the window to open a task; it never talks to Outreach itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.worklist import QueueItem, due_text
from . import shortcuts as keys
from .text import literal, one_line, plain

if TYPE_CHECKING:
    from ..services.queue import CallQueue

Index = QModelIndex | QPersistentModelIndex
TaskRole = Qt.ItemDataRole.UserRole + 1
VISIBLE_ROWS = 4
WARN = "color: #b3261e;"


@dataclass(frozen=True, slots=True)
class Row:
    """One task as the list draws it."""

    item: QueueItem
    display: str
    accessible: str
    tooltip: str
    current: bool
    callable_now: bool


def row_of(
    item: QueueItem, now: datetime, hours: tuple[int, int], *, current: bool, number: int
) -> Row:
    """The words for one task: who, due when, their time (callable now or not), what it is."""
    who = one_line(item.who, 80)
    company = one_line(item.company, 60)
    due = due_text(item.due_at, now)
    lt = item.local(now, *hours)
    callable_now = lt is None or lt.within_hours
    if lt is None:
        where = "their time unknown"
    elif lt.within_hours:
        where = f"{lt.at:%H:%M} their time"
    else:
        where = f"{lt.at:%a %H:%M} their time, outside calling hours"
    what = one_line(item.what, 60)
    mark = "▶ " if current else ""
    first = f"{mark}{who}" + (f" · {company}" if company else "")
    second = f"{due} · {where} · {what}"
    spoken = (
        f"{number}. {'Open: ' if current else ''}{who}"
        + (f", {company}" if company else "")
        + f", {due}, {where}, {what}"
    )
    note = one_line(item.note, 300)
    tip = f"{who}: {what}, {due}" + (f"\n{note}" if note else "")
    return Row(item, f"{first}\n{second}", spoken, literal(tip), current, callable_now)


class QueueModel(QAbstractListModel):
    """The tasks to work, in order; the open one marked (▶, bold)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self._bold = QFont()
        self._bold.setBold(True)

    def set_rows(self, rows: list[Row]) -> None:
        if rows == self._rows:
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def item_at(self, row: int) -> QueueItem | None:
        return self._rows[row].item if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.display
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return row.accessible
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip
        if role == Qt.ItemDataRole.FontRole and row.current:
            return self._bold
        if role == TaskRole:
            return row.item.task_id
        return None


class QueuePanel(QWidget):
    """The queue: heading with the counts and the keys, the list, or one line in compact mode.

    Signals:
        openRequested(int): the rep picked this task (Enter or a click in the list).
        nextRequested(): Next task.
        skipRequested(), snoozeRequested(), rescheduleRequested(): the open task's keys.
    """

    openRequested = Signal(int)
    nextRequested = Signal()
    skipRequested = Signal()
    snoozeRequested = Signal()
    rescheduleRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("queue-panel")
        self.queue: CallQueue | None = None
        self._compact = False
        self._folded = False
        self.heading = QLabel("Call tasks", self)
        font = self.heading.font()
        font.setBold(True)
        self.heading.setFont(font)
        self.counts = QLabel(self)
        self.counts.setObjectName("queue-counts")
        self.counts.setAccessibleName("Call tasks summary")
        self.source = QLabel(self)
        self.source.setObjectName("queue-source")
        self.source.setAccessibleName("Call tasks list state")
        self.source.setWordWrap(True)
        self.source.hide()
        self.next_button = self._button("Next task", "Next task", keys.NEXT_TASK)
        self.skip_button = self._button("Skip", "Skip task", keys.SKIP_TASK)
        self.snooze_button = self._button("Snooze", "Snooze task", keys.SNOOZE_TASK)
        self.reschedule_button = self._button(
            "Reschedule…", "Reschedule task", keys.RESCHEDULE_TASK
        )
        self.model = QueueModel(self)
        self.list = QListView(self)
        self.list.setAccessibleName("Call tasks")
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(True)  # every row is two lines
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setAlternatingRowColors(True)  # two lines a task: the stripes keep them apart
        self.line = QLabel(self)  # compact mode: the next task in one line
        self.line.setObjectName("queue-line")
        self.line.setAccessibleName("Next call task")
        self.line.setToolTip(f"{keys.NEXT_TASK.action} ({keys.NEXT_TASK.label})")
        self.line.hide()
        plain(self.counts, self.source, self.line)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.heading)
        top.addWidget(self.counts, 1)
        top.addWidget(self.next_button)
        actions = QHBoxLayout()
        actions.setContentsMargins(0, 0, 0, 0)
        actions.addWidget(self.skip_button)
        actions.addWidget(self.snooze_button)
        actions.addWidget(self.reschedule_button)
        actions.addStretch(1)
        self._actions = QWidget(self)
        self._actions.setLayout(actions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addWidget(self.source)
        layout.addWidget(self.list)
        layout.addWidget(self._actions)
        layout.addWidget(self.line)

        self.next_button.clicked.connect(self.nextRequested.emit)
        self.skip_button.clicked.connect(self.skipRequested.emit)
        self.snooze_button.clicked.connect(self.snoozeRequested.emit)
        self.reschedule_button.clicked.connect(self.rescheduleRequested.emit)
        self.list.activated.connect(self._on_list_activated)
        self.list.clicked.connect(self._on_list_activated)
        self.refresh()

    def _button(self, text: str, name: str, shortcut: keys.Shortcut) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(name)
        button.setToolTip(f"{shortcut.action} ({shortcut.label})")
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        return button

    def set_queue(self, queue: CallQueue) -> None:
        self.queue = queue
        queue.changed.connect(self.refresh)
        self.refresh()

    def set_compact(self, compact: bool) -> None:
        """Compact mode: one line (how many are due, the next task) instead of the list."""
        if compact != self._compact:
            self._compact = compact
            self.refresh()

    def set_folded(self, folded: bool) -> None:
        """A call is on or in the wrap-up: one line instead of the list."""
        if folded != self._folded:
            self._folded = folded
            self.refresh()

    def refresh(self) -> None:
        """Show the queue as it is now."""
        queue = self.queue
        if queue is None:
            now, hours = datetime.now().astimezone(), (8, 20)
            items, current, nxt, open_item = [], None, None, None
        else:
            now, hours = queue.clock.now(), queue.hours()
            items, current = queue.items(), queue.work.current
            nxt, open_item = queue.next_item(), queue.current()
        rows = [
            row_of(item, now, hours, current=item.task_id == current, number=n)
            for n, item in enumerate(items, start=1)
        ]
        self.model.set_rows(rows)
        loaded = queue is not None and queue.loaded
        source = queue.source_text() if queue is not None else ""
        if not loaded:
            self.counts.setText(source or "Not read yet")
            source = ""
        elif not rows:
            self.counts.setText("none due — all done")
        else:
            callable_now = sum(1 for r in rows if r.callable_now)
            self.counts.setText(f"{len(rows)} due · {callable_now} callable now")
        self.source.setText(source)
        self.source.setStyleSheet(WARN if source else "")
        for button in (self.skip_button, self.snooze_button, self.reschedule_button):
            button.setEnabled(open_item is not None)
        self.next_button.setEnabled(nxt is not None)
        who = one_line(nxt.who, 80) if nxt is not None else "none due"
        self.next_button.setToolTip(f"{keys.NEXT_TASK.action} ({keys.NEXT_TASK.label}): {who}")
        if nxt is not None:
            lt = nxt.local(now, *hours)
            where = f", {lt.at:%H:%M} their time" if lt is not None else ""
            line = (
                f"Call tasks: {len(rows)} due · next ({keys.NEXT_TASK.label}): "
                f"{one_line(nxt.who, 60)}{where}"
            )
        else:
            line = "Call tasks: none due." if loaded else ""
        self.line.setText(line)
        full = not (self._compact or self._folded)
        for widget in (self.heading, self.counts, self.next_button, self.list, self._actions):
            widget.setVisible(full)
        self.source.setVisible(full and bool(source))
        self.line.setVisible(not full and bool(line))
        self._fit_list(len(rows))

    def _fit_list(self, count: int) -> None:
        rows = max(1, min(count, VISIBLE_ROWS))
        hint = self.list.sizeHintForRow(0) if count else self.fontMetrics().height() * 2 + 4
        height = rows * hint + 2 * self.list.frameWidth() + 2
        if height != self.list.height():
            self.list.setFixedHeight(height)

    def select_current(self) -> None:
        """Scroll to (and select) the open task in the list."""
        queue = self.queue
        if queue is None:
            return
        for row in range(self.model.rowCount()):
            item = self.model.item_at(row)
            if item is not None and item.task_id == queue.work.current:
                index = self.model.index(row, 0)
                self.list.setCurrentIndex(index)
                self.list.scrollTo(index)
                return

    def _on_list_activated(self, index: QModelIndex) -> None:
        item = self.model.item_at(index.row())
        if item is not None:
            self.openRequested.emit(item.task_id)
