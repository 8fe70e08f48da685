"""The call timer: Dial, Answered, Hang up, and the live elapsed time."""

from __future__ import annotations

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QGridLayout, QLabel, QPushButton, QWidget

from ..core.session import CallSession, CallState, CallTimes, SessionError, format_elapsed
from . import shortcuts as keys
from .widgets import FieldErrorLabel

TICK_MS = 250


def _local(t: object) -> str:
    return t.astimezone().strftime("%H:%M:%S") if t is not None else "—"  # type: ignore[attr-defined]


class CallPanel(QWidget):
    """Drives a `CallSession` from three buttons and shows its times in local time.

    Signals:
        stateChanged(object): the session's new `CallState`.
    """

    stateChanged = Signal(object)

    def __init__(self, session: CallSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.dial = self._button("Dial", keys.DIAL, self._on_dial_clicked)
        self.answered = self._button("Answered", keys.ANSWERED, self._on_answered_clicked)
        self.hang_up = self._button("Hang up", keys.HANG_UP, self._on_hang_up_clicked)
        self.elapsed = QLabel("0:00", self)
        self.elapsed.setAccessibleName("Elapsed time")
        font = self.elapsed.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.elapsed.setFont(font)
        self.times = QLabel(self)
        self.times.setObjectName("call-times")
        self.times.setWordWrap(True)
        self.status = QLabel("Ready", self)
        self.status.setObjectName("call-status")
        self.error = FieldErrorLabel("Call times", self)

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.dial, 0, 0)
        grid.addWidget(self.answered, 0, 1)
        grid.addWidget(self.hang_up, 0, 2)
        grid.addWidget(self.elapsed, 0, 3)
        grid.addWidget(self.status, 1, 0, 1, 4)
        grid.addWidget(self.times, 2, 0, 1, 4)
        grid.addWidget(self.error, 3, 0, 1, 4)

        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self._refresh_elapsed)
        self._refresh()

    def _button(self, text: str, shortcut: keys.Shortcut, slot: object) -> QPushButton:
        button = QPushButton(text, self)
        button.setAccessibleName(text)
        button.setShortcut(QKeySequence(shortcut.keys[0]))
        button.setToolTip(f"{text} ({shortcut.label})")
        button.clicked.connect(slot)
        return button

    def reset(self) -> None:
        self.session.reset()
        self.error.clear_error()
        self._refresh()

    def restore(self, state: CallState, times: CallTimes) -> None:
        """Resume a call from a draft."""
        self.session.restore(state, times)
        self._refresh()

    def show_error(self, message: str) -> None:
        self.error.show_error(message)

    def drive(self, action: str) -> bool:
        """Apply what the softphone reported: "dial", "ring", "answer" or "hang_up"."""
        events = {
            "dial": self.session.dial,
            "ring": self.session.ring,
            "answer": self.session.answer,
            "hang_up": self.session.hang_up,
        }
        return self._apply(events[action])

    def show_ringing(self) -> None:
        """The far end is ringing (outbound): say so; the timer keeps counting from the dial."""
        if self.session.state is CallState.DIALING:
            self.status.setText("Ringing…")

    # -- slots ------------------------------------------------------------------------------

    def _on_dial_clicked(self) -> None:
        self._apply(self.session.dial)

    def _on_answered_clicked(self) -> None:
        self._apply(self.session.answer)

    def _on_hang_up_clicked(self) -> None:
        self._apply(self.session.hang_up)

    def _apply(self, event: object) -> bool:
        try:
            event()  # type: ignore[operator]
        except SessionError as exc:
            self.error.show_error(str(exc))
            return False
        self.error.clear_error()
        self._refresh()
        self.stateChanged.emit(self.session.state)
        return True

    def _refresh(self) -> None:
        state = self.session.state
        self.dial.setEnabled(state is CallState.IDLE)
        self.answered.setEnabled(state in (CallState.IDLE, CallState.DIALING, CallState.RINGING))
        self.hang_up.setEnabled(self.session.active)
        self.status.setText(
            {
                CallState.IDLE: "Ready",
                CallState.DIALING: "Dialing…",
                CallState.RINGING: "Incoming call",
                CallState.CONNECTED: "Connected",
                CallState.ENDED: f"Ended — {self.session.times.outcome}",
            }[state]
        )
        t: CallTimes = self.session.times
        self.times.setText(
            f"Dialed {_local(t.dialed_at)} · answered {_local(t.answered_at)}"
            f" · ended {_local(t.completed_at)}"
            if state is not CallState.IDLE
            else ""
        )
        if self.session.active:
            self._tick.start()
        else:
            self._tick.stop()
        self._refresh_elapsed()

    def _refresh_elapsed(self) -> None:
        self.elapsed.setText(format_elapsed(self.session.elapsed()))
