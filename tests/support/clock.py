"""A clock the test moves by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self.wall = start or datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float) -> None:
        self.wall += timedelta(seconds=seconds)
        self.mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """The wall clock jumps (NTP, suspend) while monotonic time does not."""
        self.wall += timedelta(seconds=seconds)
