"""The benchmark runner produces every figure, as numbers, from one command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {
    "startup_ratio",
    "lookup_p95_ms",
    "lookup_ratio",
    "sandbox_search_p95_ms",
    "max_loop_stall_ms",
    "enqueue_p99_ms",
    "drain_ratio",
    "rss_after_start_mb",
    "rss_after_1000_calls_mb",
}


@pytest.mark.slow
def test_the_runner_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--quick", "--prospects", "300", "--json", out],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert figures.keys() >= KEYS
    for key in KEYS:
        assert isinstance(figures[key], float | int), key
        assert math.isfinite(figures[key]), key
        assert figures[key] > 0, key
    assert "startup_ratio" in result.stdout
