"""The real app as a child process (offscreen), read through its log lines on stderr."""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from PySide6.QtNetwork import QLocalServer

from dialer_app.core.remote import published_socket

LISTENING = "listening for links and events as "


def app_env(home: Path, server: Any, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DIALER_HOME": str(home),
        "DIALER_ACCESS_TOKEN": server.token,
        "DIALER_LOG_LEVEL": "INFO",
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def run_cli(
    *args: str, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`dialer-app ARGS` to completion (a second launch, or one that is refused)."""
    return subprocess.run(
        [sys.executable, "-m", "dialer_app", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class AppProcess:
    """A running window, started with `start()`, stopped by its PID with `stop()`."""

    def __init__(self, *args: str, env: dict[str, str]) -> None:
        self.args = args
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.lines: list[str] = []
        self._partial = b""
        self._selector: selectors.BaseSelector | None = None

    def start(self) -> AppProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dialer_app", *self.args],
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._selector = selectors.DefaultSelector()
        assert self.proc.stderr is not None
        self._selector.register(self.proc.stderr, selectors.EVENT_READ)
        return self

    def wait_for(self, text: str, timeout: float = 60, after: int = 0) -> str:
        """The first stderr line (from index `after`) containing `text`; fail after `timeout`."""
        assert self.proc is not None
        assert self._selector is not None
        assert self.proc.stderr is not None
        fd = self.proc.stderr.fileno()  # raw reads: a buffered readline would hide lines
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines[after:]:
                if text in line:
                    return line
            after = len(self.lines)
            left = deadline - time.monotonic()
            if left <= 0 or not self._selector.select(left):
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            self._partial += chunk
            *complete, self._partial = self._partial.split(b"\n")
            self.lines += [line.decode(errors="replace") for line in complete]
        raise AssertionError(
            f"the app never logged {text!r} (exit code {self.proc.poll()}); its log:\n"
            + "\n".join(self.lines[-40:])
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        # a window killed outright leaves its socket file behind (a closed one removes it)
        socket = published_socket(Path(self.env["DIALER_HOME"]) / "data")
        if socket and self.proc.returncode != 0:
            QLocalServer.removeServer(socket)
        if self._selector is not None:
            self._selector.close()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self.proc = None


def read_desk(home: Path) -> dict[str, Any]:
    """The desk the running window saved (every call, the card)."""
    (path,) = (home / "data").glob("outbox-*.draft.json")
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["version"] == 2
    return saved["desk"]


def read_draft(home: Path) -> dict[str, Any]:
    """The saved call in the wrap-up (its `phase`, `direction`, times, `prospect`), with the
    card's prospect id as `card_id`; `{}` and the card when there is no call."""
    desk = read_desk(home)
    call = next((c for c in desk["calls"] if c["id"] == desk["current"]), {})
    return {**call, "card_id": desk["card"]["id"] if desk["card"] else None}
