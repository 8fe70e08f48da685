"""A call that matches nobody: the window says so and offers, by keyboard, to create the
prospect it was with or to add its number to an existing one."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.desk import DeskCall
from . import shortcuts as keys
from .text import plain


def unknown_text(call: DeskCall, *, looking_up: bool) -> str:
    """What the window says about a call with no prospect ("" when it has one)."""
    if call.prospect is not None:
        return ""
    if call.new_prospect is not None:
        return (
            f"{call.who} is being created in Outreach (see the outbox): the call is logged "
            "to them once they exist. You can log it now."
        )
    number = call.number_text
    assign = f"open them and press Assign this call ({keys.REASSIGN.label})"
    if not number:
        return f"This call came with no number. Who was it with? Create the prospect, or {assign}."
    if looking_up:
        return f"Looking up {number}…"
    if len(call.candidates) > 1:
        return (
            f"{len(call.candidates)} prospects have {number}: pick the right one in the search "
            f"and {assign.partition(' ')[2]}, or create the prospect."
        )
    if call.unknown:
        return f"Nobody in Outreach has {number}."
    return f"{number} could not be looked up. Create the prospect, or add the number to one."


class UnknownCallerBar(QFrame):
    """Shown for the call in the wrap-up while it is with nobody (or with a prospect being
    created).

    Signals:
        createRequested(): "Create prospect…".
        addNumberRequested(): "Add this number to…".
    """

    createRequested = Signal()
    addNumberRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("unknown-caller")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Unknown caller")
        self.message = QLabel(self)
        self.message.setObjectName("unknown-caller-message")
        self.message.setAccessibleName("Who the call was with")
        self.message.setWordWrap(True)
        plain(self.message)
        self.create_button = QPushButton(f"Create prospect… ({keys.CREATE_PROSPECT.label})", self)
        self.create_button.setAccessibleName("Create prospect")
        self.create_button.setToolTip("Create the prospect this call was with, in Outreach")
        self.add_button = QPushButton(f"Add this number to… ({keys.ADD_NUMBER.label})", self)
        self.add_button.setAccessibleName("Add this number to a prospect")
        self.add_button.setToolTip(
            "The caller is already in Outreach under another number: find them, and the"
            " number is added to them"
        )
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.create_button)
        row.addWidget(self.add_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addLayout(row)
        self.create_button.clicked.connect(self.createRequested.emit)
        self.add_button.clicked.connect(self.addNumberRequested.emit)
        self.hide()

    def show_call(self, call: DeskCall | None, *, looking_up: bool) -> None:
        text = unknown_text(call, looking_up=looking_up) if call is not None else ""
        self.setVisible(bool(text))
        if not text or call is None:
            return
        if self.message.text() != text:
            self.message.setText(text)
            self.message.setAccessibleDescription(text)
        pending = call.new_prospect is not None
        self.create_button.setVisible(not pending and not looking_up)
        self.add_button.setVisible(not pending and not looking_up and bool(call.number))
