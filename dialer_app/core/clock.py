"""Time sources, injected so that call timing is testable: UTC wall clock and a monotonic clock."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Wall-clock time, timezone-aware UTC: what timestamps are made of."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps: what elapsed time is made of."""
        ...


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()
