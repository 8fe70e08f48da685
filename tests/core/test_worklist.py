"""The call-task queue as a rep works it: order, next, skip, done-here, and its saved copy.

A state machine drives a work list through random days — Outreach's list read again with
tasks gone, come back or moved, the rep opening, skipping, working, snoozing and unsnoozing
tasks, the clock moving across time zones' calling hours — and checks after every step:
- the tasks to work are exactly the listed ones not done here, each once;
- those not skipped come first, callable ones before the others, each part by due time; the
  skipped ones last, in the order skipped;
- the next task is one of them, never one done here, and not the open one unless it is the
  only one left;
- skipping on from the next task reaches every task to work, none twice.
The saved copy gives back what was saved, and a damaged one is set aside, never a crash.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dialer_app.core import files
from dialer_app.core.outreach.models import Prospect
from dialer_app.core.outreach.tasks import QueuedTask, Task
from dialer_app.core.worklist import (
    QueueCache,
    QueueItem,
    WorkList,
    age_text,
    day_bounds,
    due_text,
    item_from,
    item_of,
    ordered,
)

HOURS = (8, 20)
ZONES = ("", "Europe/Berlin", "America/Los_Angeles", "Asia/Tokyo", "Not/AZone", "UTC")
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday

times = st.datetimes(
    min_value=datetime(2026, 2, 20), max_value=datetime(2026, 3, 10), timezones=st.just(UTC)
)
items = st.builds(
    QueueItem,
    task_id=st.integers(1, 30),
    due_at=times,
    prospect_id=st.one_of(st.none(), st.integers(1, 50)),
    name=st.text(max_size=20),
    company=st.text(max_size=20),
    time_zone=st.sampled_from(ZONES),
    note=st.text(max_size=40),
    callback=st.booleans(),
    sequence_name=st.text(max_size=10),
    step_order=st.one_of(st.none(), st.integers(1, 9)),
    step_name=st.text(max_size=10),
    sequence_id=st.one_of(st.none(), st.integers(1, 9)),
    sequence_state_id=st.one_of(st.none(), st.integers(1, 9)),
    sequence_step_id=st.one_of(st.none(), st.integers(1, 9)),
)


# What the order depends on; the rest of a task's fields only ride along (see `items`).
plain_items = st.builds(
    QueueItem, task_id=st.integers(1, 30), due_at=times, time_zone=st.sampled_from(ZONES)
)


def check_order(work: WorkList, now: datetime) -> None:
    shown = work.visible(now, *HOURS)
    ids = [i.task_id for i in shown]
    assert len(ids) == len(set(ids)), "each task once"
    listed = {i.task_id for i in work.items}
    assert set(ids) == listed - set(work.hidden), "exactly the listed tasks not done here"
    front = [i for i in shown if i.task_id not in work.skipped]
    back = [i.task_id for i in shown if i.task_id in work.skipped]
    assert shown[: len(front)] == front, "skipped tasks come last"
    assert back == [t for t in work.skipped if t in set(back)], "in the order skipped"
    keys = [(not i.callable_at(now, *HOURS), i.due_at, i.task_id) for i in front]
    assert keys == sorted(keys), "callable now first, then by due time"


class QueueDay(RuleBasedStateMachine):
    """A rep's day with the queue (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.work = WorkList()
        self.now = NOW

    @rule(listed=st.lists(plain_items, max_size=12))
    def outreach_answers(self, listed: list[QueueItem]) -> None:
        self.work.replace_items(listed, self.now)

    @rule(seconds=st.integers(0, 36 * 3600))
    def time_passes(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @precondition(lambda self: self.work.items)
    @rule(data=st.data())
    def open_one(self, data: st.DataObject) -> None:
        item = data.draw(st.sampled_from(self.work.items))
        assert self.work.open(item.task_id) == item
        assert self.work.current == item.task_id

    @rule()
    def open_next(self) -> None:
        nxt = self.work.next_item(self.now, *HOURS)
        if nxt is not None:
            self.work.open(nxt.task_id)

    @rule()
    def skip(self) -> None:
        before = self.work.current
        assert self.work.skip() == before
        assert self.work.current is None
        if before is not None:
            assert self.work.skipped[-1] == before

    @precondition(lambda self: self.work.items)
    @rule(data=st.data(), why=st.sampled_from(("worked", "snoozed", "rescheduled")))
    def done_here(self, data: st.DataObject, why: Any) -> None:
        item = data.draw(st.sampled_from(self.work.items))
        self.work.hide(item.task_id, why)
        assert item.task_id not in {i.task_id for i in self.work.visible(self.now, *HOURS)}
        assert self.work.current != item.task_id

    @precondition(lambda self: self.work.hidden)
    @rule(data=st.data())
    def outreach_refused(self, data: st.DataObject) -> None:
        task_id = data.draw(st.sampled_from(sorted(self.work.hidden)))
        self.work.unhide(task_id)

    @invariant()
    def in_order(self) -> None:
        check_order(self.work, self.now)
        assert self.work.count() == len(self.work.visible(self.now, *HOURS))

    @invariant()
    def next_is_to_work(self) -> None:
        shown = self.work.visible(self.now, *HOURS)
        nxt = self.work.next_item(self.now, *HOURS)
        if not shown:
            assert nxt is None
            return
        assert nxt is not None
        assert nxt.task_id not in self.work.hidden
        assert nxt in shown
        if nxt.task_id == self.work.current:
            assert len(shown) == 1, "the open task comes back only when it is the last"

    @invariant()
    def skipping_on_reaches_every_task(self) -> None:
        work = WorkList(
            list(self.work.items),
            self.work.current,
            list(self.work.skipped),
            dict(self.work.hidden),
        )
        shown = {i.task_id for i in work.visible(self.now, *HOURS)}
        seen: list[int] = []
        for _ in range(len(shown)):
            nxt = work.next_item(self.now, *HOURS)
            assert nxt is not None
            work.open(nxt.task_id)
            seen.append(nxt.task_id)
            work.skip()
        assert len(seen) == len(set(seen)) or len(shown) == 1
        assert set(seen) == shown


QueueDay.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)
test_a_day_with_the_queue = QueueDay.TestCase


