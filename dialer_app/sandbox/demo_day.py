"""The demo's day: seeded work falls due around the day the demo starts, in working hours.

The seed is generated around one instant, the epoch (`--epoch`, default: now, in this machine's
time zone). The rep's day is the epoch's calendar day in the epoch's own time zone. A task due
"today" falls within the rep's day *and* within the prospect's working hours (09:00–17:00 in
the prospect's time zone): for a rep in Berlin, a Tokyo prospect's calls fall in the Berlin
morning and a Los Angeles prospect's in the Berlin evening. Overdue tasks fall the same way on
the working days before, later ones on the working days after (`work_day`), past calls on
earlier days. Times are on the quarter hour.

A demo keeps its database between runs; each time the sandbox opens it on a later calendar day,
`roll_forward` moves the due times of the seeded tasks still open and untouched forward by the
days that passed, so the queue keeps today's work. Calls, completed tasks, tasks a client
snoozed or rescheduled, and everything a client wrote stay as they were.

A time zone this machine cannot load (Windows without the `tzdata` package) is taken as the
rep's own.
"""

from __future__ import annotations

import argparse
import functools
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer_app.core.terms import format_utc

from .resources import TASK
from .store import Store

WORK_START = time(9)
WORK_END = time(17)
QUARTER = 15 * 60
EPOCH_META = "epoch"
SEEDED_TASKS_META = "seeded_tasks"


def local_now() -> datetime:
    """Now, in this machine's time zone."""
    return datetime.now().astimezone()


def epoch_arg(text: str) -> datetime:
    """`--epoch`: an ISO 8601 date-time; without an offset, in this machine's time zone."""
    try:
        when = datetime.fromisoformat(text.strip())
        return when if when.tzinfo is not None else when.astimezone()
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"must be an ISO 8601 date-time like 2026-03-02T08:30:00+01:00, not {text!r}"
        ) from None


@functools.lru_cache(maxsize=256)
def _zone(name: str) -> tzinfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


Window = tuple[datetime, datetime]


def work_day(today: date, steps: int) -> int:
    """The day offset `steps` working days (Monday to Friday) from `today`; 0 stays 0."""
    offset, step = 0, 1 if steps > 0 else -1
    for _ in range(abs(steps)):
        offset += step
        while (today + timedelta(days=offset)).weekday() >= 5:
            offset += step
    return offset


class DemoDay:
    """Due times around an epoch: `due(zone, day, u)` for the rep's day `day` (0 = today)."""

    def __init__(self, epoch: datetime) -> None:
        if epoch.tzinfo is None:
            raise ValueError("the epoch needs a time zone")
        self.epoch = epoch
        self.rep_zone = epoch.tzinfo
        self.today = epoch.date()
        self._windows: dict[tuple[str, int], tuple[list[Window], int]] = {}

    @property
    def now(self) -> datetime:
        """The epoch in UTC."""
        return self.epoch.astimezone(UTC)

    def _midnight(self, day: int) -> datetime:
        return datetime.combine(self.today + timedelta(days=day), time(), tzinfo=self.rep_zone)

    def windows(self, zone_name: str, day: int) -> tuple[list[Window], int]:
        """The prospect's working hours within the rep's day `day`, and how many quarter hours
        they hold."""
        key = (zone_name, day)
        found = self._windows.get(key)
        if found is not None:
            return found
        zone = _zone(zone_name) or self.rep_zone
        start, end = self._midnight(day), self._midnight(day + 1)
        first = start.astimezone(zone).date() - timedelta(days=1)
        windows: list[Window] = []
        for n in range(4):
            local = first + timedelta(days=n)
            low = max(datetime.combine(local, WORK_START, tzinfo=zone), start)
            high = min(datetime.combine(local, WORK_END, tzinfo=zone), end)
            if high - low >= timedelta(seconds=QUARTER):
                windows.append((low.astimezone(UTC), high.astimezone(UTC)))
        quarters = sum(_quarters(w) for w in windows)
        self._windows[key] = (windows, quarters)
        return windows, quarters

    def due(self, zone_name: str, day: int, u: float) -> datetime:
        """The quarter hour at share `u` (0 ≤ u < 1) of the prospect's working time in the
        rep's day `day`."""
        windows, quarters = self.windows(zone_name, day)
        if not windows:  # no working hours overlap (cannot happen with 8 h in every 24 h)
            return self._midnight(day).astimezone(UTC) + timedelta(hours=12)
        pick = min(int(u * quarters), quarters - 1)
        for window in windows:
            held = _quarters(window)
            if pick < held:
                return window[0] + timedelta(seconds=QUARTER * pick)
            pick -= held
        return windows[-1][0]


def _quarters(window: Window) -> int:
    return int((window[1] - window[0]).total_seconds()) // QUARTER


def roll_forward(store: Store, now: datetime) -> int:
    """Move the seeded open tasks no client has changed by the calendar days since the epoch;
    how many moved.

    Does nothing for a database seeded before epochs were recorded, or on the epoch's day.
    """
    raw, last = store.meta(EPOCH_META), store.meta(SEEDED_TASKS_META)
    if raw is None or last is None:
        return 0
    epoch = datetime.fromisoformat(raw)
    zone = now.tzinfo or UTC
    days = (now.astimezone(zone).date() - epoch.astimezone(zone).date()).days
    if days <= 0:
        return 0
    shift = timedelta(days=days)
    state = next(a.column for a in TASK.indexed if a.name == "state")
    ids = [
        rid
        for (rid,) in store.connection.execute(
            f"SELECT id FROM {TASK.table} WHERE id <= ? AND {state} IN ('incomplete', 'pending')",
            (int(last),),
        )
    ]
    moved = []
    for row in store.get_many(TASK, ids):
        if row.attrs.get("updatedAt") != row.attrs.get("createdAt"):
            continue  # a client moved it: its due time is the rep's choice
        attrs = dict(row.attrs)
        for name in ("dueAt", "scheduledAt"):
            value = attrs.get(name)
            if isinstance(value, str):
                attrs[name] = format_utc(datetime.fromisoformat(value) + shift)
        moved.append(replace(row, attrs=attrs))
    store.update_many(TASK, moved)
    store.set_meta(EPOCH_META, (epoch + shift).isoformat())
    return len(moved)
