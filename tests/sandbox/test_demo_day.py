"""The demo's day: seeded call tasks fall due around the epoch, in the prospect's working hours,
and a demo reopened on a later day still has today's work."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.sandbox.bootstrap import open_seeded
from dialer_app.sandbox.cli import build_parser
from dialer_app.sandbox.demo_day import DemoDay, work_day
from dialer_app.sandbox.resources import CALL, RESOURCE_TYPES, TASK, ResourceType
from dialer_app.sandbox.seed import seed
from dialer_app.sandbox.store import Row, Store
from dialer_app.sandbox.task_actions import snooze
from dialer_app.sandbox.tasks import mark_complete

REP = 1
EPOCHS = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
).flatmap(
    lambda at: st.integers(min_value=-11 * 4, max_value=13 * 4).map(
        lambda q: at.astimezone(timezone(timedelta(minutes=15 * q)))
    )
)


def _org(now: datetime, prospects: int = 300, seed_value: int = 1) -> dict[str, list[Row]]:
    store = Store.open(None)
    try:
        seed(store, prospects=prospects, seed=seed_value, now=now)
        return {r.type: store.get_many(r, range(1, 20_000)) for r in RESOURCE_TYPES}
    finally:
        store.close()


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _open_call_tasks(org: dict[str, list[Row]]) -> list[Row]:
    return [
        t for t in org["task"] if t.attrs["state"] == "incomplete" and t.attrs["action"] == "call"
    ]


@pytest.mark.slow
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
@given(now=EPOCHS)
def test_open_call_tasks_fall_due_in_working_hours_around_the_epoch(now: datetime) -> None:
    org = _org(now)
    zones = {p.id: p.attrs["timeZone"] for p in org["prospect"]}
    today = now.date()
    days: Counter[int] = Counter()
    for task in _open_call_tasks(org):
        due = _at(task.attrs["dueAt"])
        local = due.astimezone(ZoneInfo(zones[task.links["prospect"]]))
        assert 9 <= local.hour < 17, (local, task)
        assert (due.minute % 15, due.second) == (0, 0)
        day = (due.astimezone(now.tzinfo).date() - today).days
        assert -5 <= day <= 7, task  # three working days before, five after
        if day != 0:
            assert due.astimezone(now.tzinfo).weekday() < 5
        days[day] += 1
        assert _at(task.attrs["createdAt"]) < due
        assert _at(task.attrs["createdAt"]) <= now
        assert task.attrs["scheduledAt"] == task.attrs["dueAt"]
    assert days[0] >= sum(days.values()) * 0.4, days  # most of the work is today's
    assert any(d < 0 for d in days), days  # some is overdue
    assert any(d > 0 for d in days), days  # some is for later


@settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
@given(now=EPOCHS)
def test_the_past_is_before_the_epoch(now: datetime) -> None:
    org = _org(now, prospects=200)
    for call in org["call"]:
        dialed, completed = _at(call.attrs["dialedAt"]), _at(call.attrs["completedAt"])
        assert now - timedelta(days=45) <= dialed < completed < now, call.attrs
    for kind in ("prospect", "account", "sequenceState", "user", "callDisposition"):
        for row in org[kind]:
            assert _at(row.attrs["createdAt"]) <= now, (kind, row.id)
            assert _at(row.attrs["updatedAt"]) <= now, (kind, row.id)


def test_the_rep_has_a_days_work_in_the_default_demo() -> None:
    now = datetime(2026, 3, 2, 8, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    mine = [t for t in _open_call_tasks(_org(now)) if t.links["owner"] == REP]
    due_by_tonight = [
        t for t in mine if _at(t.attrs["dueAt"]).astimezone(now.tzinfo).date() <= now.date()
    ]
    assert len(due_by_tonight) >= 15
    assert {t.attrs["taskType"] for t in mine} == {"sequence_step_call", "manual"}


def test_the_same_seed_and_epoch_give_the_same_org_and_another_epoch_the_same_people() -> None:
    now = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
    first, again = _org(now, 250, 5), _org(now, 250, 5)
    assert first == again
    later = _org(now + timedelta(days=40, hours=7), 250, 5)
    people = ("firstName", "lastName", "emails", "company", "timeZone", "mobilePhones")
    assert [{k: p.attrs[k] for k in people} for p in first["prospect"]] == [
        {k: p.attrs[k] for k in people} for p in later["prospect"]
    ]
    assert [(t.id, t.links) for t in first["task"]] == [(t.id, t.links) for t in later["task"]]
    assert [t.attrs["dueAt"] for t in first["task"]] != [t.attrs["dueAt"] for t in later["task"]]
    assert _org(now, 250, 6)["prospect"] != first["prospect"]


@given(
    start=st.dates(min_value=datetime(2026, 1, 1).date(), max_value=datetime(2031, 1, 1).date()),
    steps=st.integers(min_value=-10, max_value=10),
)
def test_work_days_skip_weekends(start: date, steps: int) -> None:
    offset = work_day(start, steps)
    assert (offset > 0) - (offset < 0) == (steps > 0) - (steps < 0)
    landed = start + timedelta(days=offset)
    assert steps == 0 or landed.weekday() < 5
    passed = [start + timedelta(days=d) for d in range(min(0, offset), max(0, offset) + 1)]
    assert sum(d.weekday() < 5 for d in passed if d != start) == abs(steps)


ZONES = ["America/New_York", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Tokyo", "Europe/London"]


@given(
    zone=st.sampled_from([*ZONES, "No/Such_Zone"]),
    u=st.floats(0, 1, exclude_max=True),
    now=EPOCHS,
    day=st.integers(-6, 8),
)
def test_a_due_time_is_in_the_reps_day_and_the_prospects_hours(
    zone: str, u: float, now: datetime, day: int
) -> None:
    due = DemoDay(now).due(zone, day, u)
    local_day = now.date() + timedelta(days=day)
    assert due.astimezone(now.tzinfo).date() == local_day
    tz = ZoneInfo(zone) if zone != "No/Such_Zone" else now.tzinfo
    assert 9 <= due.astimezone(tz).hour < 17


# -- a demo reopened on a later day --------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "demo"


def _rows(data_dir: Path, rtype: ResourceType) -> list[Row]:
    store = Store.open(data_dir)
    try:
        return store.get_many(rtype, range(1, 20_000))
    finally:
        store.close()


def test_a_demo_reopened_days_later_rolls_its_open_tasks_forward(data_dir: Path) -> None:
    start = datetime(2026, 3, 2, 8, 30, tzinfo=timezone(timedelta(hours=1)))
    store, summary = open_seeded(data_dir, 120, 3, start)
    assert summary is not None
    seeded = [t for t in store.get_many(TASK, range(1, 500)) if t.attrs["state"] == "incomplete"]
    done, snoozed = seeded[0], seeded[1]
    mark_complete(store, done.id, "", start)
    snooze(store, snoozed.id, None, start)
    own = store.create(
        TASK,
        {**done.attrs, "state": "incomplete", "dueAt": "2026-03-03T09:00:00.000Z"},
        dict(done.links),
    )
    store.close()
    before = {t.id: t for t in _rows(data_dir, TASK)}
    calls = _rows(data_dir, CALL)

    later = start + timedelta(days=3, hours=10)  # Thursday evening
    store, summary = open_seeded(data_dir, 120, 3, later)
    store.close()
    assert summary is None  # reopened, not seeded again
    after = {t.id: t for t in _rows(data_dir, TASK)}
    assert after[done.id] == before[done.id]
    assert after[snoozed.id] == before[snoozed.id]  # the rep's own choice
    assert after[own.id] == before[own.id]  # not a seeded task
    moved = [
        i
        for i in before
        if before[i].attrs["state"] == "incomplete" and i not in (own.id, snoozed.id)
    ]
    assert moved
    for rid in moved:
        shift = _at(after[rid].attrs["dueAt"]) - _at(before[rid].attrs["dueAt"])
        assert shift == timedelta(days=3)
        assert after[rid].attrs["scheduledAt"] == after[rid].attrs["dueAt"]
    assert _rows(data_dir, CALL) == calls

    store, _ = open_seeded(data_dir, 120, 3, later + timedelta(hours=1))  # the same day again
    store.close()
    assert {t.id: t for t in _rows(data_dir, TASK)} == after


def test_the_epoch_flag_takes_an_iso_date_time() -> None:
    parser = build_parser()
    args = parser.parse_args(["--epoch", "2026-03-02T08:30:00+01:00"])
    assert args.epoch == datetime(2026, 3, 2, 7, 30, tzinfo=UTC)
    assert parser.parse_args([]).epoch is None
    assert parser.parse_args(["--epoch", "2026-03-02T08:30"]).epoch.tzinfo is not None
    with pytest.raises(SystemExit):
        parser.parse_args(["--epoch", "Monday"])
