"""Qt item models over core data: lookup matches, and how a match row is drawn."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPointF, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetrics,
    QIcon,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
    QResizeEvent,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QApplication, QListView, QStyle, QWidget

from ..core.outreach.models import Match, Prospect
from ..core.phone import pretty
from .text import literal, one_line

MAX_SHOWN = 20  # rows a lookup shows; the service asks for one more to know there are more
_NUMBER = re.compile(r"(\+\d{6,15})$")
_WORD = re.compile(r"\w+")


class MatchListModel(QStandardItemModel):
    """Lookup results: one row a prospect, saying who it is and why it matched.

    Each row holds its text — two lines (`DisplayRole`), what a screen reader says, its tooltip
    — and, once a view draws the rows (`draw_rows_with`, the search box's list), a picture of
    its two lines for each state. Qt then paints the list on its own: a paint that called back
    into Python for every row and every question the view asks waits for the interpreter's lock
    each time the sender's thread holds it (measured: a repaint of twenty rows 3 ms alone,
    33 ms beside a busy Python thread; 0.9 and 1.7 ms drawn by Qt alone).

    `stale` rows answer an earlier query: greyed out, and they cannot be picked.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._matches: list[Match] = []
        self._rows: list[_Row] = []
        self._draw: Callable[[tuple[str, str, str]], QIcon] | None = None
        self._row_size = QSize()
        self.stale = False

    def set_matches(self, matches: list[Match], query: str = "") -> None:
        """Show `matches`: the same prospects in the same order (Outreach's answer confirming
        the local matches) are updated in place, keeping the view's current row; others
        replace the rows."""
        matches = list(matches)
        same = bool(matches) and [m.prospect.id for m in matches] == [
            m.prospect.id for m in self._matches
        ]
        self.stale = False
        self._matches = matches
        self._rows = [_row(m, query) for m in matches]
        if same:
            with self._quiet():
                for number, row in enumerate(self._rows):
                    self._fill(self._item(number), row)
            self._changed()
            return
        self.beginResetModel()
        with self._quiet():
            self.setRowCount(0)
            items = [QStandardItem() for _ in self._rows]
            for item, row in zip(items, self._rows, strict=True):
                self._fill(item, row)
            if items:
                self.invisibleRootItem().appendRows(items)
        self.endResetModel()

    def set_stale(self, stale: bool, *, drawn: bool = True) -> None:
        """Greyed out (and not pickable): the rows answer an earlier query. With `drawn=False`
        they cannot be picked from now on, and are drawn greyed out by `draw_stale`."""
        if stale != self.stale and self._matches:
            self.stale = stale
            with self._quiet():
                for number, row in enumerate(self._rows):
                    self._fill(self._item(number), row, texts=False)
            if drawn:
                self.draw_stale()

    def draw_stale(self) -> None:
        """Views draw the rows as they are now (greyed out while `stale`)."""
        self._changed()

    def draw_rows_with(self, draw: Callable[[tuple[str, str, str]], QIcon], size: QSize) -> None:
        """Rows drawn as pictures from now on: `draw` makes a row's (name, why, detail) into a
        picture for each state, each row `size`; their text is left for screen readers and
        tooltips (the view draws it in no colour). Called again when the look changes."""
        self._draw, self._row_size = draw, QSize(size)
        if self._matches:
            with self._quiet():
                for number, row in enumerate(self._rows):
                    self._fill(self._item(number), row)
            self._changed()

    def match_at(self, row: int) -> Match | None:
        return self._matches[row] if 0 <= row < len(self._matches) else None

    def _item(self, row: int) -> QStandardItem:
        item = self.item(row)
        assert item is not None  # every row has its item
        return item

    def _fill(self, item: QStandardItem, row: _Row, *, texts: bool = True) -> None:
        """The row's text, picture and state, in `item` (signals blocked by the caller)."""
        if self.stale:
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setData(f"Earlier match, still searching: {row.accessible}", _ACCESSIBLE)
        else:
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setData(row.accessible, _ACCESSIBLE)
        if not texts:
            return
        name, why, detail = row.lines
        item.setData(f"{name}\n{detail + ' — ' if detail else ''}{why}", _DISPLAY)
        item.setData(row.tooltip, Qt.ItemDataRole.ToolTipRole)
        if self._draw is not None:
            item.setData(self._draw(row.lines), Qt.ItemDataRole.DecorationRole)
            item.setData(self._row_size, Qt.ItemDataRole.SizeHintRole)
            item.setData(_UNSEEN, Qt.ItemDataRole.ForegroundRole)

    @contextmanager
    def _quiet(self) -> Iterator[None]:
        """Items changed without a signal each: views hear once, after (`_changed`)."""
        blocked = self.blockSignals(True)
        try:
            yield
        finally:
            self.blockSignals(blocked)

    def _changed(self) -> None:
        if self._matches:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._matches) - 1, 0))


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


