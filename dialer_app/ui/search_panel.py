"""The lookup: type a name, company, email or number; matches appear as you type, each saying
why it matched (name, company, which email, which number).

Keys: ↓ in the box goes into the list of matches (↑ on its first row comes back), Enter opens
the highlighted match (pressed before the answer came, it opens the only match, or goes into
the list), Esc goes back: from the list to the box, from the box with the list open to the card.
Matches of an earlier query are never shown as if they answered this one: they cannot be opened
from the keystroke on, are greyed out as soon as the lookup is under way (unless matches kept on
this computer replace them first), and are taken away while Outreach keeps the rep waiting.
A keystroke changes only the box: the line under it says "Searching for …" once an answer is
late enough to notice (`SEARCHING_MS`); most answers come first and say what they found.

While the rep types, the list and the status line under the box grow at once but shrink only
once typing pauses (`SETTLE_MS`): the card below them does not jump at every keystroke, and a
keystroke costs no relayout of the window.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QVBoxLayout, QWidget

from ..core.text import neutralise
from .keyed import KeyedLineEdit

if TYPE_CHECKING:  # the box is painted before these load (see `add_results`)
    from PySide6.QtWidgets import QListView

    from ..core.outreach.models import Match
    from .models import MatchDelegate, MatchListModel
    from .widgets import ValueLabel

VISIBLE_ROWS = 6
WAITING_MS = 1_500  # earlier matches greyed out this long, then taken away
SEARCHING_MS = 150  # "Searching for …" only once a lookup keeps the rep waiting this long
SETTLE_MS = 600  # the list and the status line fit what they show once typing pauses this long
_NUMBER_CHARS = frozenset("+-().  /#*0123456789")


def _plain(event: QKeyEvent) -> bool:
    """A key pressed without Ctrl, Alt or Shift (those are the window's shortcuts)."""
    from PySide6.QtCore import Qt

    return event.modifiers() in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)


def _numberish(text: str) -> bool:
    """Digits and the separators people type in numbers, nothing else."""
    return any(ch.isdigit() for ch in text) and all(
        ch in _NUMBER_CHARS or ch.isspace() for ch in text
    )


