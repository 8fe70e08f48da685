"""Qt item models over core data: lookup matches."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from ..core.outreach.models import Match
from .text import literal, one_line

MatchRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex


class MatchListModel(QAbstractListModel):
    """Lookup results: one row a prospect, saying who it is and why it matched."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._matches: list[Match] = []
        self._texts: list[tuple[str, str, str]] = []  # display, accessible, tooltip

    def set_matches(self, matches: list[Match]) -> None:
        self.beginResetModel()
        self._matches = list(matches)
        self._texts = [_texts(m) for m in self._matches]  # views ask for these many times
        self.endResetModel()

    def match_at(self, row: int) -> Match | None:
        return self._matches[row] if 0 <= row < len(self._matches) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._matches)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._matches):
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._texts[row][0]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._texts[row][1]
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._texts[row][2]
        if role == MatchRole:
            return self._matches[row]
        return None


def _texts(match: Match) -> tuple[str, str, str]:
    """Display, accessible and tooltip text: plain (item views draw plain text; tooltips are
    escaped) and without bidi controls."""
    p = match.prospect
    name, title, company = one_line(p.name), one_line(p.title), one_line(p.company)
    reason = one_line(match.reason)
    where = " · ".join(x for x in (title, company) if x)
    return (
        f"{name}\n{where + ' — ' if where else ''}matched on {reason}",
        f"{name}, {title} at {company}, matched on {reason}",
        literal(", ".join(one_line(e) for e in p.emails)),
    )
