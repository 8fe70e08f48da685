"""The lookup: type a name, company, email or number; matches appear as you type, each saying
why it matched (name, company, which email, which number)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWidget

from ..core.outreach.models import Match
from .models import MatchListModel
from .text import neutralise, plain

VISIBLE_ROWS = 6
_NUMBER_CHARS = frozenset("+-().  /#*0123456789")


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
    """

    queryChanged = Signal(str)
    matchChosen = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QLineEdit(self)
        self.box.setPlaceholderText("Find a prospect: name, company, email or phone")
        self.box.setAccessibleName("Prospect search")
        self.box.setClearButtonEnabled(True)
        self.model = MatchListModel(self)
        self.results = QListView(self)
        self.results.setAccessibleName("Search results")
        self.results.setModel(self.model)
        self.results.setUniformItemSizes(True)  # every row is two lines: no per-row layout
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.results.hide()
        self.state = QLabel(self)
        self.state.setObjectName("search-state")
        self.state.setWordWrap(True)
        plain(self.state)
        self.state.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.box)
        layout.addWidget(self.state)
        layout.addWidget(self.results)

        self.box.textEdited.connect(self._on_box_text_edited)
        self.box.returnPressed.connect(self._on_box_return_pressed)
        self.results.activated.connect(self._on_results_activated)
        self.results.clicked.connect(self._on_results_activated)
        self._open = True

    def show_results(self, query: str, matches: list[Match]) -> None:
        if query != self.box.text().strip() or not self._open:
            return  # an answer to an older query, or the rep already picked a match
        self.model.set_matches(matches)
        self.results.setVisible(bool(matches))
        self._fit_results()
        if not query:
            self._say("")
        elif not matches and _numberish(query):
            self._say(f"No prospect has the number “{query}”. Check it, or try a name or email.")
        elif not matches:
            self._say(
                f"No prospect matches “{neutralise(query)}”."
                " Check the spelling, or try an email or number."
            )
        elif len(matches) == 1:
            self._say("1 match — press Enter to open it.")
        else:
            self._say(f"{len(matches)} matches — pick one with ↓ and Enter.")
        if matches:
            self.results.setCurrentIndex(self.model.index(0, 0))
        if self.results.isVisible():  # paint the answer now, not after the next loop pass
            self.results.viewport().repaint()

    def show_error(self, query: str, message: str) -> None:
        if query != self.box.text().strip():
            return
        if self.model.rowCount() and self.results.isVisible():
            self._say(
                f"Lookup failed: {neutralise(message)} Showing the matches kept on this computer."
            )
        else:
            self._say(f"Lookup failed: {neutralise(message)} Keep typing to try again.")

    def _say(self, text: str) -> None:
        self.state.setText(text)
        self.state.setVisible(bool(text))

    # -- slots ------------------------------------------------------------------------------

    def _fit_results(self) -> None:
        rows = min(self.model.rowCount(), VISIBLE_ROWS)
        if rows:
            height = rows * self.results.sizeHintForRow(0) + 2 * self.results.frameWidth() + 2
            if height != self.results.height():
                self.results.setFixedHeight(height)

    def _on_box_text_edited(self, text: str) -> None:
        self._open = True
        self.results.setVisible(self.model.rowCount() > 0 and bool(text.strip()))
        if text.strip():
            self._say("Searching…")
        self.queryChanged.emit(text.strip())

    def _on_box_return_pressed(self) -> None:
        if self.model.rowCount() == 1:
            self._choose(0)
        elif self.model.rowCount() > 1:
            self.results.setFocus(Qt.FocusReason.TabFocusReason)

    def _on_results_activated(self, index: object) -> None:
        row = getattr(index, "row", lambda: -1)()
        self._choose(row)

    def _choose(self, row: int) -> None:
        match = self.model.match_at(row)
        if match is not None:
            self._open = False
            self.results.hide()
            self._say("")
            self.matchChosen.emit(match)