class RowArt:
    """Draws rows of matches into pictures, as the list shows them: two lines a row, each cut
    with … to the row's width (never scrolled sideways) — the name in bold with why it matched
    at its right, then title and company — in the colours of each state (normal, highlighted,
    greyed out). Plain text always, whatever it holds. A row's pictures are kept for its lines
    at one look (the same rows come back: the local matches, then Outreach's answer)."""

    PAD = 4
    GAP = 12  # between the name and why it matched
    INSET = 6  # from the row's edges to its text
    KEPT = 512  # rows' pictures kept, then forgotten all at once

    def __init__(self) -> None:
        self._look: _Look | None = None
        self._kept: dict[tuple[str, str, str], QIcon] = {}

    def set_look(self, look: _Look) -> bool:
        """Draw at this look from now on; whether it changed (the pictures kept are dropped)."""
        if look == self._look:
            return False
        self._look = look
        self._kept.clear()
        return True

    def row_size(self) -> QSize:
        look = self._look
        if look is None:
            return QSize()
        return QSize(max(look.width, 1), 2 * QFontMetrics(look.font).height() + 2 * self.PAD + 2)

    def icon(self, lines: tuple[str, str, str]) -> QIcon:
        icon = self._kept.get(lines)
        if icon is None:
            if len(self._kept) >= self.KEPT:
                self._kept.clear()
            icon = self._kept[lines] = self._draw(lines)
        return icon

    def _draw(self, lines: tuple[str, str, str]) -> QIcon:
        icon = QIcon()
        look = self._look
        if look is None or look.width < 1:
            return icon
        font = look.font
        bold = QFont(font)
        bold.setBold(True)
        plain, strong = QFontMetrics(font), QFontMetrics(bold)
        size = self.row_size()
        room = look.width - 2 * (self.INSET - look.margin)
        name, reason, detail = _cut(lines, room, plain, strong, self.GAP)
        left = self.INSET - look.margin
        line = plain.height()
        top = self.PAD
        palette = look.palette
        normal, disabled = QPalette.ColorGroup.Normal, QPalette.ColorGroup.Disabled
        text, muted = QPalette.ColorRole.Text, QPalette.ColorRole.PlaceholderText
        highlighted = palette.color(normal, QPalette.ColorRole.HighlightedText)
        states = (
            (QIcon.Mode.Normal, palette.color(normal, text), palette.color(normal, muted)),
            (QIcon.Mode.Selected, highlighted, highlighted),
            (QIcon.Mode.Disabled, palette.color(disabled, text), palette.color(disabled, muted)),
        )
        for mode, colour, reason_colour in states:
            picture = QPixmap(size * look.ratio)
            picture.setDevicePixelRatio(look.ratio)
            picture.fill(Qt.GlobalColor.transparent)
            painter = QPainter(picture)
            painter.setFont(bold)
            painter.setPen(colour)
            painter.drawText(
                QPointF(left, top + (line - strong.height()) / 2 + strong.ascent()), name
            )
            painter.setFont(font)
            painter.setPen(reason_colour)
            reason_left = left + room - plain.horizontalAdvance(reason)
            painter.drawText(QPointF(reason_left, top + plain.ascent()), reason)
            painter.setPen(colour)
            painter.drawText(QPointF(left, top + line + 2 + plain.ascent()), detail)
            painter.end()
            icon.addPixmap(picture, mode)
        return icon


