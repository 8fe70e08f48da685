"""Qt item models over core data: lookup matches, and how a match row is drawn."""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QSize,
    Qt,
)
from PySide6.QtGui import QFont, QFontMetrics, QKeyEvent, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ..core.outreach.models import Match, Prospect
from ..core.phone import pretty
from .keyed import Keys, offer
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
        self._query = ""
        self._rows: list[_Row | None] = []  # each made when first asked for (views ask often)
        self.stale = False

    def set_matches(self, matches: list[Match], query: str = "") -> None:
        """Show `matches` in the rows there are, as many as needed added or taken away: the
        view keeps its current row, its layout when the count is the same, and a screen
        reader on a row stays on it (Outreach's answer confirming the local matches, or a
        keystroke's answer replacing the last one's). No match: the rows are reset. As Qt's
        models must, rows taken away or added are the only ones changing meanwhile: the rows
        kept are written before rows are added, after rows are taken away."""
        matches = list(matches)
        before, after = len(self._matches), len(matches)
        self.stale = False
        if not matches or not before:
            self.beginResetModel()
            self._keep(matches, query)
            self.endResetModel()
            return
        if after < before:
            self.beginRemoveRows(QModelIndex(), after, before - 1)
            self._keep(self._matches[:after], self._query)
            self.endRemoveRows()
        kept = min(before, after)
        self._keep(matches[:kept], query)  # as many rows as there are now
        self.dataChanged.emit(self.index(0, 0), self.index(kept - 1, 0))
        if after > before:
            self.beginInsertRows(QModelIndex(), before, after - 1)
            self._keep(matches, query)
            self.endInsertRows()

    def _keep(self, matches: list[Match], query: str) -> None:
        self._matches, self._query, self._rows = matches, query, [None] * len(matches)

    def set_stale(self, stale: bool, *, drawn: bool = True) -> None:
        """Greyed out (and not pickable): the rows answer an earlier query. With `drawn=False`
        they cannot be picked from now on, and are drawn greyed out by `draw_stale`."""
        if stale != self.stale and self._matches:
            self.stale = stale
            if drawn:
                self.draw_stale()

    def draw_stale(self) -> None:
        """Views draw the rows as they are now (greyed out while `stale`)."""
        if self._matches:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._matches) - 1, 0))

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
        if role == LinesRole:
            return self._row(row).lines
        if role == Qt.ItemDataRole.DisplayRole:
            name, why, detail = self._row(row).lines
            return f"{name}\n{detail + ' — ' if detail else ''}{why}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self._row(row).accessible
            return f"Earlier match, still searching: {text}" if self.stale else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._row(row).tooltip
        if role == MatchRole:
            return self._matches[row]
        return None

    def _row(self, row: int) -> _Row:
        made = self._rows[row]
        if made is None:
            made = self._rows[row] = _row(self._matches[row], self._query)
        return made


def fold(text: str) -> str:
    """Lower case without accents: "Zoë" → "zoe"."""
    if text.isascii():
        return text.lower()  # the same, at once: ASCII has no accents, and casefolds to lower
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


@dataclass(frozen=True, slots=True)
class _Row:
    """What a row shows and says."""

    lines: tuple[str, str, str]  # name, why, title · company
    accessible: str
    tooltip: str


@functools.lru_cache(maxsize=512)  # the same matches come back: local, then Outreach's answer
def _row(match: Match, query: str) -> _Row:
    lines = _lines(match, query)
    return _Row(lines, *_texts(match, lines))


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