def test_callable_now_first_then_by_due_time() -> None:
    # 15:00 UTC on a Wednesday: 16:00 in Berlin (callable), 07:00 in Los Angeles (not yet),
    # 00:00 in Tokyo (not), an unknown zone (the rep decides: callable).
    berlin = QueueItem(1, NOW - timedelta(hours=1), time_zone="Europe/Berlin")
    la_old = QueueItem(2, NOW - timedelta(days=2), time_zone="America/Los_Angeles")
    tokyo = QueueItem(3, NOW - timedelta(days=1), time_zone="Asia/Tokyo")
    unknown = QueueItem(4, NOW, time_zone="")
    berlin_old = QueueItem(5, NOW - timedelta(days=3), time_zone="Europe/Berlin")
    got = ordered([berlin, la_old, tokyo, unknown, berlin_old], NOW, *HOURS)
    assert [i.task_id for i in got] == [5, 1, 4, 2, 3]


def test_a_skipped_task_goes_to_the_end_and_the_next_one_opens() -> None:
    work = WorkList()
    work.replace_items([QueueItem(n, NOW + timedelta(minutes=n)) for n in (1, 2, 3)], NOW)
    first = work.next_item(NOW, *HOURS)
    assert first is not None
    assert first.task_id == 1
    work.open(1)
    assert work.next_item(NOW, *HOURS).task_id == 2  # type: ignore[union-attr]
    work.skip()
    assert [i.task_id for i in work.visible(NOW, *HOURS)] == [2, 3, 1]
    work.hide(2, "worked")
    assert [i.task_id for i in work.visible(NOW, *HOURS)] == [3, 1]
    work.replace_items([QueueItem(n, NOW) for n in (1, 2, 3)], NOW)  # Outreach still lists 2
    assert [i.task_id for i in work.visible(NOW, *HOURS)] == [3, 1], "done here stays done"


@pytest.mark.parametrize(
    ("due", "text"),
    [
        (NOW.replace(hour=9), "due {h}"),
        (NOW - timedelta(days=1), "due yesterday {h}"),
        (NOW - timedelta(days=3), "due 3 days ago"),
        (NOW + timedelta(days=1), "due Thu {h}"),
    ],
)
def test_due_times_in_words(due: datetime, text: str) -> None:
    assert due_text(due, NOW) == text.format(h=due.astimezone().strftime("%H:%M"))


@pytest.fixture
def berlin() -> Iterator[None]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.usefixtures("berlin")
@pytest.mark.parametrize(
    ("day", "hours"), [("2026-03-04", 24), ("2026-03-29", 23), ("2026-10-25", 25)]
)
def test_the_reps_day_is_midnight_to_midnight_local_time(day: str, hours: int) -> None:
    noon = datetime.fromisoformat(f"{day}T12:00:00+00:00")
    start, end = day_bounds(noon)
    assert (end - start) == timedelta(hours=hours)
    assert start.astimezone().strftime("%H:%M") == end.astimezone().strftime("%H:%M") == "00:00"
    assert start <= noon < end


