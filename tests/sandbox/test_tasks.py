"""`POST /tasks/{id}/actions/markComplete`: the task completes once and its sequence moves on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import Validate
from tests.support.sandbox import SandboxServer, serve_for

ACTION = "/tasks/{}/actions/markComplete"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "tasks")


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _open_sequence_tasks(api: httpx.Client) -> list[dict[str, Any]]:
    params = {
        "filter[state]": "incomplete",
        "filter[taskType]": "sequence_step_call",
        "page[size]": "100",
    }
    tasks = api.get("/tasks", params=params).json()["data"]
    linked = [t for t in tasks if (t["relationships"].get("sequenceState") or {}).get("data")]
    assert len(linked) >= 2, "the seed has open call tasks of active sequence states"
    return linked


def _sequence_state(api: httpx.Client, task: dict[str, Any]) -> dict[str, Any]:
    sid = task["relationships"]["sequenceState"]["data"]["id"]
    return api.get(f"/sequenceStates/{sid}").json()["data"]  # type: ignore[no-any-return]


def test_marking_a_task_complete_advances_its_sequence(
    api: httpx.Client, validate: Validate
) -> None:
    task = _open_sequence_tasks(api)[0]
    before = _sequence_state(api, task)
    response = api.post(ACTION.format(task["id"]))
    assert response.status_code == 200, response.text
    done = response.json()["data"]
    validate("taskResponse", done)
    assert done["attributes"]["state"] == "complete"
    assert done["attributes"]["completedAt"].endswith("Z")
    after = _sequence_state(api, task)
    moved = (
        after["relationships"]["sequenceStep"]["data"]
        != before["relationships"]["sequenceStep"]["data"]
    )
    assert moved or after["attributes"]["state"] == "finished"


def test_finish_no_reply_finishes_the_sequence_state(api: httpx.Client) -> None:
    task = _open_sequence_tasks(api)[0]
    params = {"actionParams[completionAction]": "finish_no_reply"}
    assert api.post(ACTION.format(task["id"]), params=params).status_code == 200
    assert _sequence_state(api, task)["attributes"]["state"] == "finished"


def test_a_task_completes_only_once(api: httpx.Client) -> None:
    task = _open_sequence_tasks(api)[0]
    assert api.post(ACTION.format(task["id"])).status_code == 200
    again = api.post(ACTION.format(task["id"]))
    assert again.status_code == 422
    assert again.json()["errors"][0]["id"] == "validationError"


def test_an_unknown_task_is_not_found(api: httpx.Client) -> None:
    response = api.post(ACTION.format(10**9))
    assert response.status_code == 404
    assert response.json()["errors"][0]["id"] == "resourceNotFound"
