"""When to call back: the quick choices a rep picks at wrap-up, in the prospect's time zone.

- `quick_choices(now, zone)`: tomorrow 9:00 their time (the next working day when tomorrow is
  a weekend), in 2 days at this time of their day (rounded up to the quarter hour; before 9:00
  it is 9:00, from 17:00 on 9:00 the working day after), next week (Monday 9:00 their time) —
  each an aware UTC instant with the words that say it.
- `at_local(day, hour, minute, zone)`: a date and time the rep typed, read in the prospect's
  time zone (a time that a clock change skips is moved past the gap; an ambiguous one is the
  first of the two).
- `Callback`: a chosen time and note, as the wrap-up form keeps them (`form_data`, `from_form`).

A prospect whose zone is unknown (or unknown to this computer) gets the rep's own zone, and the
words say "your time". No Qt, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .terms import NOTE_MAX

ChoiceId = Literal["tomorrow", "two_days", "next_week"]
CALL_BACK_HOUR = 9
LAST_HOUR = 17  # "in 2 days" at this time of their day, but inside 9:00–17:00
FORM_AT = "callback_at"  # the wrap-up form's keys (see `core.desk.calls.clean_form`)
FORM_NOTE = "callback_note"
NOTE_ROOM = NOTE_MAX - 200  # the reference line this app appends must still fit


class CallbackError(ValueError):
    """A callback time the rep cannot have (in the past, not a date); the message says why."""


def zone_of(name: str) -> tuple[tzinfo, bool]:
    """The prospect's zone, and whether it is theirs (False: the rep's own stood in)."""
    if name:
        try:
            return ZoneInfo(name), True
        except (ZoneInfoNotFoundError, ValueError):
            pass
    local = datetime.now().astimezone().tzinfo
    return (local if local is not None else UTC), False


def _whose(theirs: bool) -> str:
    return "their time" if theirs else "your time"


def _working(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _quarter_up(at: datetime) -> datetime:
    """`at` rounded up to the next quarter hour (already on one: unchanged)."""
    at = at.replace(second=0, microsecond=0) + (
        timedelta(minutes=1) if at.second or at.microsecond else timedelta(0)
    )
    extra = -at.minute % 15
    return at + timedelta(minutes=extra)


def _local(day: date, clock: time, tz: tzinfo) -> datetime:
    """`day` at `clock` on the wall of `tz`, as an aware UTC instant. A wall time a clock change
    skips comes out as late as the gap is long (02:30 on a spring-forward night: 03:30); a wall
    time that happens twice is the first of the two (fold 0)."""
    return datetime.combine(day, clock).replace(tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Choice:
    """A quick choice: its id, when (UTC), and the words ("Tomorrow 9:00 their time")."""

    id: ChoiceId
    at: datetime
    text: str


def quick_choices(now: datetime, zone: str) -> list[Choice]:
    """The quick choices at `now` for a prospect in `zone` (see the module docstring)."""
    tz, theirs = zone_of(zone)
    whose = _whose(theirs)
    here = now.astimezone(tz)
    today = here.date()
    nine = time(CALL_BACK_HOUR)

    tomorrow = _working(today + timedelta(days=1))
    word = "Tomorrow" if tomorrow == today + timedelta(days=1) else tomorrow.strftime("%A")
    first = _local(tomorrow, nine, tz)

    later = _quarter_up(here + timedelta(days=2)).replace(tzinfo=None)
    if later.hour < CALL_BACK_HOUR:
        later = later.replace(hour=CALL_BACK_HOUR, minute=0)
    elif later.hour >= LAST_HOUR:
        later = (later + timedelta(days=1)).replace(hour=CALL_BACK_HOUR, minute=0)
    second = _local(_working(later.date()), later.time(), tz)

    monday = today + timedelta(days=7 - today.weekday())
    third = _local(monday, nine, tz)
    return [
        Choice("tomorrow", first, f"{word} {CALL_BACK_HOUR}:00 {whose}"),
        Choice("two_days", second, f"In 2 days ({_short(second, tz)} {whose})"),
        Choice("next_week", third, f"Next week ({_short(third, tz)} {whose})"),
    ]


def _short(at: datetime, tz: tzinfo) -> str:
    local = at.astimezone(tz)
    return f"{local:%a} {local.day} {local:%b} {local:%H:%M}"


def at_local(day: date, hour: int, minute: int, zone: str, *, now: datetime) -> datetime:
    """`day` at `hour`:`minute` in the prospect's zone, as UTC; CallbackError when that is not
    a time (25:00) or not after `now`."""
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise CallbackError(f"{hour:02d}:{minute:02d} is not a time of day.")
    tz, theirs = zone_of(zone)
    at = _local(day, time(hour, minute), tz)
    if at <= now:
        raise CallbackError(
            f"{day:%a} {day.day} {day:%b} {hour:02d}:{minute:02d} {_whose(theirs)} has passed:"
            " pick a later time."
        )
    return at


def describe(at: datetime, zone: str) -> str:
    """ "Thu 5 Mar 10:00 their time" — when a callback is due, in the prospect's zone."""
    tz, theirs = zone_of(zone)
    return f"{_short(at, tz)} {_whose(theirs)}"


@dataclass(frozen=True, slots=True)
class Callback:
    """A callback the rep asked for at wrap-up: when (UTC) and an optional note."""

    at: datetime
    note: str = ""

    def form_data(self) -> dict[str, str]:
        return {FORM_AT: self.at.astimezone(UTC).isoformat(), FORM_NOTE: self.note}

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> Callback | None:
        """The callback a wrap-up form holds; None when it holds none (or nothing readable)."""
        raw = form.get(FORM_AT)
        if not isinstance(raw, str) or not raw:
            return None
        try:
            at = datetime.fromisoformat(raw)
        except ValueError:
            return None
        if at.tzinfo is None:
            return None
        note = form.get(FORM_NOTE)
        return cls(at=at.astimezone(UTC), note=note if isinstance(note, str) else "")

    def problem(self, now: datetime) -> str:
        """Why this callback cannot be asked for as it is ("" when it can)."""
        if self.at <= now:
            return "The callback time has passed: pick a later one."
        if len(self.note) > NOTE_ROOM:
            return f"The callback note is too long: at most {NOTE_ROOM:,} characters."
        return ""
