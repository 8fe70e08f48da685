"""The benchmark runner produces every figure, as numbers, from one command."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {
    "startup_ratio",
    "lookup_p95_ms",
    "lookup_ratio",
    "lookup_ratio_at_wan_latency",
    "lookup_floor_ratio",
    "sandbox_search_p95_ms",
    "max_loop_stall_ms",
    "max_loop_stall_busy_ms",
    "outbox_view_refresh_ms",
    "enqueue_p99_ms",
    "drain_ratio",
    "rss_after_start_mb",
    "rss_after_1000_calls_mb",
    "index_typeahead_p95_ms",
    "index_sync_s",
    "index_size_mb",
    "index_prospects",
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


def test_the_package_size_is_read_from_the_newest_deb_in_dist(tmp_path: Path) -> None:
    from tests.benchmarks.__main__ import _deb_size_mb

    assert _deb_size_mb(tmp_path) is None
    old, new = tmp_path / "dialer-companion_0.0.9_amd64.deb", tmp_path / "b.deb"
    old.write_bytes(b"x" * 3_000_000)
    new.write_bytes(b"x" * 2_500_000)
    os.utime(old, (1_000, 1_000))
    assert _deb_size_mb(tmp_path) == 2.5
