"""The rep's call-task queue as the rep works it: today's and overdue call tasks, in order.

- `QueueItem`: one call task as the queue shows it — who, due when, in which time zone, which
  sequence and step — in plain values, so that it is kept on disk and read back without
  Outreach's types (`item_data`, `item_from`).
- `ordered`: the order a rep works them: those the rep may call now (inside calling hours in the
  prospect's time zone; a prospect whose zone is unknown counts as callable) first, then the
  others; each part by due time, oldest first.
- `WorkList`: the queue and what the rep did with it in this run: the task open on the card
  (`current`), the tasks skipped (to the end of the queue, in the order skipped), and the tasks
  done here (worked by a logged call, snoozed, rescheduled), hidden at once — before Outreach's
  own list says so, and while it cannot be asked.
- `QueueCache`: the last list Outreach gave, with what was done here, in a small JSON file:
  the queue opens from it at start and while Outreach cannot be reached.

No Qt, no I/O but the cache file; times are aware datetimes, `now` is always given.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from . import files
from .hours import LocalTime, local_time

if TYPE_CHECKING:  # read by attribute only: the window imports this module before httpx loads
    from .outreach.tasks import QueuedTask

log = logging.getLogger(__name__)

CACHE_VERSION = 1
MAX_ITEMS = 500  # more than a rep works in a week: a longer list in a cache file is cut
Why = Literal["worked", "snoozed", "rescheduled"]
HIDING: tuple[Why, ...] = ("worked", "snoozed", "rescheduled")


@functools.lru_cache(maxsize=512)
def _known_zone(name: str) -> bool:
    """Whether this computer knows the zone (asked once per name: a failed look-up searches
    the disk every time, and the queue is sorted on every change)."""
    if not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One call task of the rep's queue."""

    task_id: int
    due_at: datetime
    prospect_id: int | None = None
    name: str = ""
    company: str = ""
    time_zone: str = ""  # the prospect's IANA zone; "" when unknown
    note: str = ""  # the task's note, without this app's reference line
    callback: bool = False  # a task of its own (a callback), not a sequence step
    sequence_name: str = ""
    step_order: int | None = None
    step_name: str = ""
    sequence_id: int | None = None
    sequence_state_id: int | None = None
    sequence_step_id: int | None = None

    @property
    def who(self) -> str:
        return self.name or (f"Prospect {self.prospect_id}" if self.prospect_id else "No prospect")

    @property
    def what(self) -> str:
        """What the task is: "Callback", "Sequence name — step 2", "Call task"."""
        if self.callback:
            return "Callback"
        if self.sequence_name or self.step_order is not None:
            step = f"step {self.step_order}" if self.step_order is not None else ""
            return " — ".join(x for x in (self.sequence_name or "Sequence", step) if x)
        return "Call task"

    def local(self, now: datetime, start_hour: int, end_hour: int) -> LocalTime | None:
        """The prospect's local time at `now` (None when their zone is unknown)."""
        zone = self.time_zone if _known_zone(self.time_zone) else ""
        return local_time(zone, now, start_hour, end_hour)

    def callable_at(self, now: datetime, start_hour: int, end_hour: int) -> bool:
        """Inside calling hours where the prospect is (or their zone is unknown: the rep
        decides)."""
        lt = self.local(now, start_hour, end_hour)
        return lt is None or lt.within_hours


def item_of(queued: QueuedTask) -> QueueItem | None:
    """The queue's view of a call task Outreach listed (None without a due time)."""
    task, prospect = queued.task, queued.prospect
    if task.due_at is None:
        return None
    return QueueItem(
        task_id=task.id,
        due_at=task.due_at,
        prospect_id=task.prospect_id
        if task.prospect_id is not None
        else (prospect.id if prospect is not None else None),
        name=prospect.name if prospect is not None else "",
        company=prospect.company if prospect is not None else "",
        time_zone=queued.time_zone,
        note=task.rep_note,
        callback=task.task_type != "sequence_step_call" and task.sequence_state_id is None,
        sequence_name=queued.sequence_name,
        step_order=queued.step_order,
        step_name=queued.step_name,
        sequence_id=task.sequence_id,
        sequence_state_id=task.sequence_state_id,
        sequence_step_id=task.sequence_step_id,
    )


def ordered(
    items: Iterable[QueueItem], now: datetime, start_hour: int, end_hour: int
) -> list[QueueItem]:
    """Callable now first, then the rest; each part by due time (then task id)."""
    return sorted(
        items,
        key=lambda i: (not i.callable_at(now, start_hour, end_hour), i.due_at, i.task_id),
    )


