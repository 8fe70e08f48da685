"""Demo mode: the local Outreach sandbox as a child process, started and stopped by the app.

The sandbox's token reaches it in its environment (`TOKEN_ENV`), never on its command line,
which every local user can read. Its folder, database and log are the user's own (0700/0600).
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from . import files

READY_PREFIX = "Sandbox listening on "
TOKEN_ENV = "DIALER_SANDBOX_ACCESS_TOKEN"
SQLITE_HEADER = b"SQLite format 3\x00"


class SandboxStartError(RuntimeError):
    """The sandbox did not come up; the message says what it printed."""


def sandbox_command(*args: str) -> list[str]:
    """How to start `dialer-app sandbox` from this same installation (frozen or not)."""
    if getattr(sys, "frozen", False):
        return [sys.executable, "sandbox", *args]
    return [sys.executable, "-m", "dialer_app.sandbox", *args]


@dataclass
class SandboxProcess:
    """A sandbox child process on 127.0.0.1; `base_url` is known once `read_ready` returned."""

    data_dir: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    extra_args: tuple[str, ...] = ()
    log_file: Path | None = None
    base_url: str = ""
    _proc: subprocess.Popen[str] | None = None
    _log: IO[str] | None = None

    def start(self) -> None:
        """Spawn the process; returns at once (call `read_ready` to wait for it)."""
        files.private_dir(self.data_dir)
        self._tidy_data()
        cmd = sandbox_command(
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data",
            str(self.data_dir),
            "--exit-with-parent",
            *self.extra_args,
        )
        self._log = self._open_log()
        extra: dict[str, Any] = {} if sys.platform == "win32" else {"umask": 0o077}
        self._proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,  # never written: it ends when this process ends, however
            stdout=subprocess.PIPE,
            stderr=self._log if self._log else subprocess.DEVNULL,
            text=True,
            env={**os.environ, TOKEN_ENV: self.token},
            **extra,
        )

    def _tidy_data(self) -> None:
        """Make what an older version left private; set aside a database that is not one (the
        sandbox then seeds a fresh one: demo data, nothing of the rep's)."""
        for path in self.data_dir.iterdir():
            if path.is_file():
                files.chmod_private(path)
            if path.suffix != ".sqlite3":
                continue
            try:
                head = files.read_head(path, len(SQLITE_HEADER))
                if head and not head.startswith(SQLITE_HEADER):
                    raise files.Unreadable("it is not a database")
            except files.Unreadable as exc:
                files.set_aside_and_tell(
                    path,
                    exc.reason,
                    what="The demo sandbox's database",
                    outcome="the demo starts again with fresh sample data",
                )

    def _open_log(self) -> IO[str] | None:
        """The sandbox's log, appended to, private; None (no log) if it cannot be opened."""
        if self.log_file is None:
            return None
        for _attempt in range(2):
            try:
                if self.log_file.exists() and not self.log_file.is_file():
                    raise IsADirectoryError(f"{self.log_file} is not a file")
                fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                files.chmod_private(self.log_file)
                return open(fd, "a", encoding="utf-8")
            except OSError:
                files.set_aside(self.log_file)
        return None

    def read_ready(self) -> str:
        """Block until the sandbox says where it listens; return the API base URL."""
        if self._proc is None or self._proc.stdout is None:
            raise SandboxStartError("The sandbox was not started.")
        line = self._proc.stdout.readline()
        if not line.startswith(READY_PREFIX):
            code = self._proc.poll()
            if not line:  # end of output: it is exiting, so its exit code says why
                try:
                    code = self._proc.wait(5)
                except subprocess.TimeoutExpired:
                    code = None
            raise SandboxStartError(
                f"The demo sandbox did not start (exit code {code});"
                f" see {self.log_file or 'its log'}."
            )
        self.base_url = line[len(READY_PREFIX) :].strip().rstrip("/") + "/api/v2"
        return self.base_url

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the child (by its own PID), kill it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if proc is not None:
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    pipe.close()
        if self._log is not None:
            self._log.close()
            self._log = None
