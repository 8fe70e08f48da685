"""A sandbox forked from the test process's forker behaves as one started as a new process:
the same ready line and answers, the same exit codes, the same refusal of a bad flag."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialer_app.sandbox.cli import TOKEN_ENV
from tests.support import forker
from tests.support.sandbox import SandboxServer, SandboxStartError

pytestmark = pytest.mark.skipif(not forker.available(), reason="sandboxes are not forked here")


@pytest.fixture(params=["forked", pytest.param("started", marks=pytest.mark.slow)])
def how(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each test runs on a forked sandbox and on one started as a new process (the whole
    suite's way before the forker; a second or so each)."""
    monkeypatch.setenv("SANDBOX_FORK", "1" if request.param == "forked" else "0")
    return str(request.param)


def test_it_answers_and_stops_cleanly_on_sigterm(how: str, tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "data", extra_args=("--prospects", "5")).start()
    try:
        assert isinstance(server._proc, forker.Forked) == (how == "forked")
        with server.client() as api:
            assert len(api.get("/prospects").json()["data"]) == 5
        pid = server.pid
    finally:
        code = server.stop()
    assert code == 0
    assert not Path(f"/proc/{pid}").exists()  # reaped, not left a zombie


def test_a_killed_one_says_the_signal(how: str, tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "data", extra_args=("--prospects", "5")).start()
    try:
        proc = server._proc
        assert proc is not None
        proc.kill()
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        code = server.stop()
    assert code == -signal.SIGKILL


def test_a_refused_flag_ends_it_with_argparses_reason(how: str, tmp_path: Path) -> None:
    server = SandboxServer(tmp_path / "data", extra_args=("--prospects", "-1"))
    with pytest.raises(SandboxStartError) as refused:
        server.start()
    assert "(exit code 2)" in str(refused.value)
    assert "--prospects" in str(refused.value)


def test_the_environment_is_the_test_processs_own(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox reads its token from the environment of the moment it is asked for."""
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment")
    server = SandboxServer(tmp_path / "data", token="", extra_args=("--prospects", "5")).start()
    try:
        with server.client() as api:
            denied = api.get("/prospects").status_code
            api.headers["Authorization"] = "Bearer from-the-environment"
            allowed = api.get("/prospects").status_code
    finally:
        server.stop()
    assert (denied, allowed) == (401, 200)


@pytest.fixture
def own_forker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The sandbox harness with forkers of the test's own (ended after it): the process's
    forker goes on reaping the sandboxes other tests forked, whatever this test does."""
    from tests.support import sandbox as harness

    monkeypatch.setattr(harness, "_forkers", {})
    try:
        yield harness
    finally:
        harness.close_forker()


def _killed(proc: Any) -> None:
    proc.kill()
    proc.wait()


def test_a_forker_that_ended_is_replaced_by_the_next_start(tmp_path: Path, own_forker: Any) -> None:
    first = SandboxServer(tmp_path / "one", extra_args=("--prospects", "5")).start()
    first.stop()
    gone = own_forker._forker()
    _killed(gone._process)
    second = SandboxServer(tmp_path / "two", extra_args=("--prospects", "5")).start()
    try:
        assert own_forker._forker() is not gone
        with second.client() as api:
            assert api.get("/prospects").status_code == 200
    finally:
        assert second.stop() == 0


def test_a_bad_request_is_answered_and_the_forker_goes_on(tmp_path: Path, own_forker: Any) -> None:
    own = own_forker._forker()
    with pytest.raises(OSError, match="could not reap 1"):
        own.reap(1)  # not its child
    server = SandboxServer(tmp_path / "data", extra_args=("--prospects", "5")).start()
    assert own_forker._forker() is own
    assert server.stop() == 0


def test_a_sandbox_whose_forker_ended_still_stops(tmp_path: Path, own_forker: Any) -> None:
    """Its exit status is unknown then (the system reaped it), never an error at teardown."""
    server = SandboxServer(tmp_path / "data", extra_args=("--prospects", "5")).start()
    try:
        pid = server.pid
        _killed(own_forker._forker()._process)
    finally:
        code = server.stop()
    assert code == forker.UNKNOWN_EXIT
    assert _ended(pid)


def _ended(pid: int | None) -> bool:
    """Gone, or a zombie left for the system to reap (whether it does is not ours to say)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"
