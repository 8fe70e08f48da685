"""The sandbox as a program: flags, the ready line, clean stop, data kept across restarts."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from dialer_app.sandbox.cli import build_parser, main
from tests.support.sandbox import JSONAPI, SandboxServer

MakeSandbox = Callable[..., SandboxServer]


def test_help_documents_every_flag() -> None:
    text = build_parser().format_help()
    for flag in (
        "--host",
        "--allow-remote",
        "--port",
        "--access-token",
        "--data",
        "--seed",
        "--prospects",
        "--latency-ms",
    ):
        assert flag in text


def test_a_non_loopback_host_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--host", "0.0.0.0"])
    assert exited.value.code == 2
    assert "--allow-remote" in capsys.readouterr().err


def test_the_ready_line_names_the_port_and_sigterm_stops_cleanly(
    make_sandbox: MakeSandbox,
) -> None:
    server = make_sandbox("--prospects", "5")
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", server.origin)
    with server.client() as api:
        assert api.get("").status_code == 200
    assert server.stop() == 0


def test_a_call_survives_a_restart_and_nothing_is_reseeded(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "30")
    body = {
        "data": {
            "type": "call",
            "attributes": {"note": "kept", "outcome": "Not Answered"},
            "relationships": {"prospect": {"data": {"type": "prospect", "id": 3}}},
        }
    }
    with server.client() as api:
        created = api.post("/calls", json=body, headers={"Content-Type": JSONAPI})
        assert created.status_code == 201
        call = created.json()["data"]
        prospects = api.get("/prospects", params={"page[size]": 1000}).json()["data"]
    call.pop("links")  # names the port, which changes
    server.restart()
    with server.client() as api:
        read_back = api.get(f"/calls/{call['id']}").json()["data"]
        read_back.pop("links")
        assert read_back == call
        again = api.get("/prospects", params={"page[size]": 1000}).json()["data"]
    assert [p["attributes"] for p in again] == [p["attributes"] for p in prospects]


def test_a_second_token_and_a_tokenless_start(make_sandbox: MakeSandbox, tmp_path: Path) -> None:
    server = make_sandbox("--prospects", "5", "--access-token", "second")
    with server.client() as api:
        assert api.get("", headers={"Authorization": "Bearer second"}).status_code == 200
    bare = SandboxServer(tmp_path / "bare", token="", extra_args=("--prospects", "5"))
    try:
        bare.start()
        with bare.client() as api:
            assert api.get("").status_code == 401
    finally:
        bare.stop()
    assert "no --access-token" in bare.read_log()


def test_latency_is_added(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "5", "--latency-ms", "150")
    with server.client() as api:
        response = api.get("")
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.15
