"""Read lag: a POSTed call shows in reads only `seconds` after it was stored.

Outreach's fact sheet says data may appear with a delay; `--read-lag SECONDS` (or
`PUT /_admin/read-lag {"seconds": N}`) makes the sandbox answer that way, so that the app's
look-up before a resend is tested against reads that lag its writes. The POST's own answer is
immediate; lists and `GET /calls/{id}` leave the call out (404 for the latter) until its time
has come. Setting the lag to 0 shows every call at once.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

MAX_LAG = 3600.0


def check_lag(value: object) -> float:
    """A lag in seconds from 0 to an hour; ValueError naming what is wrong."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of seconds")
    if not math.isfinite(value) or not 0 <= value <= MAX_LAG:
        raise ValueError(f"must be from 0 to {MAX_LAG:.0f} seconds")
    return float(value)


class ReadLag:
    """Which calls reads may not show yet. Thread-safe (POSTs and reads run concurrently)."""

    def __init__(self, seconds: float = 0.0, now: Callable[[], float] = time.monotonic) -> None:
        self._seconds = check_lag(seconds)
        self._now = now
        self._born: dict[int, float] = {}
        self._lock = threading.Lock()

    @property
    def seconds(self) -> float:
        return self._seconds

    def set(self, seconds: float) -> float:
        with self._lock:
            self._seconds = check_lag(seconds)
            return self._seconds

    def created(self, call_id: int) -> None:
        """A call was stored just now."""
        if self._seconds > 0:
            with self._lock:
                self._born[call_id] = self._now()

    def hidden(self) -> frozenset[int]:
        """The calls stored less than `seconds` ago."""
        with self._lock:
            cutoff = self._now() - self._seconds
            self._born = {rid: at for rid, at in self._born.items() if at > cutoff}
            return frozenset(self._born)
