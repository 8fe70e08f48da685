"""Each write route needs its scope; the scopes the app asks for cover every write it makes,
and the README lists exactly those."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialer_app.core.auth.tokens import APP_SCOPES as REQUESTED
from tests.support.sandbox import APP_SCOPES, SandboxServer, http_client, serve_for
from tests.support.writes import HEADERS, document, link

ROOT = Path(__file__).resolve().parents[2]
READS = " ".join(s for s in APP_SCOPES.split() if s.endswith(".read"))

_NUMBERS = (f"+1212555{n:04d}" for n in itertools.count(150))
# (method, path, body (or what makes one), scope it needs) for each write the app makes
WRITES: list[tuple[str, str, Any, str]] = [
    (
        "POST",
        "/tasks",
        document("task", {"action": "call"}, {"subject": link("prospect", 3)}),
        "tasks.write",
    ),
    ("POST", "/tasks/{task}/actions/snooze", None, "tasks.write"),
    (
        "POST",
        "/tasks/{task}/actions/reschedule?actionParams[dueAt]=2026-12-01T09:00:00Z",
        None,
        "tasks.write",
    ),
    ("POST", "/tasks/{task}/actions/markComplete", None, "tasks.write"),
    ("POST", "/prospects", document("prospect", {"lastName": "Scoped"}), "prospects.write"),
    (
        "PATCH",
        "/prospects/3",
        document("prospect", {"callOptedOut": False}, rid=3),
        "prospects.write",
    ),
    (
        "POST",
        "/phoneNumbers",
        lambda: document(
            "phoneNumber", {"number": next(_NUMBERS)}, {"prospect": link("prospect", 3)}
        ),
        "phoneNumbers.write",
    ),
    (
        "PATCH",
        "/phoneNumbers/1",
        document("phoneNumber", {"status": None}, rid=1),
        "phoneNumbers.write",
    ),
    ("DELETE", "/tasks/{task}", None, "tasks.delete"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "write-scopes", "--mint-interval", "0")


def _task(server: SandboxServer) -> int:
    with server.client() as api:
        body = document("task", {"action": "call"}, {"subject": link("prospect", 4)})
        return int(api.post("/tasks", json=body, headers=HEADERS).json()["data"]["id"])


def _send(server: SandboxServer, token: str, method: str, path: str, body: Any) -> httpx.Response:
    with http_client(base_url=server.base_url, timeout=10) as client:
        return client.request(
            method,
            path.format(task=_task(server)),
            json=body() if callable(body) else body,
            headers={**HEADERS, "Authorization": f"Bearer {token}"},
        )


@pytest.mark.parametrize(
    ("method", "path", "body", "scope"), WRITES, ids=[f"{w[0]} {w[1]}" for w in WRITES]
)
def test_a_write_needs_its_scope(
    server: SandboxServer, method: str, path: str, body: Any, scope: str
) -> None:
    reader = server.sign_in(READS)["access_token"]
    refused = _send(server, reader, method, path, body)
    assert refused.status_code == 403, refused.text
    (error,) = refused.json()["errors"]
    assert error["id"] == "unauthorizedOauthScope"
    assert scope in error["detail"]
    resource = scope.split(".")[0]
    for granted in (f"{READS} {scope}", f"{READS} {resource}.all"):
        answer = _send(server, server.sign_in(granted)["access_token"], method, path, body)
        assert answer.status_code in (200, 201, 204), answer.text


def test_the_app_asks_for_every_write_scope_it_uses() -> None:
    needed = {scope for *_, scope in WRITES if not scope.endswith(".delete")}
    assert needed <= set(REQUESTED.split())
    assert REQUESTED == APP_SCOPES


def test_the_readme_lists_the_scopes_the_app_asks_for() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Sign in to a real Outreach org", 1)[1]
    listed = re.search(r"the scopes\s+`([^`]+)`", section)
    assert listed is not None
    assert listed.group(1).split() == REQUESTED.split()
