"""The fault matrix, run quickly: every scenario delivers every call exactly once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.reliability.run_fault_matrix import SCENARIOS


@pytest.mark.slow
def test_every_fault_scenario_delivers_every_call_once() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.reliability.run_fault_matrix", "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = result.stdout.strip().splitlines()
    scenarios = [line for line in lines if line.startswith("scenario=")]
    names = [line.split()[0].removeprefix("scenario=") for line in scenarios]
    assert names == list(SCENARIOS), result.stdout + result.stderr
    assert len(names) >= 14
    for line in scenarios:
        assert " duplicates=0 lost=0" in line, line
    assert lines[-1].endswith(" 0 failed"), result.stdout + result.stderr
    assert result.returncode == 0
