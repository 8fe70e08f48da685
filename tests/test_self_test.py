"""`dialer-app --self-test`: offscreen, on its own temporary data, one line either way."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["DIALER_HOME"] = str(tmp_path / "user-home")  # the user's own data: must stay untouched
    env["TMPDIR"] = str(tmp_path / "tmp")
    env["QT_QPA_PLATFORM"] = "xcb"  # no display here: only the forced offscreen platform works
    (tmp_path / "tmp").mkdir()
    return env


@pytest.mark.slow
def test_self_test_logs_a_call_on_its_own_data_and_exits_0(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dialer_app", "--self-test"],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("self-test passed")
    assert "sent" in lines[0]
    assert not (tmp_path / "user-home").exists()
    assert list((tmp_path / "tmp").iterdir()) == []  # its temporary home is gone


# A sandbox that dies at start: the self-test must say so in one line and exit non-zero.
DEAD_SANDBOX = """
import sys
from dialer_app.core import demo
demo.sandbox_command = lambda *args: [sys.executable, "-c", "raise SystemExit(3)"]
from dialer_app.cli import main
sys.exit(main(["--self-test"]))
"""


def test_self_test_names_the_failed_step_in_one_line_and_exits_1(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-c", DEAD_SANDBOX],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("self-test failed: starting the demo sandbox: ")
    assert "exit code 3" in lines[0]
    (kept,) = (tmp_path / "tmp").iterdir()  # kept for the sandbox's log, and named
    assert f"files kept in {kept}" in lines[0]
    assert (kept / "logs" / "demo-sandbox.log").exists()
    assert not (tmp_path / "user-home").exists()