def due_text(due_at: datetime, now: datetime) -> str:
    """ "due 14:30", "due yesterday 16:00", "due 3 days ago", "due Thu 09:00" (the rep's time)."""
    local_due, local_now = due_at.astimezone(), now.astimezone()
    days = (local_now.date() - local_due.date()).days
    at = local_due.strftime("%H:%M")
    if days == 0:
        return f"due {at}"
    if days == 1:
        return f"due yesterday {at}"
    if days > 1:
        return f"due {days} days ago"
    return f"due {local_due.strftime('%a')} {at}"


@dataclass
class WorkList:
    """The queue, and what the rep did with it in this run (see the module docstring)."""

    items: list[QueueItem] = field(default_factory=list)
    current: int | None = None  # the task open on the card
    skipped: list[int] = field(default_factory=list)  # oldest skip first
    hidden: dict[int, Why] = field(default_factory=dict)
    as_of: datetime | None = None  # when Outreach last gave the list (None: never)

    def replace_items(self, items: Iterable[QueueItem], as_of: datetime | None) -> None:
        """Outreach's list as read at `as_of` (duplicates by task id: the first is kept).
        What the rep did here stays: a task done here stays hidden even while Outreach's
        reads still list it."""
        seen: dict[int, QueueItem] = {}
        for item in items:
            seen.setdefault(item.task_id, item)
        self.items = list(seen.values())[:MAX_ITEMS]
        self.as_of = as_of
        listed = set(seen)
        self.skipped = [t for t in self.skipped if t in listed]

    def get(self, task_id: int | None) -> QueueItem | None:
        return next((i for i in self.items if i.task_id == task_id), None)

    def visible(self, now: datetime, start_hour: int, end_hour: int) -> list[QueueItem]:
        """The tasks to work, in order: hidden ones out, skipped ones last (in skip order)."""
        shown = [i for i in self.items if i.task_id not in self.hidden]
        front = ordered(
            (i for i in shown if i.task_id not in self.skipped), now, start_hour, end_hour
        )
        by_id = {i.task_id: i for i in shown}
        back = [by_id[t] for t in self.skipped if t in by_id]
        return front + back

    def next_item(self, now: datetime, start_hour: int, end_hour: int) -> QueueItem | None:
        """The task to open next: the first to work that is not the one open already (the open
        one only when it is the last left)."""
        shown = self.visible(now, start_hour, end_hour)
        rest = [i for i in shown if i.task_id != self.current]
        return rest[0] if rest else (shown[0] if shown else None)

    def open(self, task_id: int) -> QueueItem | None:
        """The rep opens this task (the next one, or one picked in the list)."""
        item = self.get(task_id)
        if item is not None:
            self.current = task_id
        return item

    def skip(self) -> int | None:
        """The open task goes to the end of the queue (still due); its id, or None."""
        task = self.current
        if task is None:
            return None
        self.skipped = [t for t in self.skipped if t != task] + [task]
        self.current = None
        return task

    def hide(self, task_id: int, why: Why) -> None:
        """Done here (worked, snoozed, rescheduled): out of the queue at once."""
        self.hidden[task_id] = why
        self.skipped = [t for t in self.skipped if t != task_id]
        if self.current == task_id:
            self.current = None

    def unhide(self, task_id: int) -> None:
        """What hid it did not happen (a snooze Outreach refused): back in the queue."""
        self.hidden.pop(task_id, None)

    def count(self) -> int:
        return sum(1 for i in self.items if i.task_id not in self.hidden)

    def callable_count(self, now: datetime, start_hour: int, end_hour: int) -> int:
        return sum(
            1
            for i in self.items
            if i.task_id not in self.hidden and i.callable_at(now, start_hour, end_hour)
        )


# -- on disk ---------------------------------------------------------------------------------


def _time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"{name} is not a date-time")
    when = datetime.fromisoformat(value)
    if when.tzinfo is None:
        raise ValueError(f"{name} has no time zone")
    return when


