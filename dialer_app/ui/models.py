"""Qt item models over core data: lookup matches, and how a match row is drawn."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from ..core.outreach.models import Match, Prospect
from ..core.phone import pretty
from .text import literal, one_line

MatchRole = Qt.ItemDataRole.UserRole + 1
LinesRole = Qt.ItemDataRole.UserRole + 2
Index = QModelIndex | QPersistentModelIndex
MAX_SHOWN = 20  # rows a lookup shows; the service asks for one more to know there are more
_NUMBER = re.compile(r"(\+\d{6,15})$")
_WORD = re.compile(r"\w+")


class MatchListModel(QAbstractListModel):
    """Lookup results: one row a prospect, saying who it is and why it matched.

    `stale` rows answer an earlier query: drawn greyed out, and they cannot be picked.
    """

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._matches: list[Match] = []
        self._lines: list[tuple[str, str, str]] = []  # name, why, title · company
        self._texts: list[tuple[str, str]] = []  # accessible, tooltip
        self.stale = False

    def set_matches(self, matches: list[Match], query: str = "") -> None:
        self.beginResetModel()
        self.stale = False
        self._matches = list(matches)
        self._lines = [_lines(m, query) for m in self._matches]  # views ask many times
        self._texts = [
            _texts(m, lines) for m, lines in zip(self._matches, self._lines, strict=True)
        ]
        self.endResetModel()

    def set_stale(self, stale: bool) -> None:
        if stale != self.stale and self._matches:
            self.beginResetModel()
            self.stale = stale
            self.endResetModel()

    def match_at(self, row: int) -> Match | None:
        return self._matches[row] if 0 <= row < len(self._matches) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._matches)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid() or self.stale:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._matches):
            return None
        row = index.row()
        if role == Qt.ItemDataRole.DisplayRole:
            name, why, detail = self._lines[row]
            return f"{name}\n{detail + ' — ' if detail else ''}{why}"
        if role == LinesRole:
            return self._lines[row]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self._texts[row][0]
            return f"Earlier match, still searching: {text}" if self.stale else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._texts[row][1]
        if role == MatchRole:
            return self._matches[row]
        return None


def fold(text: str) -> str:
    """Lower case without accents: "Zoë" → "zoe"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _starts_words(query: str, text: str) -> bool:
    """Every word of `query` starts a word of `text` (folded)."""
    words = _WORD.findall(fold(text))
    wanted = _WORD.findall(fold(query))
    return bool(wanted) and all(any(w.startswith(q) for w in words) for q in wanted)


def why(match: Match, query: str) -> str:
    """Why it matched, in words: "matched on name", "matched on company", "matched on email
    x@y.com", "matched on mobile number +1 212-555-0115". A match reported as on the name whose
    name does not hold the typed words, but whose company does, is said to be on the company."""
    reason = one_line(match.reason) or "your search"
    p: Prospect = match.prospect
    on_company = query and not _starts_words(query, p.name) and _starts_words(query, p.company)
    if reason == "name" and on_company:
        reason = "company"
    found = _NUMBER.search(reason)
    if found is not None:  # "phone +4930265…" → a number a person reads
        reason = reason[: found.start()] + pretty(found.group(1))
    return f"matched on {reason}"


def _lines(match: Match, query: str) -> tuple[str, str, str]:
    p = match.prospect
    detail = " · ".join(x for x in (one_line(p.title), one_line(p.company)) if x)
    return one_line(p.name) or "(no name)", why(match, query), detail


def _texts(match: Match, lines: tuple[str, str, str]) -> tuple[str, str]:
    """Accessible and tooltip text: plain and without bidi controls (tooltips escaped)."""
    name, reason, detail = lines
    where = f", {detail}" if detail else ""
    emails = ", ".join(one_line(e) for e in match.prospect.emails)
    return (
        f"{name}{where}, {reason}",
        literal(f"{name}\n{detail}\n{reason}" + (f"\n{emails}" if emails else "")),
    )


class MatchDelegate(QStyledItemDelegate):
    """Two lines a row, each cut with … to the row's width (never scrolled sideways): the name
    with why it matched at its right, then title and company."""

    PAD = 4

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        height = option.fontMetrics.height()
        return QSize(1, 2 * height + 2 * self.PAD + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget: QWidget | None = opt.widget
        style = widget.style() if widget is not None else None
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        lines = index.data(LinesRole)
        if not lines:
            return
        name, reason, detail = lines
        rect = opt.rect.adjusted(6, self.PAD, -6, -self.PAD)
        palette: QPalette = opt.palette
        enabled = bool(opt.state & QStyle.StateFlag.State_Enabled)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorGroup.Normal if enabled else QPalette.ColorGroup.Disabled
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text_colour = palette.color(group, role)
        muted = (
            text_colour if selected else palette.color(group, QPalette.ColorRole.PlaceholderText)
        )
        painter.save()
        bold = QFont(opt.font)
        bold.setBold(True)
        plain_metrics = opt.fontMetrics
        line = plain_metrics.height()
        gap, width = 12, rect.width()
        painter.setFont(bold)
        name_natural = painter.fontMetrics().horizontalAdvance(name)
        reason_natural = plain_metrics.horizontalAdvance(reason)
        if name_natural + gap + reason_natural <= width:
            name_width = name_natural
        else:  # both cut: the name keeps at least 45 % of the row
            name_width = max(min(name_natural, int(width * 0.45)), width - gap - reason_natural)
        reason_width = max(width - gap - name_width, 0)
        painter.setPen(text_colour)
        shown = painter.fontMetrics().elidedText(name, Qt.TextElideMode.ElideRight, name_width)
        top = rect.adjusted(0, 0, 0, -(rect.height() - line))
        painter.drawText(
            top, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown
        )
        painter.setFont(opt.font)
        painter.setPen(muted)
        why_text = plain_metrics.elidedText(reason, Qt.TextElideMode.ElideRight, reason_width)
        painter.drawText(
            top, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), why_text
        )
        painter.setPen(text_colour)
        bottom = rect.adjusted(0, line + 2, 0, 0)
        painter.drawText(
            bottom,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop),
            plain_metrics.elidedText(detail, Qt.TextElideMode.ElideRight, rect.width()),
        )
        painter.restore()
