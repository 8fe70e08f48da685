"""The client's call-task operations against the real sandbox over HTTP: the rep's queue, a
callback created once and found again by its reference, snooze, reschedule, complete."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach import tasks as t
from dialer_app.core.outreach.bodies import NewTask
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from tests.support.sandbox import SandboxServer, serve_for
from tests.support.writes import EPOCH, every_task

REP = 1
START = datetime.fromisoformat(EPOCH)
END_OF_DAY = START.replace(hour=23, minute=59, second=59)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "task-client", "--epoch", EPOCH)


def _with(server: SandboxServer, use: Callable[[OutreachClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = OutreachClient(server.base_url, StaticToken(server.token))
        try:
            return await use(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _expected(server: SandboxServer, due_by: datetime, due_from: datetime | None) -> list[int]:
    """The queue as the sandbox's own data says it should be, soonest first."""
    with server.client() as api:
        rows = every_task(api)
    keep = []
    for task in rows:
        attrs, rels = task["attributes"], task["relationships"]
        due = datetime.fromisoformat(attrs["dueAt"])
        owner = rels["owner"]["data"]
        if (
            attrs["state"] == "incomplete"
            and (attrs["action"] == "call" or attrs["taskType"] == "sequence_step_call")
            and owner is not None
            and owner["id"] == REP
            and due <= due_by
            and (due_from is None or due >= due_from)
        ):
            keep.append((due, task["id"]))
    return [rid for _, rid in sorted(keep)]


def test_the_queue_is_the_reps_open_call_tasks_due_today_or_before(server: SandboxServer) -> None:
    queue = _with(server, lambda c: t.due_call_tasks(c, REP, END_OF_DAY))
    assert [q.task.id for q in queue] == _expected(server, END_OF_DAY, None)
    assert len(queue) >= 15, "the demo rep has a day's work"
    with server.client() as api:
        for item in queue:
            task = item.task
            assert task.is_call
            assert task.is_open
            assert task.owner_id == REP
            assert item.prospect is not None
            assert item.prospect.id == task.prospect_id
            ZoneInfo(item.time_zone)  # a real IANA zone, to show the prospect's local time
            if task.sequence_id is not None:
                sequence = api.get(f"/sequences/{task.sequence_id}").json()["data"]
                step = api.get(f"/sequenceSteps/{task.sequence_step_id}").json()["data"]
                assert item.sequence_name == sequence["attributes"]["name"]
                assert item.step_order == step["attributes"]["order"]
                assert item.step_name == step["attributes"]["displayName"]
                assert item.step_type == "call"
            else:
                assert (item.sequence_name, item.step_order) == ("", None)


@pytest.mark.slow
@settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    hours=st.integers(min_value=-4 * 24, max_value=6 * 24),
    window=st.none() | st.integers(min_value=0, max_value=5 * 24),
    limit=st.integers(min_value=1, max_value=60),
)
def test_any_window_and_limit_give_the_first_due_tasks_in_it(
    server: SandboxServer, hours: int, window: int | None, limit: int
) -> None:
    due_by = START + timedelta(hours=hours)
    due_from = None if window is None else due_by - timedelta(hours=window)
    queue = _with(
        server, lambda c: t.due_call_tasks(c, REP, due_by, due_from=due_from, limit=limit)
    )
    assert [q.task.id for q in queue] == _expected(server, due_by, due_from)[:limit]


def test_a_callback_is_created_once_and_found_again_by_its_reference(server: SandboxServer) -> None:
    ref = uuid.uuid4().hex
    due = START.replace(hour=15, minute=0)
    callback = NewTask.make(prospect=12, dueAt=due, note="Call back: wants a quote.", ref=ref)

    async def go(client: OutreachClient) -> tuple[t.Task, t.Task | None, t.Task | None, Any]:
        created = await t.create_call_task(client, callback)
        found = await t.find_own_task(client, 12, ref, owner_id=REP)
        other = await t.find_own_task(client, 12, uuid.uuid4().hex)
        queue = await t.due_call_tasks(client, REP, END_OF_DAY)
        return created, found, other, queue

    created, found, other, queue = _with(server, go)
    assert created.ref == ref
    assert created.rep_note == "Call back: wants a quote."
    assert (created.action, created.task_type, created.state) == ("call", "manual", "incomplete")
    assert created.due_at == due
    assert (created.prospect_id, created.owner_id) == (12, REP)
    assert found == created
    assert other is None
    assert created.id in [q.task.id for q in queue]


def test_snooze_reschedule_and_complete(server: SandboxServer) -> None:
    first = START.replace(hour=11)

    async def go(client: OutreachClient) -> list[t.Task]:
        task = await t.create_call_task(client, NewTask.make(prospect=14, dueAt=first))
        snoozed = await t.snooze_task(client, task.id, first + timedelta(hours=2))
        rescheduled = await t.reschedule_task(client, task.id, first + timedelta(days=2))
        bumped = await t.snooze_task(client, task.id)
        done = await t.complete_task(client, task.id)
        read = await t.get_task(client, task.id)
        return [snoozed, rescheduled, bumped, done, read]

    snoozed, rescheduled, bumped, done, read = _with(server, go)
    assert snoozed.due_at == first + timedelta(hours=2)
    assert rescheduled.due_at == first + timedelta(days=2)
    assert bumped.due_at is not None
    assert bumped.due_at >= datetime.now(UTC) + timedelta(hours=23)
    assert (done.state, read.state) == ("complete", "complete")
    assert done.completed_at is not None
    assert not read.is_open


def test_refusals_arrive_as_the_error_tree(server: SandboxServer) -> None:
    async def complete_twice(client: OutreachClient) -> None:
        task = await t.create_call_task(client, NewTask.make(prospect=15, dueAt=START))
        await t.complete_task(client, task.id, "finish_no_reply")
        await t.complete_task(client, task.id)

    with pytest.raises(e.ValidationFailed) as caught:
        _with(server, complete_twice)
    assert [f.field for f in caught.value.field_errors] == ["state"]
    with pytest.raises(e.NotFound):
        _with(server, lambda c: t.snooze_task(c, 10**9))
    with pytest.raises(e.NotFound):
        _with(server, lambda c: t.get_task(c, 10**9))
