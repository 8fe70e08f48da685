"""The demo sandbox goes when the app goes — even an app that was killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from dialer_app.core.demo import SandboxProcess
from tests.support.sandbox import poll_until

PARENT = """
import sys
from pathlib import Path
from dialer_app.core.demo import SandboxProcess

sandbox = SandboxProcess(data_dir=Path(sys.argv[1]), extra_args=("--prospects", "5"))
sandbox.start()
sandbox.read_ready()
print(sandbox.pid, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.slow
def test_a_killed_app_leaves_no_sandbox_behind(tmp_path: Path) -> None:
    sandbox_pid = 0
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path / "demo")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as parent:
        try:
            assert parent.stdout is not None
            sandbox_pid = int(parent.stdout.readline())
            assert _running(sandbox_pid)
            os.kill(parent.pid, signal.SIGKILL)  # no clean-up code of the app runs
            parent.wait(10)
            poll_until(lambda: not _running(sandbox_pid), 15, "the sandbox stops after its parent")
        finally:
            if parent.poll() is None:
                parent.kill()
            if sandbox_pid and _running(sandbox_pid):
                os.kill(sandbox_pid, signal.SIGKILL)  # the process this test caused to start


@pytest.mark.slow
def test_a_token_that_looks_like_an_option_still_starts_the_sandbox(tmp_path: Path) -> None:
    """Random tokens start with "-" one time in 64: the sandbox must take them as a value."""
    sandbox = SandboxProcess(
        data_dir=tmp_path / "demo", token="-starts-like-a-flag", extra_args=("--prospects", "5")
    )
    sandbox.start()
    try:
        base = sandbox.read_ready()
        answer = httpx.get(base, headers={"Authorization": "Bearer -starts-like-a-flag"})
        assert answer.status_code == 200
    finally:
        sandbox.stop()