def test_how_old_a_saved_list_is() -> None:
    assert age_text(None, NOW) == "never"
    assert age_text(NOW - timedelta(minutes=5), NOW) == (
        NOW - timedelta(minutes=5)
    ).astimezone().strftime("%H:%M")
    assert age_text(NOW - timedelta(days=3), NOW).endswith(
        (NOW - timedelta(days=3)).astimezone().strftime("%H:%M")
    )


def test_a_task_outreach_listed_becomes_a_queue_item() -> None:
    task = Task(
        id=9,
        action="call",
        task_type="sequence_step_call",
        state="incomplete",
        due_at=NOW,
        note="Ask about pricing\n\nDialer Companion ref op-1",
        prospect_id=4,
        sequence_id=1,
        sequence_state_id=2,
        sequence_step_id=3,
    )
    prospect = Prospect(4, "Ada", "Lovelace", company="Engines", time_zone="Europe/London")
    item = item_of(QueuedTask(task, prospect, "Outbound", 2, "call", "Step 2 (Call)"))
    assert item is not None
    assert (item.task_id, item.prospect_id, item.name, item.company, item.time_zone) == (
        9,
        4,
        "Ada Lovelace",
        "Engines",
        "Europe/London",
    )
    assert item.note == "Ask about pricing"  # the app's own reference line is left out
    assert (item.callback, item.what) == (False, "Outbound — step 2")
    callback = Task(
        id=10, action="call", task_type="manual", state="incomplete", due_at=NOW, note=""
    )
    cb = item_of(QueuedTask(callback, None))
    assert cb is not None
    assert (cb.callback, cb.what, cb.who) == (True, "Callback", "No prospect")
    assert item_of(QueuedTask(Task(11, "call", "manual", "incomplete", None, ""), None)) is None


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    listed=st.lists(items, max_size=8, unique_by=lambda i: i.task_id),
    hidden=st.dictionaries(st.integers(1, 30), st.sampled_from(("worked", "snoozed"))),
)
def test_the_saved_copy_gives_back_what_was_saved(
    tmp_path: Path, listed: list[QueueItem], hidden: dict[int, Any]
) -> None:
    cache = QueueCache(tmp_path / "queue.json")
    work = WorkList(hidden=dict(hidden))
    work.replace_items(listed, NOW)
    cache.save(7, work)
    back = cache.load(7)
    assert back is not None
    assert list(back.items) == listed
    assert dict(back.hidden) == hidden
    assert back.as_of == NOW
    assert cache.load(8) is None, "another rep's list is not shown"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
item_fields = st.fixed_dictionaries(
    {},
    optional={
        "task_id": st.one_of(st.integers(), json_values),
        "due_at": st.one_of(
            st.just("2026-03-04T10:00:00+00:00"), st.just("2026-03-04"), json_values
        ),
        "prospect_id": json_values,
        "name": json_values,
        "callback": json_values,
        "step_order": json_values,
    },
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.one_of(
        json_values,
        st.fixed_dictionaries(
            {"version": st.sampled_from([1, 2, "1"])},
            optional={
                "user_id": json_values,
                "as_of": st.one_of(st.just("2026-03-04T10:00:00+00:00"), json_values),
                "items": st.one_of(st.lists(item_fields, max_size=3), json_values),
                "hidden": st.one_of(
                    st.dictionaries(st.sampled_from(["1", "x", "2"]), json_values), json_values
                ),
            },
        ),
    )
)
def test_a_damaged_saved_copy_is_set_aside_never_a_crash(tmp_path: Path, doc: object) -> None:
    path = tmp_path / "queue.json"
    for old in tmp_path.iterdir():
        old.unlink()
    path.write_text(json.dumps(doc), encoding="utf-8")
    files.notices.take()
    loaded = QueueCache(path).load()
    if loaded is None and doc is None:  # `null`: nothing saved; the next save replaces it
        assert not files.notices.take()
    elif loaded is None:
        assert not path.exists(), "an unusable copy is moved aside"
        told = files.notices.take()
        assert told
        assert "call tasks" in told[0]
    else:
        assert all(isinstance(i, QueueItem) for i in loaded.items)
        assert loaded.as_of.tzinfo is not None


def test_item_data_refuses_what_it_never_wrote() -> None:
    with pytest.raises(TypeError):
        item_from({"task_id": True, "due_at": "2026-03-04T10:00:00+00:00"})
    with pytest.raises(ValueError, match="time zone"):
        item_from({"task_id": 1, "due_at": "2026-03-04T10:00:00"})
