"""A call's times: dialled, answered, completed (UTC), their order, and elapsed time shown.

The call desk (`core.desk`) keeps one `CallTimes` per call and stamps it from its clock.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from .terms import Direction, Outcome, outcome_for


class SessionError(ValueError):
    """A call's times make no sense (e.g. answered before it was dialled)."""


@dataclass(frozen=True, slots=True)
class CallTimes:
    """The timestamps of one call, UTC; `None` for what has not happened.

    On an inbound call `dialed_at` is when it started ringing here (the caller dialled).
    """

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


def format_elapsed(delta: timedelta) -> str:
    """`0:07`, `12:34`, `1:02:03`."""
    total = int(delta.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