def _int(value: object, name: str, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if type(value) is not int:
        raise TypeError(f"{name} is not a whole number")
    return value


def _str(raw: Mapping[str, Any], name: str) -> str:
    value = raw.get(name, "")
    if type(value) is not str:
        raise TypeError(f"{name} is not text")
    return value


def item_data(item: QueueItem) -> dict[str, Any]:
    return {
        "task_id": item.task_id,
        "due_at": item.due_at.isoformat(),
        "prospect_id": item.prospect_id,
        "name": item.name,
        "company": item.company,
        "time_zone": item.time_zone,
        "note": item.note,
        "callback": item.callback,
        "sequence_name": item.sequence_name,
        "step_order": item.step_order,
        "step_name": item.step_name,
        "sequence_id": item.sequence_id,
        "sequence_state_id": item.sequence_state_id,
        "sequence_step_id": item.sequence_step_id,
    }


def item_from(raw: object) -> QueueItem:
    """A `QueueItem` as `item_data` wrote it; TypeError or ValueError for anything else."""
    if not isinstance(raw, dict):
        raise TypeError("a task is not an object")
    callback = raw.get("callback", False)
    if type(callback) is not bool:
        raise TypeError("callback is not true or false")
    task_id = _int(raw.get("task_id"), "task_id")
    assert task_id is not None
    return QueueItem(
        task_id=task_id,
        due_at=_time(raw.get("due_at"), "due_at"),
        prospect_id=_int(raw.get("prospect_id"), "prospect_id", optional=True),
        name=_str(raw, "name"),
        company=_str(raw, "company"),
        time_zone=_str(raw, "time_zone"),
        note=_str(raw, "note"),
        callback=callback,
        sequence_name=_str(raw, "sequence_name"),
        step_order=_int(raw.get("step_order"), "step_order", optional=True),
        step_name=_str(raw, "step_name"),
        sequence_id=_int(raw.get("sequence_id"), "sequence_id", optional=True),
        sequence_state_id=_int(raw.get("sequence_state_id"), "sequence_state_id", optional=True),
        sequence_step_id=_int(raw.get("sequence_step_id"), "sequence_step_id", optional=True),
    )


@dataclass(frozen=True, slots=True)
class Cached:
    """What the cache file holds: whose queue, as of when, the tasks, and what was done here."""

    user_id: int
    as_of: datetime
    items: tuple[QueueItem, ...]
    hidden: Mapping[int, Why]


def _cached(doc: object) -> Cached:
    raw = files.expect_object(doc)
    if raw.get("version") != CACHE_VERSION:
        raise ValueError("not a queue cache of this version")
    items = raw.get("items")
    if not isinstance(items, list):
        raise TypeError("items is not a list")
    hidden_raw = raw.get("hidden", {})
    if not isinstance(hidden_raw, dict):
        raise TypeError("hidden is not an object")
    hidden: dict[int, Why] = {}
    for key, why in hidden_raw.items():
        if why not in HIDING:
            raise ValueError(f"{why!r} is not a reason to hide a task")
        hidden[int(key)] = why
    user_id = _int(raw.get("user_id"), "user_id")
    assert user_id is not None
    return Cached(
        user_id=user_id,
        as_of=_time(raw.get("as_of"), "as_of"),
        items=tuple(item_from(i) for i in items[:MAX_ITEMS]),
        hidden=hidden,
    )


class QueueCache:
    """The last queue read from Outreach, on disk (a small JSON file, rewritten whole).

    A file that cannot be read is set aside and the rep told (`files.load_json`): the queue then
    opens empty until Outreach answers.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, user_id: int | None = None) -> Cached | None:
        """The cached queue (of `user_id`, when given: another rep's is not shown); None when
        there is none."""
        cached = files.load_json(
            self.path,
            _cached,
            what="The saved list of your call tasks",
            outcome="the list is read again from Outreach",
        )
        if cached is None or (user_id is not None and cached.user_id != user_id):
            return None
        return cached

    def save(self, user_id: int, work: WorkList) -> None:
        """Keep the list and what was done here; raises OSError (the caller logs it: a cache)."""
        if work.as_of is None:
            return
        doc = {
            "version": CACHE_VERSION,
            "user_id": user_id,
            "as_of": work.as_of.isoformat(),
            "items": [item_data(i) for i in work.items],
            "hidden": {str(k): v for k, v in work.hidden.items()},
        }
        files.write_json(self.path, doc, durable=False)


def age_text(as_of: datetime | None, now: datetime) -> str:
    """How old the list is, for "saved list from …": "10:42", "yesterday 17:05", "3 Mar 17:05"."""
    if as_of is None:
        return "never"
    local, today = as_of.astimezone(), now.astimezone()
    days = (today.date() - local.date()).days
    if days == 0:
        return local.strftime("%H:%M")
    if days == 1:
        return f"yesterday {local:%H:%M}"
    return local.strftime("%d %b %H:%M")


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The rep's local day around `now`: this midnight and the next (aware, with the offsets
    the local rules give each of them, so a day of a clock change is 23 or 25 hours)."""
    today = now.astimezone().date()
    start = datetime.combine(today, time()).astimezone()
    end = datetime.combine(today + timedelta(days=1), time()).astimezone()
    return start, end
