"""Pick a prospect by search, for a call: "Add this number to…" and "Wrong person — log to…".

A search of its own (the window's search box and card stay as they are): type, ↓, Enter.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.outreach.models import Match
from ..core.prospect_form import PHONE_TYPE_LABELS
from .keyed import KeyedLineEdit
from .models import MatchListModel
from .text import neutralise, plain

# find(text, done, failed): look `text` up; done(text, matches) may come more than once (the
# matches kept on this computer at once, then Outreach's), failed(text, message) once.
Finder = Callable[[str, Callable[[str, list[Match]], None], Callable[[str, str], None]], None]


class PickProspectDialog(QDialog):
    """A search box, its matches and, for a referral, "New prospect…".

    Signals:
        picked(object): the `Match` the rep chose (Enter, double-click or Pick).
        newRequested(): the rep wants to create the prospect instead.
    """

    picked = Signal(object)
    newRequested = Signal()

    def __init__(self, find: Finder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pick-prospect")
        self._find = find
        self.intro = QLabel(self)
        self.intro.setObjectName("pick-intro")
        self.intro.setWordWrap(True)
        self.box = KeyedLineEdit(self._on_box_key, self)
        self.box.setAccessibleName("Find the prospect")
        self.box.setPlaceholderText("Name, company, email or phone")
        self.box.setClearButtonEnabled(True)
        self.model = MatchListModel(self)
        self.results = QListView(self)
        self.results.setAccessibleName("Prospects found")
        self.results.setModel(self.model)
        self.results.setUniformItemSizes(True)
        self.results.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.results.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.state = QLabel(self)
        self.state.setObjectName("pick-state")
        self.state.setAccessibleName("Search state")
        self.state.setWordWrap(True)
        plain(self.intro, self.state)
        self.phone_type = QComboBox(self)
        self.phone_type.setAccessibleName("Number type")
        self.phone_type.setToolTip("What kind of number the caller's is (Alt+Y)")
        for key, label in PHONE_TYPE_LABELS.items():
            self.phone_type.addItem(label, key)
        self.type_label = QLabel("Number t&ype", self)
        self.type_label.setBuddy(self.phone_type)
        type_row = QHBoxLayout()
        type_row.addWidget(self.type_label)
        type_row.addWidget(self.phone_type, 1)
        self.buttons = QDialogButtonBox(self)
        self.pick_button = self.buttons.addButton("Pick", QDialogButtonBox.ButtonRole.AcceptRole)
        self.pick_button.setAccessibleName("Pick prospect")
        self.new_button = QPushButton("New prospect…", self)
        self.new_button.setAccessibleName("New prospect")
        self.new_button.setToolTip("The person is not in Outreach yet: create them")
        self.buttons.addButton(self.new_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        for button in self.buttons.buttons():  # Enter picks the match, never a button too
            if isinstance(button, QPushButton):
                button.setAutoDefault(False)
                button.setDefault(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.box)
        layout.addWidget(self.state)
        layout.addWidget(self.results, 1)
        layout.addLayout(type_row)
        layout.addWidget(self.buttons)
        self.resize(420, 360)
        self.box.textEdited.connect(self._on_box_text_edited)
        self.box.returnPressed.connect(self._on_box_return_pressed)
        self.results.activated.connect(self._on_results_activated)
        self.results.doubleClicked.connect(self._on_results_activated)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.new_button.clicked.connect(self._on_new_button_clicked)

    def start(
        self, *, title: str, intro: str, offer_new: bool, with_type: bool, query: str = ""
    ) -> None:
        """Open the picker afresh (`query` typed in for the rep, and searched). `with_type`:
        ask what kind of number is being added."""
        self.setWindowTitle(title)
        self.intro.setText(intro)
        self.new_button.setVisible(offer_new)
        for widget in (self.type_label, self.phone_type):
            widget.setVisible(with_type)
        self.phone_type.setCurrentIndex(0)
        self.model.set_matches([])
        self.box.setText(query)
        self._say("Type a name, company, email or number." if not query else "Searching…")
        self.show()
        self.raise_()
        self.activateWindow()
        self.box.setFocus()
        self.box.selectAll()
        if query:
            self._find(query, self._on_found, self._on_failed)

    def chosen_type(self) -> str:
        """The kind of number being added (`phoneNumber.phoneType`)."""
        return str(self.phone_type.currentData() or "work")

    def _say(self, text: str) -> None:
        self.state.setText(text)

    def _on_box_text_edited(self, text: str) -> None:
        query = text.strip()
        if not query:
            self.model.set_matches([])
            self._say("Type a name, company, email or number.")
            return
        self._say("Searching…")
        self._find(query, self._on_found, self._on_failed)

    def _on_found(self, query: str, matches: list[Match]) -> None:
        if query != self.box.text().strip():
            return  # an answer to an older query
        self.model.set_matches(matches)
        if matches:
            self.results.setCurrentIndex(self.model.index(0, 0))
            count = "1 match" if len(matches) == 1 else f"{len(matches)} matches"
            self._say(f"{count} — ↓ to the list, Enter to pick.")
        else:
            self._say(f"Nobody matches “{neutralise(query)}”.")

    def _on_failed(self, query: str, message: str) -> None:
        if query == self.box.text().strip():
            kept = " Showing the matches kept on this computer." if self.model.rowCount() else ""
            self._say(f"Lookup failed: {neutralise(message)}{kept}")

    def _on_box_key(self, event: QKeyEvent) -> bool:
        """↓ goes into the results."""
        if event.key() != Qt.Key.Key_Down:
            return False
        self._enter_results()
        return True

    def _enter_results(self) -> None:
        if self.model.rowCount():
            self.results.setFocus(Qt.FocusReason.TabFocusReason)
            if not self.results.currentIndex().isValid():
                self.results.setCurrentIndex(self.model.index(0, 0))

    def _on_box_return_pressed(self) -> None:
        if self.model.rowCount() == 1:
            self._choose(0)
        else:
            self._enter_results()

    def _on_results_activated(self, index: object) -> None:
        self._choose(getattr(index, "row", lambda: -1)())

    def _on_buttons_accepted(self) -> None:
        self._choose(self.results.currentIndex().row())

    def _choose(self, row: int) -> None:
        match = self.model.match_at(row)
        if match is None:
            self._say("Pick one of the matches first (type, then ↓ and Enter).")
            return
        self.accept()
        self.picked.emit(match)

    def _on_new_button_clicked(self) -> None:
        self.accept()
        self.newRequested.emit()
