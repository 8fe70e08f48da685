"""Cold start to first paint: the app in demo mode against a bare PySide6 window, alternated."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

BARE_WINDOW = """
import sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class Probe(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not getattr(self, "done", False):
            self.done = True
            print(f"first-paint {time.monotonic():.6f}", flush=True)
            QTimer.singleShot(0, app.quit)
        return False

app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(460, 860)
probe = Probe()
window.installEventFilter(probe)
window.show()
app.exec()
"""


@dataclass(frozen=True)
class Startup:
    app_s: float
    bare_s: float

    @property
    def ratio(self) -> float:
        return self.app_s / self.bare_s


def _first_paint(cmd: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("first-paint "):
            return float(line.split()[1]) - started
    raise RuntimeError(f"no first paint from {cmd[:3]}: {proc.stderr[-500:]}")


def measure(runs: int) -> Startup:
    """Median first-paint time of each, over `runs` alternated cold starts.

    Both start as installed programs do, their Python already compiled to bytecode (a wheel's
    install compiles it, the frozen build ships it, and Python keeps what it compiles). Each
    side's first start, not measured, compiles it into a cache of this run's own (and the
    app's seeds its demo sandbox). Without that, a machine that sets PYTHONDONTWRITEBYTECODE
    (as the development machine does) compiles the app's modules again at every start —
    ~30 ms of its 150 — and the figure depends on who measures.
    """
    with tempfile.TemporaryDirectory(prefix="bench-start-") as home:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
            "DIALER_HOME": home,
            "DIALER_STARTUP_PROBE": "1",
            "PYTHONPYCACHEPREFIX": os.path.join(home, "bytecode"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        app_cmd = [sys.executable, "-m", "dialer_app"]
        bare_cmd = [sys.executable, "-c", BARE_WINDOW]
        _first_paint(app_cmd, env)  # not a cold start: compiles, seeds the demo sandbox
        _first_paint(bare_cmd, env)  # the same for the bare window: compiles
        app, bare = [], []
        for _ in range(runs):
            bare.append(_first_paint(bare_cmd, env))
            app.append(_first_paint(app_cmd, env))
    return Startup(statistics.median(app), statistics.median(bare))
