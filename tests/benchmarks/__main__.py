"""Benchmarks, measured side by side against a baseline taken in the same run.

    python -m tests.benchmarks [--quick] [--json FILE]

Starts its own sandbox with 100,000 prospects, measures the app against the design's budgets and
prints a table; `--json FILE` also writes the figures as JSON numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import qasync
from PySide6.QtWidgets import QApplication

from tests.benchmarks import inapp, outbox_view, startup
from tests.support.sandbox import SandboxServer

ROOT = Path(__file__).resolve().parents[2]

BUDGETS: dict[str, tuple[str, float, str]] = {
    "startup_ratio": ("<=", 1.3, "cold start to first paint ÷ bare PySide6 window"),
    "lookup_p95_ms": ("<", 100, "keystroke → matches rendered, p95 (ms)"),
    "lookup_ratio": ("<=", 1.2, "keystroke → rendered ÷ raw HTTP, medians"),
    "max_loop_stall_ms": ("<", 16, "longest event-loop stall while draining + searching (ms)"),
    "max_loop_stall_busy_ms": ("<", 16, "the same, with another process keeping one core busy"),
    "enqueue_p99_ms": ("<", 10, "durable enqueue of a logged call, p99 (ms)"),
    "drain_ratio": (">=", 0.9, "outbox drain throughput ÷ bare httpx POST loop"),
    "rss_after_start_mb": ("<", 150, "resident memory after start (MB)"),
    "rss_after_1000_calls_mb": ("<", 150, "resident memory after 1,000 calls (MB)"),
    "sandbox_search_p95_ms": ("<", 20, "sandbox: name, email or phone search over HTTP, p95 (ms)"),
    "index_typeahead_p95_ms": ("<", 16, "type-ahead from the local index → painted, p95 (ms)"),
    "outbox_view_refresh_ms": (
        "<",
        16,
        "10,000-row outbox: a call sent → Outbox view painted, p95",
    ),
    "deb_size_mb": ("<", 80, "Linux package size (MB)"),
}
# Figures without a budget, printed under the table.
INFO: dict[str, str] = {
    "index_sync_s": "local index: first sync of every prospect (s)",
    "index_size_mb": "local index: file size (MB)",
    "index_prospects": "local index: prospects in it",
    "lookup_ratio_at_wan_latency": (
        f"lookup_ratio, the sandbox answering {inapp.WAN_LATENCY_MS} ms later (a real round trip)"
    ),
    "lookup_floor_ratio": (
        "lookup_ratio of a bare PySide6 lookup (line edit → httpx → JSON → names listed), no checks"
    ),
}


def _meets(key: str, value: float) -> bool:
    op, limit, _ = BUDGETS[key]
    return {"<=": value <= limit, "<": value < limit, ">=": value >= limit}[op]


def _deb_size_mb(dist: Path = ROOT / "dist") -> float | None:
    """The newest .deb in dist/, where packaging/linux/build_deb.py (and its test) put it."""
    debs = sorted(dist.glob("*.deb"), key=lambda deb: deb.stat().st_mtime)
    return debs[-1].stat().st_size / 1_000_000 if debs else None


def run(quick: bool, prospects: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    cold = startup.measure(runs=5 if quick else 9)
    figures["startup_ratio"] = cold.ratio
    figures["startup_app_s"] = cold.app_s
    figures["startup_bare_s"] = cold.bare_s
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        server = SandboxServer(Path(tmp) / "data", extra_args=("--prospects", str(prospects)))
        server.start(timeout=300)
        try:
            app = QApplication.instance() or QApplication(sys.argv)
            app.setQuitOnLastWindowClosed(False)
            result = qasync.run(
                inapp.measure(
                    server.base_url,
                    server.token,
                    queries=10 if quick else 30,
                    calls=1000,
                    set_latency=lambda ms: server.faults(latency_ms=ms),
                )
            )
        finally:
            server.stop()
    figures.update(inapp.summarise(result))
    view = qasync.run(outbox_view.measure(rows=10_000, samples=30 if quick else 100))
    figures["outbox_view_refresh_ms"] = inapp.percentile(view, 0.95)
    size = _deb_size_mb()
    if size is not None:
        figures["deb_size_mb"] = size
    figures["prospects"] = prospects
    return figures


def table(figures: dict[str, float]) -> str:
    lines = [f"{'figure':<26} {'value':>9}  {'budget':<9} {'':4} what", "-" * 100]
    for key, (op, limit, what) in BUDGETS.items():
        if key not in figures:
            continue
        value = figures[key]
        mark = "ok" if _meets(key, value) else "MISS"
        lines.append(f"{key:<26} {value:>9.2f}  {op + ' ' + str(limit):<9} {mark:<4} {what}")
    for key, what in INFO.items():
        if key in figures:
            lines.append(f"{key:<26} {figures[key]:>9.2f}  {'':<9} {'':4} {what}")
    lines.append(
        f"(startup: app {figures['startup_app_s'] * 1000:.0f} ms, bare window"
        f" {figures['startup_bare_s'] * 1000:.0f} ms; sandbox {int(figures['prospects']):,}"
        f" prospects; {platform.python_implementation()} {platform.python_version()},"
        f" {os.cpu_count()} cores)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs (same sandbox size)")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument("--prospects", type=int, default=100_000, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    figures = run(args.quick, args.prospects)
    print(table(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