@dataclass(frozen=True)
class _Look:
    """What a row's pictures depend on besides its lines."""

    width: int  # the picture's: the row's less the style's margins on both sides
    margin: int  # the style's, left of the picture
    font: QFont
    palette: QPalette
    ratio: float  # device pixels a pixel


def _cut(
    lines: tuple[str, str, str], width: int, plain: QFontMetrics, bold: QFontMetrics, gap: int
) -> tuple[str, str, str]:
    """The name, why and detail cut to `width`: the name and why share the first line (when
    both do not fit, the name keeps at least 45 % of it)."""
    name, reason, detail = lines
    name_natural = bold.horizontalAdvance(name)
    reason_natural = plain.horizontalAdvance(reason)
    if name_natural + gap + reason_natural <= width:
        name_width = name_natural
    else:  # both cut: the name keeps at least 45 % of the row
        name_width = max(min(name_natural, int(width * 0.45)), width - gap - reason_natural)
    reason_width = max(width - gap - name_width, 0)
    elide = Qt.TextElideMode.ElideRight
    return (
        bold.elidedText(name, elide, name_width),
        plain.elidedText(reason, elide, reason_width),
        plain.elidedText(detail, elide, width),
    )


class MatchListView(QListView):
    """The search box's list of matches, painted by Qt alone (see `MatchListModel`): its rows
    are pictures drawn by a `RowArt`, again whenever the list's width, font, colours or
    screen change; the text under them is drawn in no colour. Python is called back only for
    those changes and for key presses (never an event filter: it would be called for every
    paint)."""

    def __init__(
        self,
        model: MatchListModel,
        keys: Callable[[QKeyEvent], bool],
        parent: QWidget | None = None,
    ) -> None:
        """`keys` has each key press first (True: taken)."""
        super().__init__(parent)
        self._art = RowArt()
        self._model = model
        self._keys = keys
        palette = self.palette()
        for group in (
            QPalette.ColorGroup.Active,
            QPalette.ColorGroup.Inactive,
            QPalette.ColorGroup.Disabled,
        ):
            palette.setColor(group, QPalette.ColorRole.HighlightedText, _UNSEEN.color())
        self.setPalette(palette)
        self.setModel(model)
        self.setUniformItemSizes(True)  # every row is two lines: no per-row layout
        self._restyle()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._keys(event):
            event.accept()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._restyle()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in _LOOK_EVENTS:
            self._restyle()

    def _restyle(self) -> None:
        """The rows drawn again if their look changed."""
        margin = self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1
        look = _Look(
            self.viewport().width() - 2 * margin,
            margin,
            QFont(self.font()),
            QApplication.palette(self),
            self.devicePixelRatioF(),
        )
        if self._art.set_look(look):
            size = self._art.row_size()
            self.setIconSize(size)
            self._model.draw_rows_with(self._art.icon, QSize(1, size.height()))


_LOOK_EVENTS = frozenset(
    {
        QEvent.Type.FontChange,
        QEvent.Type.PaletteChange,
        QEvent.Type.StyleChange,
        QEvent.Type.DevicePixelRatioChange,
    }
)
_DISPLAY = Qt.ItemDataRole.DisplayRole
_ACCESSIBLE = Qt.ItemDataRole.AccessibleTextRole
_UNSEEN = QBrush(Qt.GlobalColor.transparent)
