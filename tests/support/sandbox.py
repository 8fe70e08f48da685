"""Sandbox fixtures: the real sandbox server as a child process on 127.0.0.1.

- `sandbox` (session): one shared server with the default 300 prospects (seed 1). Tests may add
  calls but must not rely on being alone in it.
- `make_sandbox` (function): `make_sandbox("--prospects", "50", data_dir=...)` starts a server of
  the test's own; each is stopped at teardown. `server.restart()` stops and starts it again on the
  same data directory.

Each server exposes `base_url` (`http://127.0.0.1:PORT/api/v2`), `token`, `data_dir`, `pid`,
`log_path` and `client()` (an `httpx.Client` with the token and JSON:API headers; close it).
"""

from __future__ import annotations

import os
import secrets
import selectors
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

READY_PREFIX = "Sandbox listening on "
JSONAPI = "application/vnd.api+json"
START_TIMEOUT = 60.0


class SandboxStartError(RuntimeError):
    """The sandbox did not announce itself in time; the message carries its log."""


class SandboxServer:
    """One sandbox child process, started with `start()` and stopped by its PID with `stop()`.

    `token=None` makes up a token; `token=""` starts the server without one.
    """

    def __init__(
        self,
        data_dir: Path,
        token: str | None = None,
        extra_args: tuple[str, ...] = (),
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.token = f"test-{secrets.token_urlsafe(16)}" if token is None else token
        self.extra_args = extra_args
        self.log_path = log_path or data_dir.with_name(f"{data_dir.name}.log")
        self.origin = ""
        self._proc: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/v2"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "dialer_app.sandbox",
            "--port",
            "0",
            "--data",
            str(self.data_dir),
            *(("--access-token", self.token) if self.token else ()),
            *self.extra_args,
        ]

    def start(self, timeout: float = START_TIMEOUT) -> SandboxServer:
        """Spawn the server and wait (at most `timeout` s) for its ready line."""
        if self._proc is not None:
            raise RuntimeError("this sandbox is already running")
        self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            self.origin = self._read_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _read_ready(self, timeout: float) -> str:
        assert self._proc is not None
        assert self._proc.stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self._proc.stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0:
                if not selector.select(left):
                    break
                line = self._proc.stdout.readline()
                if line.startswith(READY_PREFIX):
                    return line[len(READY_PREFIX) :].strip()
                if not line:  # EOF: the process ended
                    break
        code = self._proc.poll()
        raise SandboxStartError(
            f"the sandbox did not start (exit code {code}); its log:\n{self.read_log()}"
        )

    def read_log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def stop(self, timeout: float = 10.0) -> int | None:
        """Terminate the child by its PID, kill it if it lingers; its exit code."""
        proc, self._proc = self._proc, None
        code = None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout)
            code = proc.returncode
            if proc.stdout is not None:
                proc.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def restart(self) -> SandboxServer:
        self.stop()
        return self.start()

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client for the API: base URL, bearer token, JSON:API content type."""
        headers = {"Accept": JSONAPI}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=10, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox shared by the whole session (seed 1, 300 prospects)."""
    server = SandboxServer(tmp_path_factory.mktemp("sandbox") / "data").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes of the test's own: `make_sandbox(*extra_args, data_dir=None, token=None)`."""
    servers: list[SandboxServer] = []

    def make(
        *extra_args: str, data_dir: Path | None = None, token: str | None = None
    ) -> SandboxServer:
        directory = data_dir or tmp_path_factory.mktemp("own-sandbox") / "data"
        server = SandboxServer(directory, token=token, extra_args=extra_args)
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop()
