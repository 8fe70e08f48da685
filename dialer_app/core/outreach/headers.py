"""Outreach's response headers, read without ever raising: retry waits and the request budget.

- `Retry-After`: delta-seconds or an HTTP-date → seconds from now, clamped to
  [`RETRY_AFTER_FLOOR`, `RETRY_CEILING`]: `-5` and dates in the past are the floor, `1e12`,
  `inf` and dates far ahead the ceiling; `nan` and anything unreadable are "not said" (None).
- `X-RateLimit-Reset`: epoch seconds → a UTC time clamped to [now, now + `RESET_CEILING`]
  (the budget is hourly); `nan` and garbage are None.
- `X-RateLimit-Limit` / `X-RateLimit-Remaining`: whole numbers from 0 to `COUNT_CEILING`;
  Remaining may carry several comma-separated budgets (`9999, 19988`): the smallest binds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

RETRY_AFTER_FLOOR = 1.0  # a server asking for less (0, -5, a date past) still gets a second
RETRY_CEILING = 900.0  # no wait a server asks for is trusted beyond 15 minutes
RESET_CEILING = 3600.0  # Outreach's budget is per hour: its reset is never further away
COUNT_CEILING = 1_000_000_000
MAX_HEADER_CHARS = 200  # longer values are not read at all


def clamp(value: float, low: float, high: float) -> float:
    """`value` within [low, high]; NaN becomes `high` (the cautious end for a wait)."""
    if math.isnan(value):
        return high
    return min(high, max(low, value))


def retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait that `Retry-After` asks for (clamped), or None when it says nothing."""
    text = _short(value)
    if text is None:
        return None
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _http_date_from_now(text, now)
    if seconds is None or math.isnan(seconds):
        return None
    return clamp(seconds, RETRY_AFTER_FLOOR, RETRY_CEILING)


def reset_at(value: str | None, now: float) -> datetime | None:
    """When the budget comes back, from `X-RateLimit-Reset` (clamped), or None."""
    seconds = _first_number(value)
    if seconds is None:
        return None
    try:
        return datetime.fromtimestamp(clamp(seconds, now, now + RESET_CEILING), UTC)
    except (OverflowError, ValueError, OSError):  # `now` itself out of range: say nothing
        return None


def first_count(value: str | None) -> int | None:
    """The first whole number of a header (`X-RateLimit-Limit`), clamped, or None."""
    number = _first_number(value)
    return None if number is None else int(clamp(number, 0, COUNT_CEILING))


def smallest_count(value: str | None) -> int | None:
    """The smallest of the comma-separated whole numbers (`X-RateLimit-Remaining`), or None."""
    text = _short(value)
    if text is None:
        return None
    counts = [c for c in (first_count(part) for part in text.split(",")) if c is not None]
    return min(counts) if counts else None


def rate_headers(
    headers: Mapping[str, str], now: float
) -> tuple[int | None, int | None, datetime | None]:
    """(limit, remaining, reset) as the answer's `X-RateLimit-*` headers tell them."""
    return (
        first_count(headers.get("X-RateLimit-Limit")),
        smallest_count(headers.get("X-RateLimit-Remaining")),
        reset_at(headers.get("X-RateLimit-Reset"), now),
    )


def _short(value: str | None) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if text and len(text) <= MAX_HEADER_CHARS else None


def _first_number(value: str | None) -> float | None:
    text = _short(value)
    if text is None:
        return None
    try:
        number = float(text.split(",")[0].strip())
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _http_date_from_now(text: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp() - now  # any year 1-9999 has one
