"""The sandbox as a program: flags, the ready line, clean stop, data kept across restarts."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.sandbox.cli import build_parser, main
from tests.support.sandbox import JSONAPI, SandboxServer, reap_stopped

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


def test_a_server_a_fixture_stops_has_ended_once_reaped(make_sandbox: MakeSandbox) -> None:
    """A fixture's teardown only asks its servers to stop; each is gone once reaped."""
    server = make_sandbox("--prospects", "5")
    pid = server.pid
    server.stop_later()
    assert server.pid is None
    reap_stopped()
    assert not Path(f"/proc/{pid}").exists()


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.slow
def test_latency_is_added(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "5", "--latency-ms", "150")
    with server.client() as api:
        response = api.get("")
    assert response.status_code == 200
    assert response.elapsed.total_seconds() >= 0.15


def _refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """`dialer-app sandbox ARGV` must exit 2 with one line on stderr (and nothing on stdout)."""
    with pytest.raises(SystemExit) as exited:
        main(list(argv))
    assert exited.value.code == 2, argv
    out = capsys.readouterr()
    assert out.out == ""
    assert out.err.startswith("dialer-app sandbox: ")
    assert out.err.count("\n") == 1, out.err
    return out.err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (("--port", "70000"), "--port: must be 0 to 65535, not 70000"),
        (("--port", "-1"), "--port: must be 0 to 65535"),
        (("--port", "http"), "--port: must be a whole number"),
        (("--prospects", "0"), "--prospects: must be 1 or more"),
        (("--latency-ms", "1e3"), "--latency-ms: must be a whole number"),
        (("--error-rate", "nan"), "--error-rate: must be from 0 to 1"),
        (("--error-rate", "lots"), "--error-rate: must be a number from 0 to 1"),
        (("--seed", "x"), "--seed: must be a whole number"),
        (("--error-statuses", "418"), "--error-statuses"),
        (("--no-such-flag",), "unrecognized arguments: --no-such-flag"),
        (("--port",), "--port: expected one argument"),
    ],
)
def test_bad_flags_are_refused_in_one_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], says: str
) -> None:
    assert says in _refused(capsys, *argv)


def test_a_data_folder_that_is_a_file_or_cannot_be_written_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("", encoding="utf-8")
    assert "is a file, not a folder" in _refused(capsys, "--data", str(a_file))
    # under a file nothing can be created (what root cannot write either)
    assert f"cannot write in {a_file / 'sub'}" in _refused(capsys, "--data", str(a_file / "sub"))
    if os.geteuid() != 0:  # pragma: no branch - root writes in read-only folders anyway
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        assert "cannot write in" in _refused(capsys, "--data", str(locked))


@settings(max_examples=200, deadline=None)
@given(
    flag=st.sampled_from(
        [a for a in build_parser()._actions if a.type is not None and a.option_strings]
    ),
    value=st.text(max_size=12) | st.integers().map(str) | st.floats().map(str),
)
def test_any_value_for_a_typed_flag_is_taken_or_refused_in_one_line(
    flag: argparse.Action, value: str
) -> None:
    """Every checked flag, with whatever text: the parser takes it, or refuses it in one line
    with exit 2 — never a traceback (the flags other modules add are covered as they come)."""
    option = flag.option_strings[-1]
    if option == "--data":
        value = f"/proc/no-such-{abs(hash(value))}"  # never create folders here
    err = io.StringIO()
    code: object = 0
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args([f"{option}={value}"])
        except SystemExit as exited:
            code = exited.code
    if code != 0:
        assert code == 2
        assert err.getvalue().count("\n") == 1, err.getvalue()
        assert err.getvalue().startswith("dialer-app sandbox: ")


@pytest.mark.slow
def test_the_token_can_come_in_the_environment_and_stays_off_the_command_line(
    tmp_path: Path,
) -> None:
    from dialer_app.core.demo import TOKEN_ENV, SandboxProcess

    token = "env-token-" + os.urandom(6).hex()
    sandbox = SandboxProcess(
        data_dir=tmp_path / "demo",
        token=token,
        extra_args=("--prospects", "5"),
        log_file=tmp_path / "logs" / "demo.log",
    )
    (tmp_path / "logs").mkdir()
    sandbox.start()
    try:
        base = sandbox.read_ready()
        assert sandbox.pid is not None
        cmdline = Path(f"/proc/{sandbox.pid}/cmdline").read_bytes()
        assert token.encode() not in cmdline
        # it came in the environment, which only this user can read
        assert f"{TOKEN_ENV}={token}".encode() in Path(f"/proc/{sandbox.pid}/environ").read_bytes()
        assert stat.S_IMODE(os.stat(f"/proc/{sandbox.pid}/environ").st_mode) == 0o400
        with httpx.Client() as api:
            assert api.get(base, headers={"Authorization": f"Bearer {token}"}).status_code == 200
            assert api.get(base, headers={"Authorization": "Bearer guess"}).status_code == 401
    finally:
        sandbox.stop()
    for path in [tmp_path / "demo", *(tmp_path / "demo").iterdir()]:
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path.name
    assert stat.S_IMODE((tmp_path / "logs" / "demo.log").stat().st_mode) == 0o600


@pytest.mark.slow
def test_a_demo_database_that_is_not_one_is_set_aside_and_the_demo_reseeded(
    tmp_path: Path,
) -> None:
    from dialer_app.core.demo import SandboxProcess
    from dialer_app.core.files import notices

    notices.take()
    demo = tmp_path / "demo"
    demo.mkdir()
    (demo / "sandbox.sqlite3").write_bytes(b"not a database" * 100)
    sandbox = SandboxProcess(data_dir=demo, extra_args=("--prospects", "5"))
    sandbox.start()
    try:
        base = sandbox.read_ready()
        with httpx.Client() as api:
            answer = api.get(
                f"{base}/prospects", headers={"Authorization": f"Bearer {sandbox.token}"}
            )
        assert len(answer.json()["data"]) == 5
    finally:
        sandbox.stop()
    (told,) = notices.take()
    assert "demo sandbox's database" in told
    (aside,) = demo.glob("sandbox.sqlite3.unreadable-*")
    assert aside.read_bytes() == b"not a database" * 100
