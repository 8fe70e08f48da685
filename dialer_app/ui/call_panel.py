"""The phone: Dial, Answered, Hang up, and the call they act on, with its live elapsed time."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from ..core.desk import CallDesk, DeskCall, Phase
from ..core.session import format_elapsed
from . import shortcuts as keys
from .text import isolate, plain
from .widgets import FieldErrorLabel, ValueLabel

TICK_MS = 250


def _local(t: datetime | None, *, unknown: str = "—") -> str:
    return t.astimezone().strftime("%H:%M:%S") if t is not None else unknown


class CallPanel(QWidget):
    """Renders the desk's phone call (`CallDesk.phone_call`) and forwards the three buttons
    (the window binds their keys).

    Signals:
        dialRequested(): Dial was pressed.
        answerRequested(): Answered was pressed.
        hangUpRequested(): Hang up was pressed.
    """

    dialRequested = Signal()
    answerRequested = Signal()
    hangUpRequested = Signal()

    def __init__(self, desk: CallDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.dial = self._button("Dial", keys.DIAL, self.dialRequested.emit)
        self.answered = self._button("Answered", keys.ANSWERED, self.answerRequested.emit)
        self.hang_up = self._button("Hang up", keys.HANG_UP, self.hangUpRequested.emit)
        self.elapsed = ValueLabel("Elapsed time", self, object_name="call-elapsed")
        self.elapsed.setText("0:00")
        font = self.elapsed.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.elapsed.setFont(font)
        self.who = ValueLabel("Call with", self, object_name="call-who")
        self.who.setWordWrap(True)
        self.times = QLabel(self)
        self.times.setObjectName("call-times")
        self.times.setWordWrap(True)
        self.status = ValueLabel("Call status", self, announce=True, object_name="call-status")
        self.status.setText("Ready")
        self.status.setWordWrap(True)
        self.target = ValueLabel("Dial target", self, object_name="dial-target")
        self.target.setWordWrap(True)
        self.error = FieldErrorLabel("Call times", self)
        plain(self.times)
        self._compact = False
        self._dial_key = keys.DIAL.label

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.dial, 0, 0)
        grid.addWidget(self.answered, 0, 1)
        grid.addWidget(self.hang_up, 0, 2)
        grid.addWidget(self.elapsed, 0, 3)
        grid.addWidget(self.status, 1, 0, 1, 4)
        grid.addWidget(self.who, 2, 0, 1, 4)
        grid.addWidget(self.times, 3, 0, 1, 4)
        grid.addWidget(self.target, 4, 0, 1, 4)
        grid.addWidget(self.error, 5, 0, 1, 4)

        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._refresh_elapsed)
        self.refresh()

    def _button(self, text: str, shortcut: keys.Shortcut, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text)
        button.setToolTip(f"{text} ({shortcut.label})")
        button.clicked.connect(slot)
        return button

    def set_keys(self, keymap: keys.KeyMap) -> None:
        """Say each button's key (the window binds them)."""
        for button, shortcut in (
            (self.dial, keys.DIAL),
            (self.answered, keys.ANSWERED),
            (self.hang_up, keys.HANG_UP),
        ):
            label = keymap.label(shortcut)
            button.setToolTip(f"{button.text()} ({label})")
            button.setAccessibleDescription(label)
        self._dial_key = keymap.label(keys.DIAL)
        self.refresh()

    def set_compact(self, compact: bool) -> None:
        """Compact mode: the buttons, the elapsed time and where the call stands."""
        self._compact = compact
        self.refresh()

    def show_error(self, message: str) -> None:
        self.error.show_error(message)

    def refresh(self) -> None:
        """Show the desk's phone call as it is now."""
        desk = self.desk
        call = desk.phone_call
        active = call is not None and call.active
        ringing = call is not None and call.phase is Phase.RINGING
        open_end = (
            call is not None and call.over and call.end_unknown and not call.times.completed_at
        )
        self.dial.setEnabled(not active)
        self.answered.setEnabled(not active or ringing)
        self.hang_up.setEnabled(active or open_end)
        if call is None:
            self.status.setText("Ready")
            self.who.setText("")
            self.times.setText("")
        else:
            self.status.setText(call.status())
            self.who.setText(_who(call))
            self.times.setText(_times(call))
        self.who.setVisible(call is not None and not self._compact)
        self.times.setVisible(call is not None and not self._compact)
        target = _target(desk, self._dial_key)
        self.target.setText(target)
        self.target.setVisible(bool(target) and not self._compact)
        if active:
            self._tick.start()
        else:
            self._tick.stop()
        self._refresh_elapsed()

    def _refresh_elapsed(self) -> None:
        call = self.desk.phone_call
        elapsed = self.desk.elapsed(call) if call is not None else None
        if call is None:
            self.elapsed.setText("0:00")
        else:
            self.elapsed.setText(format_elapsed(elapsed) if elapsed is not None else "—")


def _who(call: DeskCall) -> str:
    parts = [f"{'From' if call.direction == 'inbound' else 'To'} {call.who}"]
    if call.prospect is not None and call.number:
        parts.append(call.number_text)
    if call.prospect is None and call.candidates:
        parts.append(f"{len(call.candidates)} prospects have this number: open one, then assign")
    elif call.prospect is None:
        parts.append("no prospect yet")
    if call.reassigned:
        parts.append("assigned by you")
    return " · ".join(parts)


def _times(call: DeskCall) -> str:
    t = call.times
    ended = _local(t.completed_at, unknown="at an unknown time" if call.end_unknown else "—")
    first = "Rang" if call.direction == "inbound" else "Dialed"
    return f"{first} {_local(t.dialed_at)} · answered {_local(t.answered_at)} · ended {ended}"


def _target(desk: CallDesk, key: str) -> str:
    """Who Dial (`key`) would call, said plainly: never an older prospect without saying so."""
    if desk.active_calls:
        return ""
    if desk.card is None:
        return f"{key} times a call with no prospect: pick a match first to call someone."
    if not desk.card_armed:
        who = isolate(desk.card.name)
        return (
            f"{key} times a call with no prospect: you are searching, so {who} on the card "
            "is not selected. Pick a match (or clear the search) first."
        )
    return f"{key} calls {isolate(desk.card.name)}."