class KeyedListView(QListView):
    """A list view whose keys go to `keys` first (`keyed`: no event filter)."""

    def __init__(self, keys: Keys, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._keys = keys

    def keyPressEvent(self, event: QKeyEvent) -> None:
        offer(self._keys, event, super().keyPressEvent)


class MatchDelegate(QStyledItemDelegate):
    """Two lines a row, each cut with … to the row's width (never scrolled sideways): the name
    with why it matched at its right, then title and company.

    A row's lines are cut once for a width and font and kept: painting a row again (a
    keystroke greying it out, Outreach's answer confirming it, the highlight moving) only
    draws. Drawn with `drawText`, plain text always (measured: a new row's three texts drawn
    in half the time `QStaticText` takes to lay them out once and draw them).
    """

    PAD = 4
    GAP = 12  # between the name and why it matched
    CUT_KEPT = 512  # rows' cut lines kept (widths × rows), then forgotten all at once

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._font: QFont | None = None
        self._bold = QFont()
        self._metrics: tuple[QFontMetrics, QFontMetrics] | None = None  # plain, bold
        self._cut: dict[tuple[tuple[str, str, str], int], _Cut] = {}

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        height = option.fontMetrics.height()
        return QSize(1, 2 * height + 2 * self.PAD + 2)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        widget: QWidget | None = option.widget
        style = widget.style() if widget is not None else None
        if widget is None or style is None:
            return
        # The row's background, highlight and focus frame as the style draws them (no text).
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, widget)
        lines = index.data(LinesRole)
        if not lines:
            return
        font: QFont = option.font
        plain, bold = self._metrics_for(font, widget)
        rect = option.rect.adjusted(6, self.PAD, -6, -self.PAD)
        cut = self._cut_lines(lines, rect.width(), plain, bold)
        palette: QPalette = option.palette
        state = option.state.value  # (an int: Qt's flags as Python enums are slow to test)
        group = _NORMAL if state & _ENABLED else _DISABLED
        text_colour = palette.color(group, _HIGHLIGHTED_TEXT if state & _SELECTED else _TEXT)
        muted = text_colour if state & _SELECTED else palette.color(group, _PLACEHOLDER)
        line = plain.height()
        left, top = rect.left(), rect.top()
        painter.save()
        painter.setFont(self._bold)
        painter.setPen(text_colour)
        painter.drawText(QPointF(left, top + (line - bold.height()) / 2 + bold.ascent()), cut.name)
        painter.setFont(font)
        painter.setPen(muted)
        baseline = top + plain.ascent()
        painter.drawText(QPointF(left + rect.width() - cut.reason_width, baseline), cut.reason)
        painter.setPen(text_colour)
        painter.drawText(QPointF(left, baseline + line + 2), cut.detail)
        painter.restore()

    def warm(self, view: QWidget) -> None:
        """The view's fonts loaded and measured before the first row is drawn: a row's texts
        drawn once, unseen."""
        font = view.font()
        self._metrics_for(font, view)
        picture = QPixmap(1, 1)
        painter = QPainter(picture)
        for face in (self._bold, font):
            painter.setFont(face)
            painter.drawText(QPointF(0, 0), "Ag 0")
        painter.end()

    def _metrics_for(self, font: QFont, widget: QWidget) -> tuple[QFontMetrics, QFontMetrics]:
        """The plain and bold metrics of the view's font (made again when it changes)."""
        if self._metrics is None or self._font != font:
            self._font = QFont(font)
            self._bold = QFont(font)
            self._bold.setBold(True)
            self._metrics = (QFontMetrics(font, widget), QFontMetrics(self._bold, widget))
            self._cut.clear()
        return self._metrics

    def _cut_lines(
        self,
        lines: tuple[str, str, str],
        width: int,
        plain: QFontMetrics,
        bold: QFontMetrics,
    ) -> _Cut:
        """The name, why and detail cut to `width`: the name and why share the first line (when
        both do not fit, the name keeps at least 45 % of it). Each text is measured once and
        cut only when it does not fit (most do)."""
        key = (lines, width)
        cut = self._cut.get(key)
        if cut is not None:
            return cut
        name, reason, detail = lines
        name_natural = bold.horizontalAdvance(name)
        reason_natural = plain.horizontalAdvance(reason)
        elide = Qt.TextElideMode.ElideRight
        if detail and plain.horizontalAdvance(detail) > width:
            detail = plain.elidedText(detail, elide, width)
        if name_natural + self.GAP + reason_natural > width:  # both cut: the name keeps 45 %
            name_width = max(
                min(name_natural, int(width * 0.45)), width - self.GAP - reason_natural
            )
            reason_width = max(width - self.GAP - name_width, 0)
            if name_natural > name_width:
                name = bold.elidedText(name, elide, name_width)
            if reason_natural > reason_width:
                reason = plain.elidedText(reason, elide, reason_width)
                reason_natural = plain.horizontalAdvance(reason)
        cut = _Cut(name, reason, reason_natural, detail)
        if len(self._cut) >= self.CUT_KEPT:
            self._cut.clear()
        self._cut[key] = cut
        return cut


@dataclass(frozen=True, slots=True)
class _Cut:
    """A row's lines as drawn at one width (always as plain text, whatever they hold)."""

    name: str
    reason: str
    reason_width: int  # drawn flush right
    detail: str


_NORMAL, _DISABLED = QPalette.ColorGroup.Normal, QPalette.ColorGroup.Disabled
_TEXT, _HIGHLIGHTED_TEXT = QPalette.ColorRole.Text, QPalette.ColorRole.HighlightedText
_PLACEHOLDER = QPalette.ColorRole.PlaceholderText
_ENABLED = QStyle.StateFlag.State_Enabled.value
_SELECTED = QStyle.StateFlag.State_Selected.value
