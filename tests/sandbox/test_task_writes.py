"""`POST /tasks` and `DELETE /tasks/{id}`: a callback for the rep, and every way one is refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.sandbox.conftest import Validate
from tests.support.openapi import component, read_only
from tests.support.sandbox import SandboxServer, serve_for
from tests.support.writes import (
    EPOCH,
    HEADERS,
    created,
    document,
    errors,
    link,
    ok,
    pointers,
    post,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "task-writes", "--epoch", EPOCH)


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _callback(prospect: int = 5, **attributes: Any) -> dict[str, Any]:
    attrs = {
        "action": "call",
        "dueAt": "2026-03-04T10:00:00+01:00",
        "note": "Call back.",
        **attributes,
    }
    return document("task", attrs, {"subject": link("prospect", prospect)})


def test_a_callback_is_a_manual_call_task_of_the_rep(api: httpx.Client, validate: Validate) -> None:
    prospect = ok(api.get("/prospects/5"))
    before = datetime.now(UTC)
    task = created(post(api, "/tasks", _callback(5)))
    validate("taskResponse", task)
    attrs, rels = task["attributes"], task["relationships"]
    assert attrs["action"] == "call"
    assert attrs["taskType"] == "manual"  # the spec: tasks created through the API
    assert attrs["state"] == "incomplete"
    assert attrs["completed"] is False
    assert attrs["dueAt"] == attrs["scheduledAt"] == "2026-03-04T09:00:00.000Z"
    assert attrs["note"] == "Call back."
    assert datetime.fromisoformat(attrs["createdAt"]) >= before.replace(microsecond=0)
    assert rels["prospect"]["data"] == {"type": "prospect", "id": 5}
    assert rels["account"]["data"] == prospect["relationships"]["account"]["data"]
    assert rels["owner"]["data"] == {"type": "user", "id": 1}  # the token's user
    assert ok(api.get(f"/tasks/{task['id']}")) == task
    mine = api.get("/tasks", params={"filter[prospect][id]": 5, "page[size]": 1000})
    assert task["id"] in [t["id"] for t in mine.json()["data"]]


def test_an_owner_and_an_account_subject_are_kept(api: httpx.Client) -> None:
    body = document(
        "task",
        {"action": "email"},
        {"subject": link("account", 2), "owner": link("user", 3)},
    )
    task = created(post(api, "/tasks", body))
    assert task["relationships"]["account"]["data"] == {"type": "account", "id": 2}
    assert task["relationships"]["prospect"]["data"] is None
    assert task["relationships"]["owner"]["data"] == {"type": "user", "id": 3}
    assert task["attributes"]["dueAt"] == task["attributes"]["createdAt"]  # due now


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"attributes": {"dueAt": "2026-03-04T10:00:00Z"}}, "/data/attributes/action"),
        ({"attributes": {"action": "phone"}}, "/data/attributes/action"),
        ({"attributes": {"action": None}}, "/data/attributes/action"),
        ({"attributes": {"action": "call", "state": "complete"}}, "/data/attributes/state"),
        ({"attributes": {"action": "call", "taskType": "manual"}}, "/data/attributes/taskType"),
        ({"attributes": {"action": "call", "colour": "red"}}, "/data/attributes/colour"),
        ({"attributes": {"action": "call", "note": "x" * 65_536}}, "/data/attributes/note"),
        ({"attributes": {"action": "call", "dueAt": "2026-03-04T10:00"}}, "/data/attributes/dueAt"),
        ({"attributes": {"action": "call", "dueAt": "Thursday"}}, "/data/attributes/dueAt"),
        ({"attributes": {"action": "call", "dueAt": 1772614800}}, "/data/attributes/dueAt"),
        (
            {"attributes": {"action": "call", "opportunityAssociation": "x"}},
            "/data/attributes/opportunityAssociation",
        ),
        ({"relationships": {"subject": link("prospect", 10**9)}}, "/data/relationships/subject"),
        ({"relationships": {"subject": link("user", 1)}}, "/data/relationships/subject"),
        (
            {"relationships": {"subject": {"data": {"type": "prospect"}}}},
            "/data/relationships/subject",
        ),
        ({"relationships": {"subject": {"id": 5}}}, "/data/relationships/subject"),
        ({"relationships": {"owner": link("user", 99)}}, "/data/relationships/owner"),
        ({"relationships": {"prospect": link("prospect", 5)}}, "/data/relationships/prospect"),
        ({"relationships": {"sequence": link("sequence", 1)}}, "/data/relationships/sequence"),
        (
            {"relationships": {"taskPriority": link("taskPriority", 1)}},
            "/data/relationships/taskPriority",
        ),
        ({"relationships": {"friends": link("user", 1)}}, "/data/relationships/friends"),
    ],
)
def test_each_fault_is_named_by_its_pointer(
    api: httpx.Client, change: dict[str, Any], pointer: str
) -> None:
    body = _callback(5)
    data = body["data"]
    if "attributes" in change:
        data["attributes"] = change["attributes"]
    data["relationships"].update(change.get("relationships", {}))
    response = post(api, "/tasks", body)
    assert pointers(response) == {pointer}
    assert {e["id"] for e in errors(response)} == {"validationError"}


def test_linking_the_prospect_directly_says_to_use_the_subject(api: httpx.Client) -> None:
    body = document("task", {"action": "call"}, {"prospect": link("prospect", 5)})
    (error,) = errors(post(api, "/tasks", body))
    assert "read-only" in error["detail"]
    assert "subject" in error["detail"]


def test_every_fault_of_one_body_is_reported_at_once(api: httpx.Client) -> None:
    body = document(
        "task",
        {"action": "fax", "note": 7, "completed": True},
        {"subject": link("prospect", 10**9), "owner": link("user", 10**9)},
    )
    assert pointers(post(api, "/tasks", body)) == {
        "/data/attributes/action",
        "/data/attributes/note",
        "/data/attributes/completed",
        "/data/relationships/subject",
        "/data/relationships/owner",
    }


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b'{"data": {"type": "task", "attributes": {"action": "call"}}}', {}, 415),
        (
            b'{"data": {"type": "task", "attributes": {"action": "call"}}}',
            {"Content-Type": "application/json"},
            415,
        ),
        (b"{not json", HEADERS, 400),
        (b'{"data": {"type": "call", "attributes": {"action": "call"}}}', HEADERS, 422),
        (b'{"data": [1, 2]}', HEADERS, 422),
        (b"[]", HEADERS, 422),
        (b'{"data": {"type": "task", "attributes": []}}', HEADERS, 422),
    ],
)
def test_the_body_must_be_a_jsonapi_task(
    api: httpx.Client, content: bytes, headers: dict[str, str], status: int
) -> None:
    errors(api.post("/tasks", content=content, headers=headers), status)


def test_delete_removes_a_task(api: httpx.Client) -> None:
    task = created(post(api, "/tasks", _callback(6)))
    gone = api.delete(f"/tasks/{task['id']}")
    assert gone.status_code == 204
    assert gone.content == b""
    assert errors(api.get(f"/tasks/{task['id']}"), 404)[0]["id"] == "resourceNotFound"
    errors(api.delete(f"/tasks/{task['id']}"), 404)
    errors(api.delete(f"/tasks/{2**70}"), 404)


# -- generated bodies ----------------------------------------------------------------------

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["call", "email", "action_item", "in_person", "noop", "recent_created"]),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.lists(st.text(max_size=5), max_size=3),
)
_LINKS = st.one_of(
    st.none(),
    st.builds(
        lambda kind, rid: {"data": {"type": kind, "id": rid}},
        st.sampled_from(["prospect", "account", "user", "opportunity", "task"]),
        st.integers(min_value=-5, max_value=400) | st.just(2**64),
    ),
    st.builds(lambda: {"data": None}),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


def _attribute_names() -> list[str]:
    return [*sorted(component("task")["properties"]), "colour"]


_DATE_TIMES = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
).map(lambda d: d.isoformat())
_VALID = {
    "action": st.sampled_from(["call", "email", "action_item", "in_person"]),
    "dueAt": _DATE_TIMES,
    "autoskipAt": _DATE_TIMES,
    "note": st.text(max_size=200),
    "opportunityAssociation": st.sampled_from(["recent_created", "recent_updated", "noop"]),
}


def _value(name: str) -> st.SearchStrategy[object]:
    """A value for attribute `name`: as often one it takes as any JSON at all."""
    return st.one_of(_VALID.get(name, _VALUES), _VALUES)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_any_body_is_created_whole_or_refused_by_pointer(
    api: httpx.Client, validate: Validate, data: st.DataObject
) -> None:
    names = st.one_of(st.sampled_from(sorted(_VALID)), st.sampled_from(_attribute_names()))
    attributes = {
        "action": "call",
        **{
            name: data.draw(_value(name), label=name)
            for name in data.draw(st.sets(names, max_size=4))
        },
    }
    relations = st.sampled_from(["subject", "owner", "prospect", "team"])
    relationships = {
        "subject": link("prospect", 5),
        **data.draw(st.dictionaries(relations, _LINKS, max_size=1)),
    }
    response = post(api, "/tasks", document("task", attributes, relationships))
    event(f"status {response.status_code}")
    assert response.status_code in (201, 422), response.text
    if response.status_code == 201:
        task = created(response)
        validate("taskResponse", task)
        for name in set(attributes) - read_only("task") - {"dueAt", "autoskipAt"}:
            assert task["attributes"][name] == attributes[name], name
        return
    sent = {f"/data/attributes/{n}" for n in attributes} | {
        f"/data/relationships/{n}" for n in relationships
    }
    assert pointers(response) <= sent
