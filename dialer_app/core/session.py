"""The call in progress: a pure state machine over an injected clock.

    idle ──dial──▶ dialing ──answer──▶ connected ──hang_up──▶ ended ──reset──▶ idle
    idle ──ring──▶ ringing ──answer──▶ connected
    dialing/ringing ──hang_up──▶ ended   (not answered)

The first event reads the wall clock once; every later timestamp is that anchor plus monotonic
time, so a wall-clock jump mid-call (NTP, sleep) can neither reorder nor stretch the call.
"""

from __future__ import annotations

import enum
import itertools
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .clock import Clock
from .terms import Direction, Outcome, outcome_for


class CallState(enum.Enum):
    IDLE = "idle"
    DIALING = "dialing"
    RINGING = "ringing"
    CONNECTED = "connected"
    ENDED = "ended"


class SessionError(ValueError):
    """An event that makes no sense in the current state (e.g. answering an idle call)."""


@dataclass(frozen=True, slots=True)
class CallTimes:
    """The timestamps of one call, UTC; `None` for what has not happened."""

    direction: Direction = "outbound"
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    completed_at: datetime | None = None

    @property
    def outcome(self) -> Outcome:
        return outcome_for(self.answered_at)

    def check_order(self) -> None:
        """Raise SessionError unless dialed ≤ answered ≤ completed (where present)."""
        points = [
            ("dialed", self.dialed_at),
            ("answered", self.answered_at),
            ("completed", self.completed_at),
        ]
        present = [(n, t) for n, t in points if t is not None]
        for (n1, t1), (n2, t2) in itertools.pairwise(present):
            if t1 > t2:
                raise SessionError(f"The {n2} time must not be before the {n1} time.")


class CallSession:
    """Times one call at a time. Methods raise SessionError on an impossible transition."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.state = CallState.IDLE
        self.times = CallTimes()
        self._anchor: tuple[datetime, float] | None = None
        self._start_mono: float | None = None
        self._end_mono: float | None = None

    # -- events -----------------------------------------------------------------------------

    def dial(self) -> CallTimes:
        """The rep (or the softphone) placed an outbound call."""
        self._require(CallState.IDLE, "dial")
        now, mono = self._stamp()
        self.state = CallState.DIALING
        self.times = CallTimes(direction="outbound", dialed_at=now)
        self._start_mono = mono
        return self.times

    def ring(self) -> CallTimes:
        """An inbound call is ringing."""
        self._require(CallState.IDLE, "take an incoming call")
        self._stamp()
        self.state = CallState.RINGING
        self.times = CallTimes(direction="inbound")
        return self.times

    def answer(self) -> CallTimes:
        """The call was answered (outbound: the prospect picked up; inbound: the rep did)."""
        if self.state is CallState.IDLE:  # inbound without a ring event: answering starts it
            self.ring()
        self._require((CallState.DIALING, CallState.RINGING), "answer")
        now, mono = self._stamp()
        self.state = CallState.CONNECTED
        self.times = replace(self.times, answered_at=now)
        if self._start_mono is None:
            self._start_mono = mono
        return self.times

    def hang_up(self) -> CallTimes:
        """The call ended, answered or not."""
        self._require((CallState.DIALING, CallState.RINGING, CallState.CONNECTED), "hang up")
        now, mono = self._stamp()
        self.state = CallState.ENDED
        self.times = replace(self.times, completed_at=now)
        if self._start_mono is None:
            self._start_mono = mono
        self._end_mono = mono
        return self.times

    def reset(self) -> None:
        """Forget the call; ready for the next one."""
        self.state = CallState.IDLE
        self.times = CallTimes()
        self._anchor = None
        self._start_mono = self._end_mono = None

    def restore(self, state: CallState, times: CallTimes) -> None:
        """Resume a call saved earlier (a draft). Elapsed time counts from the restored stamps."""
        times.check_order()
        self.reset()
        self.state = state
        self.times = times
        start = times.dialed_at or times.answered_at
        if start is not None:
            now, mono = self._clock.now(), self._clock.monotonic()
            self._anchor = (now, mono)
            self._start_mono = mono - (now - start).total_seconds()
            if times.completed_at is not None:
                self._end_mono = mono - (now - times.completed_at).total_seconds()

    def correct(self, times: CallTimes) -> CallTimes:
        """The rep fixed a timestamp before logging; the order must still hold."""
        if self.state is not CallState.ENDED:
            raise SessionError("Timestamps can be corrected once the call has ended.")
        times.check_order()
        self.times = times
        return times

    # -- reading ----------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self._clock

    @property
    def active(self) -> bool:
        return self.state in (CallState.DIALING, CallState.RINGING, CallState.CONNECTED)

    def elapsed(self) -> timedelta:
        """Time since the call started (dialled, or answered if inbound), frozen once ended."""
        if self._start_mono is None:
            return timedelta(0)
        end = self._end_mono if self._end_mono is not None else self._clock.monotonic()
        return timedelta(seconds=max(0.0, end - self._start_mono))

    # -- internals --------------------------------------------------------------------------

    def _stamp(self) -> tuple[datetime, float]:
        mono = self._clock.monotonic()
        if self._anchor is None:
            self._anchor = (self._clock.now(), mono)
        wall, base = self._anchor
        return wall + timedelta(seconds=mono - base), mono

    def _require(self, states: CallState | tuple[CallState, ...], action: str) -> None:
        allowed = states if isinstance(states, tuple) else (states,)
        if self.state not in allowed:
            raise SessionError(f"Cannot {action} while the call is {self.state.value}.")


def format_elapsed(delta: timedelta) -> str:
    """`0:07`, `12:34`, `1:02:03`."""
    total = int(delta.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
