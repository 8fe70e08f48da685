"""The wrap-up's last row: what the rep learnt on the call about who and how to call —
"Wrong person — log to…", "Bad number", "Asked not to be called"."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core.desk import DeskCall
from ..core.outreach.models import PhoneNumber
from . import shortcuts as keys
from .text import plain


@dataclass(frozen=True, slots=True)
class Standing:
    """What the card knows about the call in the wrap-up: the number it went to (as the
    prospect's card lists it) and whether they opted out of calls (None: not known yet)."""

    number: PhoneNumber | None = None
    opted_out: bool | None = None


class HygieneBar(QWidget):
    """Three actions on the call in the wrap-up, each confirmed before it goes to the outbox.

    Signals:
        referRequested(): "Wrong person — log to…".
        badNumberRequested(): "Bad number" (or "Not a bad number" for one marked bad).
        optOutRequested(): "Asked not to be called" (or "May be called again").
    """

    referRequested = Signal()
    badNumberRequested = Signal()
    optOutRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hygiene")
        # The keys are in the tooltips and what a screen reader hears (`set_keys`): the three
        # buttons' words alone fit the window's width.
        self._keys = {"refer": keys.REFER.label, "bad": keys.BAD_NUMBER.label}
        self._keys["opt_out"] = keys.OPT_OUT.label
        self._shown: tuple[DeskCall | None, Standing] = (None, Standing())
        self.refer_button = QPushButton("Wrong person — log to…", self)
        self.refer_button.setAccessibleName("Wrong person, log to")
        # These two read the other way round once used ("Not a bad number"): a screen reader
        # names them by the words they show (`show_call`).
        self.bad_button = QPushButton(self)
        self.opt_out_button = QPushButton(self)
        self.state = QLabel(self)
        self.state.setObjectName("hygiene-state")
        self.state.setAccessibleName("Number and opt-out")
        self.state.setWordWrap(True)
        plain(self.state)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.bad_button)
        row.addWidget(self.opt_out_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.refer_button)
        layout.addLayout(row)
        layout.addWidget(self.state)
        self.refer_button.clicked.connect(self.referRequested.emit)
        self.bad_button.clicked.connect(self.badNumberRequested.emit)
        self.opt_out_button.clicked.connect(self.optOutRequested.emit)
        self.show_call(None, Standing())

    def set_keys(self, keymap: keys.KeyMap) -> None:
        """The keys as the rep set them, in the tooltips."""
        self._keys = {
            "refer": keymap.label(keys.REFER),
            "bad": keymap.label(keys.BAD_NUMBER),
            "opt_out": keymap.label(keys.OPT_OUT),
        }
        self.show_call(*self._shown)

    def show_call(self, call: DeskCall | None, standing: Standing) -> None:
        """The buttons for the call in the wrap-up (all off without one)."""
        self._shown = (call, standing)
        self.refer_button.setEnabled(call is not None)
        self.refer_button.setToolTip(
            "The call was with someone else (a referral, a colleague who picked up): log it to"
            f" them, found or created; the times stay ({self._keys['refer']})"
        )
        self.refer_button.setAccessibleDescription(self._keys["refer"])
        number = standing.number
        bad = number is not None and number.is_bad
        self.bad_button.setText("Not a bad number" if bad else "Bad number")
        self.bad_button.setAccessibleName(self.bad_button.text())
        self.bad_button.setAccessibleDescription(self._keys["bad"])
        self.bad_button.setEnabled(call is not None and number is not None)
        self.bad_button.setToolTip(
            "Mark the number this call went to as wrong or dead in Outreach: the card stops"
            " offering it"
            if number is not None and not bad
            else "This number is marked bad: mark it good again"
            if bad
            else "Only a number on the prospect's card can be marked bad"
        )
        self.bad_button.setToolTip(f"{self.bad_button.toolTip()} ({self._keys['bad']})")
        opted = standing.opted_out is True
        self.opt_out_button.setText("May be called again" if opted else "Asked not to be called")
        self.opt_out_button.setAccessibleName(self.opt_out_button.text())
        self.opt_out_button.setAccessibleDescription(self._keys["opt_out"])
        self.opt_out_button.setEnabled(
            call is not None and call.prospect is not None and standing.opted_out is not None
        )
        self.opt_out_button.setToolTip(
            "Record in Outreach that they may be called again"
            if opted
            else "Record in Outreach that this prospect asked not to be called: dialling them"
            " asks first"
        )
        self.opt_out_button.setToolTip(f"{self.opt_out_button.toolTip()} ({self._keys['opt_out']})")
        said = []
        if bad:
            said.append("This number is marked bad.")
        if opted:
            said.append("Opted out of calls.")
        text = " ".join(said)
        if self.state.text() != text:
            self.state.setText(text)
            self.state.setAccessibleDescription(text)
        self.state.setVisible(bool(text))
