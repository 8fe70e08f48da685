"""The prospect's local time, and whether it is a decent hour to call."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class LocalTime:
    """The time where the prospect is, and whether it is within calling hours."""

    at: datetime
    zone: str
    within_hours: bool

    @property
    def text(self) -> str:
        return f"{self.at.strftime('%a %H:%M')} local time ({self.zone})"


def local_time(zone: str, now: datetime, start_hour: int, end_hour: int) -> LocalTime | None:
    """The prospect's local time at `now` (aware), or None when the zone is unknown or empty."""
    if not zone:
        return None
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    at = now.astimezone(tz)
    weekday = at.weekday() < 5
    return LocalTime(at=at, zone=zone, within_hours=weekday and start_hour <= at.hour < end_hour)
