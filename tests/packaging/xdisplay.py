"""A real X server (Xvfb) for the xcb platform, and what an outsider sees on it: the windows
(`xwininfo`) and the screen (captured by a separate Qt process, as `import -window root` would).

The server listens on its abstract socket only, which every process of this network namespace
reaches — a chroot included — with `DISPLAY=:N` and no file to share.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

XVFB = shutil.which("Xvfb")
XWININFO = shutil.which("xwininfo")
SCREEN = (1280, 1024)


@dataclass(frozen=True)
class Window:
    id: str
    title: str
    wm_class: str
    width: int
    height: int
    x: int
    y: int
    viewable: bool


@contextmanager
def xvfb() -> Iterator[str]:
    """An Xvfb on a free display number; yields the DISPLAY value."""
    assert XVFB is not None
    read, write = os.pipe()
    server = subprocess.Popen(
        [
            XVFB,
            "-displayfd",
            str(write),
            "-screen",
            "0",
            f"{SCREEN[0]}x{SCREEN[1]}x24",
            "-nolisten",
            "tcp",
            "-nolisten",
            "unix",  # the abstract socket stays: no file under /tmp/.X11-unix to share
            "-ac",
        ],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()  # written once the server accepts clients
        assert number.isdigit(), "Xvfb did not start"
        yield f":{number}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def windows(display: str) -> list[Window]:
    """The top-level windows with a title, as `xwininfo` reports them."""
    assert XWININFO is not None
    env = {"DISPLAY": display, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    tree = subprocess.run(
        [XWININFO, "-root", "-tree"], capture_output=True, text=True, env=env, check=True
    ).stdout
    found = []
    for match in re.finditer(
        r'^\s+(0x[0-9a-f]+) "([^"]*)": \(([^)]*)\)\s+(\d+)x(\d+)\+(-?\d+)\+(-?\d+)', tree, re.M
    ):
        info = subprocess.run(
            [XWININFO, "-id", match.group(1)], capture_output=True, text=True, env=env, check=True
        ).stdout
        found.append(
            Window(
                id=match.group(1),
                title=match.group(2),
                wm_class=match.group(3),
                width=int(match.group(4)),
                height=int(match.group(5)),
                x=int(match.group(6)),
                y=int(match.group(7)),
                viewable="Map State: IsViewable" in info,
            )
        )
    return found


_CAPTURE = """
import json, sys
from PySide6.QtGui import QGuiApplication
app = QGuiApplication(["capture"])
image = app.primaryScreen().grabWindow(0).toImage()
image.save(sys.argv[1])
x, y, w, h = (int(v) for v in sys.argv[2:6])
colours = {image.pixel(i, j) for i in range(x, x + w, 3) for j in range(y, y + h, 3)}
print(json.dumps({"width": image.width(), "height": image.height(), "colours": len(colours)}))
"""


def capture(display: str, target: Path, window: Window) -> dict[str, int]:
    """The whole screen saved to `target` (PNG), by a separate process; returns its size and how
    many colours the window's area shows (a blank or unpainted window shows one or two)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            _CAPTURE,
            str(target),
            str(max(window.x, 0)),
            str(max(window.y, 0)),
            str(min(window.width, SCREEN[0] - max(window.x, 0))),
            str(min(window.height, SCREEN[1] - max(window.y, 0))),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])  # type: ignore[no-any-return]
