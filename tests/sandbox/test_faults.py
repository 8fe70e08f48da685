"""Faults on demand, over real HTTP: each one does exactly what it says, and the admin API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.sandbox import JSONAPI, SandboxServer, serve_for

MakeSandbox = Callable[..., SandboxServer]
POST_HEADERS = {"Content-Type": JSONAPI}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "faults", "--prospects", "5", "--seed", "3")


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    server.reset_faults()
    with server.client() as client:
        yield client
    server.reset_faults()


def _call() -> dict[str, Any]:
    attrs = {"note": "fault test", "vendorCallId": str(uuid.uuid4())}
    return {"data": {"type": "call", "attributes": attrs}}


def _statuses(api: httpx.Client, n: int) -> list[int]:
    return [api.get("/callPurposes").status_code for _ in range(n)]


def test_latency_and_jitter_are_added(server: SandboxServer, api: httpx.Client) -> None:
    server.faults(latency_ms=100, latency_jitter_ms=100)
    took = []
    for _ in range(4):
        started = time.perf_counter()
        assert api.get("").status_code == 200
        took.append(time.perf_counter() - started)
    assert min(took) >= 0.1
    assert max(took) - min(took) > 0.005  # the jitter varies
    server.faults(latency_ms=0, latency_jitter_ms=0)
    started = time.perf_counter()
    api.get("")
    assert time.perf_counter() - started < 0.1


def test_a_share_of_requests_fails_with_the_chosen_statuses(
    server: SandboxServer, api: httpx.Client
) -> None:
    server.faults(error_rate=0.5, error_statuses=[502, 503])
    statuses = _statuses(api, 60)
    assert set(statuses) == {200, 502, 503}
    assert 15 <= statuses.count(200) <= 45
    failed = api.get("/callPurposes")
    while failed.status_code == 200:
        failed = api.get("/callPurposes")
    [error] = failed.json()["errors"]
    assert error["id"] in {"badGateway", "serviceUnavailable"}
    server.faults(error_rate=0)
    assert set(_statuses(api, 10)) == {200}


@pytest.mark.slow
def test_random_faults_repeat_under_the_same_seed(make_sandbox: MakeSandbox) -> None:
    runs = []
    for seed in ("5", "5", "6"):
        server = make_sandbox("--prospects", "3", "--seed", seed, "--error-rate", "0.5")
        with server.client() as api:
            runs.append(_statuses(api, 30))
        server.stop()
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_a_burst_of_429_then_normal_answers(server: SandboxServer, api: httpx.Client) -> None:
    server.faults(burst_429=3, retry_after_s=2)
    refused = [api.get("/callPurposes") for _ in range(3)]
    for response in refused:
        assert response.status_code == 429
        assert response.json()["errors"][0]["id"] == "rateLimitExceeded"
        assert response.headers["retry-after"] == "2"
        assert int(response.headers["x-ratelimit-reset"]) >= int(time.time()) + 1
        assert response.headers["x-ratelimit-remaining"] == "0"
    assert api.get("/callPurposes").status_code == 200
    assert server.admin("faults")["burst_429"] == 0


def test_a_dropped_post_is_committed_but_never_answered(
    server: SandboxServer, api: httpx.Client
) -> None:
    before = server.calls_count()
    server.faults(drop_after_commit=1)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post("/calls", json=_call(), headers=POST_HEADERS)
    assert server.calls_count() == before + 1
    answered = api.post("/calls", json=_call(), headers=POST_HEADERS)
    assert answered.status_code == 201
    assert server.calls_count() == before + 2


def test_a_refused_post_is_answered_not_dropped(server: SandboxServer, api: httpx.Client) -> None:
    server.faults(drop_after_commit=1)
    assert api.post("/calls", content=b"{", headers=POST_HEADERS).status_code == 400
    assert api.get("/calls/1").status_code in (200, 404)  # GETs are never dropped
    assert server.admin("faults")["drop_after_commit"] == 1


def test_drop_only_loses_the_answers_of_one_kind_of_write(
    server: SandboxServer, api: httpx.Client
) -> None:
    calls = server.calls_count()
    server.faults(drop_after_commit=1, drop_only="/tasks")
    try:
        assert api.post("/calls", json=_call(), headers=POST_HEADERS).status_code == 201
        assert server.calls_count() == calls + 1  # not a task: answered, the drop still waits
        assert server.admin("faults")["drop_after_commit"] == 1
        task = {
            "data": {
                "type": "task",
                "attributes": {"action": "call", "note": "drop-only"},
                "relationships": {"subject": {"data": {"type": "prospect", "id": 1}}},
            }
        }
        with pytest.raises(httpx.RemoteProtocolError):
            api.post("/tasks", json=task, headers=POST_HEADERS)
        stored = api.get("/tasks", params={"filter[prospect][id]": 1, "page[size]": 1000})
        assert "drop-only" in [t["attributes"]["note"] for t in stored.json()["data"]]
        assert server.admin("faults")["drop_after_commit"] == 0
    finally:
        server.reset_faults()
    with pytest.raises(httpx.HTTPStatusError):
        server.faults(drop_only="tasks; rm")


def test_a_drop_rate_drops_some_posts(server: SandboxServer, api: httpx.Client) -> None:
    before = server.calls_count()
    server.faults(drop_rate=0.5)
    outcomes = []
    for _ in range(16):
        try:
            outcomes.append(api.post("/calls", json=_call(), headers=POST_HEADERS).status_code)
        except httpx.RemoteProtocolError:
            outcomes.append(0)
    assert 0 in outcomes
    assert 201 in outcomes
    assert server.calls_count() == before + 16


def test_a_held_post_times_out_after_it_was_committed(
    server: SandboxServer, api: httpx.Client
) -> None:
    before = server.calls_count()
    server.faults(hold_ms=1500)
    with pytest.raises(httpx.ReadTimeout):
        api.post("/calls", json=_call(), headers=POST_HEADERS, timeout=0.3)
    assert server.calls_count() == before + 1


def test_maintenance_answers_503_with_retry_after(server: SandboxServer, api: httpx.Client) -> None:
    server.faults(maintenance=True, retry_after_s=30)
    for response in (api.get(""), api.post("/calls", json=_call(), headers=POST_HEADERS)):
        assert response.status_code == 503
        assert response.headers["retry-after"] == "30"
        assert response.json()["errors"][0]["id"] == "scheduledServerMaintenance"
    with httpx.Client(base_url=server.base_url, timeout=10) as anonymous:
        assert anonymous.get("/prospects").status_code == 503
    server.faults(maintenance=False)
    assert api.get("").status_code == 200


@pytest.mark.slow
def test_faults_can_be_set_by_flags(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "3", "--maintenance", "--burst-429", "2")
    settings = server.admin("faults")
    assert settings["maintenance"] is True
    assert settings["burst_429"] == 2
    with server.client() as api:
        assert api.get("").status_code == 503


def test_the_admin_api_updates_partially_and_refuses_bad_values(server: SandboxServer) -> None:
    server.reset_faults()
    assert server.faults(error_rate=0.25)["error_rate"] == 0.25
    assert server.faults(hold_ms=5)["error_rate"] == 0.25
    with httpx.Client(base_url=f"{server.origin}/_admin", timeout=10) as admin:
        auth = {"Authorization": f"Bearer {server.admin_token}"}
        bad = admin.put(
            "/faults",
            json={"error_rate": 2, "error_statuses": [404], "colour": "red", "hold_ms": 1},
            headers=auth,
        )
        assert bad.status_code == 422
        assert set(bad.json()["errors"]) == {"error_rate", "error_statuses", "colour"}
        assert admin.put("/faults", content=b"[", headers=auth).status_code == 400
        assert admin.get("/faults", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert admin.get("/faults").status_code == 401
    assert server.admin("faults")["hold_ms"] == 5  # nothing of the bad update was applied
    reset = server.reset_faults()
    assert reset["error_rate"] == 0
    assert reset["hold_ms"] == 0


def test_without_an_admin_token_there_is_no_admin_api(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "3", admin_token="")
    with httpx.Client(base_url=server.origin, timeout=10) as client:
        for path in ("/_admin/faults", "/_admin/calls/count"):
            assert client.get(path, headers={"Authorization": "Bearer x"}).status_code == 404
