"""The rep's queue over HTTP: `GET /tasks` by owner, state and due range, sorted, with what it
links; and the actions that move a task: snooze, reschedule, mark complete."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.sandbox.conftest import Validate
from tests.support.sandbox import SandboxServer, serve_for
from tests.support.writes import (
    EPOCH,
    created,
    document,
    errors,
    every_task,
    link,
    ok,
    pointers,
    post,
)

DAY = timedelta(days=1)
START = datetime.fromisoformat(EPOCH)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "task-queue", "--epoch", EPOCH)


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _z(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _due(task: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(task["attributes"]["dueAt"])


def _owner(task: dict[str, Any]) -> int | None:
    data = task["relationships"]["owner"]["data"]
    return None if data is None else int(data["id"])


def test_the_queue_read_links_prospect_sequence_and_step(
    api: httpx.Client, validate: Validate
) -> None:
    params = {
        "filter[owner][id]": 1,
        "filter[state]": "incomplete",
        "filter[dueAt]": f"neginf..{_z(START.replace(hour=23, minute=59))}",
        "sort": "dueAt",
        "include": "prospect,sequence,sequenceStep",
        "page[size]": 1000,
    }
    body = api.get("/tasks", params=params).json()
    tasks, included = body["data"], body["included"]
    assert len(tasks) >= 10, "the rep has work today"
    by_key = {(r["type"], r["id"]): r for r in included}
    for task in tasks:
        validate("taskResponse", task)
        for name in ("prospect", "sequence", "sequenceStep"):
            linked = task["relationships"][name]["data"]
            if linked is not None:
                assert (linked["type"], linked["id"]) in by_key
        prospect = by_key[("prospect", task["relationships"]["prospect"]["data"]["id"])]
        assert prospect["attributes"]["timeZone"]
    for resource in included:
        validate(f"{resource['type']}Response", resource)
    assert [_due(t) for t in tasks] == sorted(_due(t) for t in tasks)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(
    low=st.none() | st.integers(min_value=-8 * 96, max_value=8 * 96),
    span=st.integers(min_value=0, max_value=10 * 96),
    owner=st.sampled_from([1, 2, 3, 4]),
    descending=st.booleans(),
    size=st.sampled_from([1, 7, 1000]),
)
def test_a_due_range_gives_exactly_the_tasks_due_in_it(
    api: httpx.Client,
    low: int | None,
    span: int,
    owner: int,
    descending: bool,
    size: int,
) -> None:
    """Bounds are inclusive; `neginf` opens the lower end; pages follow the sort."""
    start = None if low is None else START + timedelta(minutes=15 * low)
    end = (start or START) + timedelta(minutes=15 * span)
    lower = "neginf" if start is None else _z(start)
    params = {
        "filter[owner][id]": owner,
        "filter[state]": "incomplete",
        "filter[dueAt]": f"{lower}..{_z(end)}",
        "sort": "-dueAt" if descending else "dueAt",
    }
    got = every_task(api, **{**params, "page[size]": size})
    expected = [
        t
        for t in every_task(api)
        if t["attributes"]["state"] == "incomplete"
        and _owner(t) == owner
        and (start is None or start <= _due(t))
        and _due(t) <= end
    ]
    assert sorted(t["id"] for t in got) == sorted(t["id"] for t in expected)
    keys = [(_due(t), t["id"]) for t in got]
    assert keys == sorted(keys, reverse=descending)


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-03-02T10:00:00Z..2026..03", "..", "2026-13-01T00:00:00Z..inf"]
)
def test_an_unreadable_range_is_a_bad_request(api: httpx.Client, value: str) -> None:
    response = api.get("/tasks", params={"filter[dueAt]": value})
    assert errors(response, 400)[0]["source"] == {"parameter": "filter[dueAt]"}


# -- actions -------------------------------------------------------------------------------


def _new_task(api: httpx.Client, due: datetime) -> dict[str, Any]:
    body = document("task", {"action": "call", "dueAt": _z(due)}, {"subject": link("prospect", 9)})
    return created(post(api, "/tasks", body))


def _act(api: httpx.Client, task_id: int, action: str, **params: str) -> httpx.Response:
    query = {f"actionParams[{k}]": v for k, v in params.items()}
    return api.post(f"/tasks/{task_id}/actions/{action}", params=query)


def test_snooze_moves_a_day_past_now_or_the_due_time_whichever_is_later(
    api: httpx.Client, validate: Validate
) -> None:
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    future = _new_task(api, later)
    snoozed = ok(_act(api, future["id"], "snooze"))
    validate("taskResponse", snoozed)
    assert _due(snoozed) == later + DAY
    assert snoozed["attributes"]["scheduledAt"] == snoozed["attributes"]["dueAt"]
    assert snoozed["attributes"]["updatedAt"] >= future["attributes"]["updatedAt"]

    past = _new_task(api, START - 2 * DAY)
    before = datetime.now(UTC)
    snoozed = ok(_act(api, past["id"], "snooze"))
    after = datetime.now(UTC)
    assert before + DAY - timedelta(seconds=1) <= _due(snoozed) <= after + DAY


def test_snooze_and_reschedule_to_a_given_time(api: httpx.Client, validate: Validate) -> None:
    task = _new_task(api, START)
    for action, when in (
        ("snooze", "2026-03-05T09:15:00+01:00"),
        ("reschedule", "2026-03-09T16:00:00-05:00"),
    ):
        moved = ok(
            _act(
                api,
                task["id"],
                action,
                dueAt=when,
                **({"markAsUrgent": "true"} if action == "snooze" else {}),
            )
        )
        validate("taskResponse", moved)
        assert _due(moved) == datetime.fromisoformat(when)
        assert moved["attributes"]["dueAt"].endswith(".000Z")


@pytest.mark.parametrize(
    ("action", "params", "parameter"),
    [
        ("reschedule", {}, "actionParams[dueAt]"),
        ("reschedule", {"dueAt": "next week"}, "actionParams[dueAt]"),
        ("reschedule", {"dueAt": "2026-03-05T09:15:00"}, "actionParams[dueAt]"),
        ("snooze", {"dueAt": ""}, "actionParams[dueAt]"),
        ("snooze", {"markAsUrgent": "very"}, "actionParams[markAsUrgent]"),
    ],
)
def test_a_missing_or_unreadable_parameter_is_named(
    api: httpx.Client, action: str, params: dict[str, str], parameter: str
) -> None:
    task = _new_task(api, START)
    assert pointers(_act(api, task["id"], action, **params)) == {parameter}
    assert ok(api.get(f"/tasks/{task['id']}"))["attributes"]["dueAt"] == task["attributes"]["dueAt"]


@pytest.mark.parametrize("action", ["snooze", "reschedule", "markComplete"])
def test_an_unknown_task_is_not_found(api: httpx.Client, action: str) -> None:
    for rid in (10**9, 2**70):
        response = _act(api, rid, action, dueAt="2026-03-05T09:15:00Z")
        assert errors(response, 404)[0]["id"] == "resourceNotFound"


class TaskLife(RuleBasedStateMachine):
    """A task's life through the actions, against a model: due time and whether complete."""

    api: httpx.Client

    @initialize(due=st.integers(min_value=-5 * 96, max_value=5 * 96))
    def create(self, due: int) -> None:
        self.due = (START + timedelta(minutes=15 * due)).astimezone(UTC)
        self.task = _new_task(self.api, self.due)
        self.complete = False

    @rule(offset=st.integers(min_value=-30 * 96, max_value=30 * 96))
    def reschedule(self, offset: int) -> None:
        when = START + timedelta(minutes=15 * offset)
        response = _act(self.api, self.task["id"], "reschedule", dueAt=when.isoformat())
        self._expect(response, when)

    @rule(offset=st.none() | st.integers(min_value=-30 * 96, max_value=30 * 96))
    def snooze(self, offset: int | None) -> None:
        if offset is None:
            before = datetime.now(UTC)
            response = _act(self.api, self.task["id"], "snooze")
            if not self.complete:
                got = _due(ok(response))
                low = max(before - timedelta(seconds=1), self.due) + DAY
                assert low <= got <= max(datetime.now(UTC), self.due) + DAY
                self.due = got
                return
            self._expect(response, None)
            return
        when = START + timedelta(minutes=15 * offset)
        self._expect(_act(self.api, self.task["id"], "snooze", dueAt=when.isoformat()), when)

    @precondition(lambda self: not self.complete)
    @rule()
    def complete_it(self) -> None:
        done = ok(_act(self.api, self.task["id"], "markComplete"))
        assert done["attributes"]["state"] == "complete"
        self.complete = True

    @precondition(lambda self: self.complete)
    @rule()
    def complete_again(self) -> None:
        assert pointers(_act(self.api, self.task["id"], "markComplete")) == {
            "/data/attributes/state"
        }

    def _expect(self, response: httpx.Response, when: datetime | None) -> None:
        if self.complete:
            assert pointers(response) == {"/data/attributes/state"}
            return
        assert when is not None
        assert _due(ok(response)) == when
        self.due = when.astimezone(UTC)

    @invariant()
    def matches_the_model(self) -> None:
        if not hasattr(self, "task"):
            return
        stored = ok(self.api.get(f"/tasks/{self.task['id']}"))["attributes"]
        assert stored["state"] == ("complete" if self.complete else "incomplete")
        assert datetime.fromisoformat(stored["dueAt"]) == self.due
        assert stored["scheduledAt"] == stored["dueAt"]


def test_a_task_moves_only_while_open(api: httpx.Client) -> None:
    TaskLife.api = api
    run_state_machine_as_test(
        TaskLife,
        settings=settings(
            max_examples=12,
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