class SearchPanel(QWidget):
    """Search box and results.

    Signals:
        queryChanged(str): the text to look up, on every edit (the service paces requests).
        matchChosen(object): the `Match` the rep picked (Enter or click).
        shapeChanged(): the list or the status line appeared, went or changed height.
    """

    queryChanged = Signal(str)
    matchChosen = Signal(object)
    shapeChanged = Signal()
    model: MatchListModel  # these four from add_results()
    results: QListView
    state: ValueLabel
    _delegate: MatchDelegate

    def __init__(self, parent: QWidget | None = None, *, box_only: bool = False) -> None:
        """The box, then the status line and the list of matches under it; with `box_only`,
        the box alone until `add_results()` (the window paints it first)."""
        super().__init__(parent)
        self.box = KeyedLineEdit(self._on_box_key, self)
        self.box.setPlaceholderText("Find a prospect: name, company, email or phone")
        self.box.setAccessibleName("Prospect search")
        self.box.setAccessibleDescription(
            "Type a name, email or number; Down arrow goes to the matches, Enter opens one"
        )
        self.box.setClearButtonEnabled(True)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addWidget(self.box)
        self._open = True
        self._answered = ""  # the query the rows answer ("" while none do)
        self._enter_pending = False  # Enter pressed before the answer came
        self._room = 10_000  # the most height the list may take (the window sets it)
        self._waiting = QTimer(self)
        self._waiting.setSingleShot(True)
        self._waiting.setInterval(WAITING_MS)
        self._waiting.timeout.connect(self._on_waiting_timeout)
        # A keystroke changes only the box: the status line says "Searching for …" once the
        # answer is late enough to be noticed (most come first, and say what they found).
        self._searching = QTimer(self)
        self._searching.setSingleShot(True)
        self._searching.setInterval(SEARCHING_MS)
        self._searching.timeout.connect(self._on_searching_timeout)
        self._listing = False  # until add_results()
        if not box_only:
            self.add_results()

    def add_results(self) -> None:
        """The list of matches and the status line under the box, and the name of its clear
        button (shown once there is text to clear); then the box answers keys."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QListView, QToolButton

        from .models import KeyedListView, MatchDelegate, MatchListModel
        from .widgets import ValueLabel

        for button in self.box.findChildren(QToolButton):  # the clear button Qt adds
            button.setAccessibleName("Clear search")
            button.setToolTip("Clear search")
        self.model = MatchListModel(self)
        self.results = KeyedListView(self._on_results_key, self)
        self.results.setAccessibleName("Search results")
        self.results.setModel(self.model)
        self._delegate = MatchDelegate(self.results)
        self.results.setItemDelegate(self._delegate)
        self.results.setUniformItemSizes(True)  # every row is two lines: no per-row layout
        self.results.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results.setVerticalScrollMode(QListView.ScrollMode.ScrollPerItem)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.results.setTabKeyNavigation(False)
        self.results.hide()
        self.state = ValueLabel("Search status", self, object_name="search-state")
        self.state.setWordWrap(True)
        self.state.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.state.hide()
        self._layout.addWidget(self.state)
        self._layout.addWidget(self.results)

        self.box.textEdited.connect(self._on_box_text_edited)
        self.box.returnPressed.connect(self._on_box_return_pressed)
        self.results.clicked.connect(self._on_results_clicked)
        self._listing = True
        self._typing = QTimer(self)  # running while the rep types and answers come
        self._typing.setSingleShot(True)
        self._typing.setInterval(SETTLE_MS)
        self._typing.timeout.connect(self._on_typing_timeout)

    def warm(self) -> None:
        """What the first answer would otherwise make as it is shown, made now (the window calls
        this once it is idle after start): Qt's Python types behind the list's scroll area,
        the list's style, and the fonts its rows are drawn in. Measured on a slow machine: the
        first keystroke's matches 37-45 ms to painted, against about 10 for the next ones."""
        if not self._listing:
            return
        self.results.viewport()
        self.results.ensurePolished()
        self._delegate.warm(self.results)

    # -- answers ----------------------------------------------------------------------------

    def show_results(self, query: str, matches: list[Match]) -> None:
        """Matches for `query` (Outreach's, or those kept on this computer meanwhile)."""
        if query != self.box.text().strip() or not self._open:
            return  # an answer to an older query, or the rep already picked a match
        from .models import MAX_SHOWN

        self._waiting.stop()
        self._searching.stop()
        more = len(matches) > MAX_SHOWN
        shown = matches[:MAX_SHOWN]
        # Outreach's answer to the query the rows already answer (those kept on this computer
        # came first): a match the rep moved to stays highlighted, wherever it now is; else
        # the first of the new answer is.
        moved = self.results.hasFocus() or self.results.currentIndex().row() > 0
        kept = self._highlighted_id() if self._answered == query and moved else None
        self._answered = query
        listed = self.results.isVisible()
        self.model.set_matches(shown, query)
        if shown:
            row = next((r for r, m in enumerate(shown) if m.prospect.id == kept), 0)
            if self.results.currentIndex().row() != row:
                self.results.setCurrentIndex(self.model.index(row, 0))
        if bool(shown) != listed:
            self.results.setVisible(bool(shown))
            self._fit_results()
            self.shapeChanged.emit()
        elif shown:
            self._fit_results(grow_only=True)  # fewer rows: the list shrinks once typing pauses
        self._typing.start()
        if self._enter_pending and shown:
            self._enter_pending = False
            if len(shown) == 1:
                self._choose(0)
                return
            self._enter_list(0)
        if self.results.isVisible():  # the rows first, now, not after the next loop pass
            self.results.viewport().repaint()
        if not query:
            self._say("")
        elif not shown and _numberish(query):
            self._say(
                f"No prospect has the number “{neutralise(query)}”. Check it, or try a name "
                "or email.",
                aloud=True,
            )
        elif not shown:
            self._say(
                f"No prospect matches “{neutralise(query)}”."
                " Check the spelling, or try an email or number.",
                aloud=True,
            )
        elif more:
            self._say(
                f"More than {MAX_SHOWN} matches; the first {MAX_SHOWN} are shown. Type more "
                "of the name, or the email, to narrow them. Enter opens the highlighted one.",
                aloud=True,
            )
        elif len(shown) == 1:
            self._say("1 match — press Enter to open it.", aloud=True)
        else:
            self._say(
                f"{len(shown)} matches — Enter opens the highlighted one; ↓ picks another.",
                aloud=True,
            )

    def show_local(self, query: str, matches: list[Match]) -> None:
        """The matches kept on this computer for `query`, at once while Outreach is asked:
        shown; none — the earlier rows stay, greyed out, until Outreach answers."""
        if matches:
            self.show_results(query, matches)
        elif query == self.box.text().strip() and self._open:
            self._grey_out()

    def _grey_out(self) -> None:
        """The earlier rows drawn as such: greyed out, none highlighted."""
        if self.model.stale:
            self.model.draw_stale()
            self.results.setCurrentIndex(QModelIndex())
            self.results.clearSelection()

    def show_error(self, query: str, message: str) -> None:
        if query != self.box.text().strip():
            return
        self._waiting.stop()
        self._searching.stop()
        self._enter_pending = False
        fresh = self.model.rowCount() and self._answered == query
        if fresh and self.results.isVisible():
            self._say(
                f"Lookup failed: {neutralise(message)} Showing the matches kept on this computer.",
                aloud=True,
            )
            return
        self._clear_rows()
        self._say(f"Lookup failed: {neutralise(message)} Keep typing to try again.", aloud=True)

    def _highlighted_id(self) -> int | None:
        index = self.results.currentIndex()
        match = self.model.match_at(index.row()) if index.isValid() else None
        return match.prospect.id if match is not None else None

    @property
    def fresh(self) -> bool:
        """Whether the rows shown answer what is in the box now."""
        return self._answered == self.box.text().strip() and not self.model.stale

    def set_room(self, height: int) -> None:
        """The most height the list may take: the rest of the window is the card's."""
        self._room = max(height, 0)
        self._fit_results()

    def _say(self, text: str, *, aloud: bool = False) -> None:
        """The line under the box; `aloud`: a screen reader says it too (an answer, not the
        "Searching…" of every keystroke)."""
        changed = text != self.state.text()
        if not text:
            self.state.setMinimumHeight(0)
        elif self._typing.isActive() and self.state.isVisible():
            self.state.setMinimumHeight(self.state.height())  # no shorter while the rep types
        self.state.setVisible(bool(text))
        self.state.setText(text)
        if aloud and changed and text:
            from .widgets import announce

            announce(self.state, text)
        self.shapeChanged.emit()

    def _clear_rows(self) -> None:
        self.model.set_matches([], "")
        self._answered = ""
        self.results.hide()
        self.shapeChanged.emit()

    def _fit_results(self, *, grow_only: bool = False) -> None:
        """The list as tall as its rows (at most `VISIBLE_ROWS`, within the room it has).

        `grow_only` (an answer to the list shown): while the rep types, taller at once when
        there are more rows, shorter only once typing pauses.
        """
        if not self._listing:
            return
        rows = min(self.model.rowCount(), VISIBLE_ROWS)
        if not rows:
            return
        row = max(self.results.sizeHintForRow(0), 1)
        frame = 2 * self.results.frameWidth()
        fitting = max((self._room - frame) // row, 2)
        height = min(rows, fitting) * row + frame
        current = self.results.minimumHeight()
        if grow_only and height < current and self._typing.isActive():
            return
        if height != self.results.height() or current != height:
            self.results.setFixedHeight(height)
            self.shapeChanged.emit()

    def _on_typing_timeout(self) -> None:
        """Typing paused: the list and the status line fit what they show."""
        self.state.setMinimumHeight(0)
        if self.results.isVisible():
            self._fit_results()

    # -- keys -------------------------------------------------------------------------------

    def _on_box_key(self, event: QKeyEvent) -> bool:
        """↓ goes into the list, Esc closes it (the card shows again)."""
        if not self._listing or not _plain(event):
            return False
        from PySide6.QtCore import Qt

        key = event.key()
        if key == Qt.Key.Key_Down and self._list_ready():
            current = self.results.currentIndex().row()
            self._enter_list(min(max(current, 0) + 1, self.model.rowCount() - 1))
            return True
        if key == Qt.Key.Key_Escape and self.results.isVisible():
            self.close_results()
            return True
        return False

    def _on_results_key(self, event: QKeyEvent) -> bool:
        """Enter opens the highlighted match; Esc, or ↑ on the first row, goes back to the box."""
        if not _plain(event):
            return False
        from PySide6.QtCore import Qt

        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._choose(self.results.currentIndex().row())
            return True
        if key == Qt.Key.Key_Escape or (
            key == Qt.Key.Key_Up and self.results.currentIndex().row() <= 0
        ):
            self.box.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False

    def close_results(self) -> None:
        """Esc: the list goes away (the card shows again); typing brings it back."""
        self._open = False
        self._enter_pending = False
        self.results.hide()
        self._say("")

    def _list_ready(self) -> bool:
        return self.results.isVisible() and self.model.rowCount() > 0 and self.fresh

    def _enter_list(self, row: int) -> None:
        from PySide6.QtCore import Qt

        self.results.setFocus(Qt.FocusReason.TabFocusReason)
        self.results.setCurrentIndex(self.model.index(row, 0))

    # -- slots ------------------------------------------------------------------------------

    def _on_box_text_edited(self, text: str) -> None:
        self._open = True
        self._enter_pending = False
        query = text.strip()
        if not query:
            self._typing.stop()
            self._waiting.stop()
            self._searching.stop()
            self._clear_rows()
            self._say("")
        else:
            self._typing.start()  # the list and the status line keep their height meanwhile
            if query != self._answered and self.model.rowCount():
                # Never picked as if they answered the new text; drawn greyed out once the
                # lookup is under way (`show_local`): this keystroke's request leaves first.
                self.model.set_stale(True, drawn=False)
            self._waiting.start()
            self._searching.start()
        self.queryChanged.emit(query)

    def _on_searching_timeout(self) -> None:
        query = self.box.text().strip()
        if query and not self.fresh and self._open:
            self._say(f"Searching for “{neutralise(query)}”…")

    def _on_waiting_timeout(self) -> None:
        """Outreach is slow to answer: take earlier matches away and say so."""
        query = self.box.text().strip()
        if not query or self.fresh:
            return
        self._clear_rows()
        self._say(
            f"Waiting for Outreach to answer “{neutralise(query)}”… Keep typing, or check "
            "your connection.",
            aloud=True,
        )

    def _on_box_return_pressed(self) -> None:
        if not self.box.text().strip():
            return
        if not self.fresh:
            self._enter_pending = True  # opened (or listed) as soon as the answer comes
            return
        if self.model.rowCount():
            self._choose(max(self.results.currentIndex().row(), 0))

    def _on_results_clicked(self, index: QModelIndex) -> None:
        self._choose(index.row())

    def _choose(self, row: int) -> None:
        if self.model.stale:
            return
        match = self.model.match_at(row)
        if match is not None:
            self._open = False
            self._enter_pending = False
            self.results.hide()
            self._say("")
            from PySide6.QtCore import Qt

            self.box.setFocus(Qt.FocusReason.OtherFocusReason)
            self.box.selectAll()  # what the rep types next is a new search
            self.matchChosen.emit(match)
