"""The real sandbox server as a child process on 127.0.0.1, for tests and benchmarks alike
(pytest is not loaded here: a benchmark measures the app's memory, not pytest's).

The fixtures (`tests/support/sandbox_fixtures.py`):
- `sandbox` (session): one shared server with the default 300 prospects (seed 1). Tests may add
  calls but must not rely on being alone in it.
- `make_sandbox` (function): `make_sandbox("--prospects", "50", data_dir=...)` starts a server of
  the test's own; each is stopped at teardown. `server.restart()` stops and starts it again on the
  same data directory.

A server a test stops itself (`server.stop()`) is gone when the call returns. A fixture's
teardown only asks its servers to stop (`stop_later()`) and goes on to the next test; they are
waited for (and killed if they linger) as others are stopped, and all of them when the session
ends (`reap_stopped()`).

On Linux a server is forked from this process's sandbox forker (`tests/support/forker.py`),
which has imported the sandbox once: a start takes a fifth of the time of a new Python process,
and behaves the same (`SANDBOX_FORK=0` starts each as a new process).

Each server exposes `base_url` (`http://127.0.0.1:PORT/api/v2`), `token`, `data_dir`, `pid`,
`log_path` and `client()` (an `httpx.Client` with the token and JSON:API headers; close it).

Test clients are made with `http_client(...)` (an `httpx.Client` with the TLS context every test
client shares: httpx reads the system's CA certificates again for each new client, tens of
milliseconds that the plain-HTTP sandbox never needs).

Every server is started with an admin token (`admin_token`; pass `admin_token=""` for none), so
tests can change faults at run time: `server.faults(error_rate=0.5)` (PUT /_admin/faults,
returns the settings), `server.reset_faults()`, `server.admin("calls/count")` (GET) or
`server.admin("tokens/expire", method="POST")`, and `server.calls_count()`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import selectors
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import httpx

from tests.support import forker

if TYPE_CHECKING:  # the benchmarks start sandboxes too, without loading pytest
    import pytest

READY_PREFIX = "Sandbox listening on "
CLIENT_ID = "dialer-demo-client"
CLIENT_SECRET = "dialer-demo-secret"
REDIRECT_URI = "http://127.0.0.1:8765/callback"
APP_SCOPES = (
    "calls.write calls.read prospects.read prospects.write phoneNumbers.read "
    "phoneNumbers.write callDispositions.read callPurposes.read sequenceStates.read "
    "sequences.read tasks.read tasks.write users.read"
)
JSONAPI = "application/vnd.api+json"
START_TIMEOUT = 60.0


@functools.cache
def _tls() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def http_client(**kwargs: Any) -> httpx.Client:
    """`httpx.Client(**kwargs)` with the TLS context every test client shares."""
    return httpx.Client(verify=_tls(), **kwargs)


def poll_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Ask `condition` (itself a request to the server) again until true; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")


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
        admin_token: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.token = f"test-{secrets.token_urlsafe(16)}" if token is None else token
        self.admin_token = (
            f"admin-{secrets.token_urlsafe(16)}" if admin_token is None else admin_token
        )
        self.extra_args = extra_args
        self.log_path = log_path or data_dir.with_name(f"{data_dir.name}.log")
        self.origin = ""
        self._proc: subprocess.Popen[str] | forker.Forked | None = None
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
            *((f"--access-token={self.token}",) if self.token else ()),
            *((f"--admin-token={self.admin_token}",) if self.admin_token else ()),
            *self.extra_args,
        ]

    def start(self, timeout: float = START_TIMEOUT) -> SandboxServer:
        """Spawn the server and wait (at most `timeout` s) for its ready line."""
        if self._proc is not None:
            raise RuntimeError("this sandbox is already running")
        self._log = open(self.log_path, "a", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self._proc = self._spawn(self._log)
        try:
            self.origin = self._read_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, log: IO[str]) -> subprocess.Popen[str] | forker.Forked:
        """The child: forked from this process's forker where there is one, else started."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if not forker.available():
            return subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=env,
            )
        parent = _forker()
        read, write = os.pipe()
        try:
            with open(os.devnull, "rb") as nothing:
                pid = parent.spawn(
                    self.command()[3:],
                    env,
                    stdin=nothing.fileno(),
                    stdout=write,
                    stderr=log.fileno(),
                )
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)
        return forker.Forked(parent, pid, open(read, encoding="utf-8"))

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
                if not line:  # EOF: the process is ending; its exit code says how
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        self._proc.wait(min(10.0, max(0.0, deadline - time.monotonic())))
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

    def stop_later(self) -> None:
        """Ask the child to stop (SIGTERM) without waiting for its graceful exit (a few tenths
        of a second): `reap_stopped()` waits for it, killing it if it lingers."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.terminate()
            _stopping.append(proc)
        if self._log is not None:
            self._log.close()  # the child writes through its own descriptor until it ends
            self._log = None
        reap_stopped(only_ended=True)

    def restart(self) -> SandboxServer:
        self.stop()
        return self.start()

    def client(self, **kwargs: object) -> httpx.Client:
        """An HTTP client for the API: base URL, bearer token, JSON:API content type."""
        headers = {"Accept": JSONAPI}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return http_client(base_url=self.base_url, headers=headers, timeout=10, **kwargs)

    def admin(self, path: str, method: str = "GET", json: object = None) -> Any:
        """Call `/_admin/<path>` with the admin token; the JSON answer (raises unless 2xx)."""
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        with http_client(base_url=f"{self.origin}/_admin/", timeout=10) as client:
            response = client.request(method, path.lstrip("/"), headers=headers, json=json)
        response.raise_for_status()
        return response.json()

    def oauth_code(self, scope: str = APP_SCOPES, redirect_uri: str = REDIRECT_URI) -> str:
        """Approve a sign-in on the consent form (as a browser would post it); the code."""
        form = {
            "client_id": CLIENT_ID,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "scope": scope,
            "state": "s",
            "decision": "approve",
        }
        with http_client(base_url=self.origin, timeout=10) as client:
            response = client.post("/oauth/authorize", data=form)
        assert response.status_code == 302, response.text
        return httpx.URL(response.headers["location"]).params["code"]

    def sign_in(self, scope: str = APP_SCOPES) -> dict[str, Any]:
        """A fresh OAuth token set (`access_token`, `refresh_token`, …) for the seeded rep."""
        form = {
            "grant_type": "authorization_code",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uri": REDIRECT_URI,
            "code": self.oauth_code(scope),
        }
        with http_client(base_url=self.origin, timeout=10) as client:
            response = client.post("/oauth/token", data=form)
        assert response.status_code == 200, response.text
        return dict(response.json())

    def faults(self, **settings: object) -> dict[str, Any]:
        """Change some fault settings at run time (the rest stay); all of them after."""
        return dict(self.admin("faults", method="PUT", json=settings))

    def reset_faults(self) -> dict[str, Any]:
        return dict(self.admin("reset-faults", method="POST"))

    def calls_count(self) -> int:
        return int(self.admin("calls/count")["count"])


_stopping: list[subprocess.Popen[str] | forker.Forked] = []  # asked to stop, not yet waited for
_forkers: dict[int, forker.Forker] = {}  # this process's forker (by pid: a fork gets its own)


def _forker() -> forker.Forker:
    """This process's forker: started at the first sandbox, and again if it has ended."""
    found = _forkers.get(os.getpid())
    if found is not None and not found.alive():
        found.close()
        found = None
    if found is None:
        found = _forkers[os.getpid()] = forker.Forker()
    return found


def close_forker() -> None:
    """End this process's sandbox forker, if it started one."""
    found = _forkers.pop(os.getpid(), None)
    if found is not None:
        found.close()


def reap_stopped(*, only_ended: bool = False, timeout: float = 10.0) -> None:
    """Wait for every server asked to stop (kill one that lingers); `only_ended`: collect just
    those that have ended already."""
    for proc in list(_stopping):
        if only_ended and proc.poll() is None:
            continue
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
        if proc.stdout is not None:
            proc.stdout.close()
        _stopping.remove(proc)


def serve_for(
    tmp_path_factory: pytest.TempPathFactory, name: str, *extra_args: str
) -> Iterator[SandboxServer]:
    """Body of a fixture: a sandbox with data under a fresh `name` directory, stopped after."""
    server = SandboxServer(tmp_path_factory.mktemp(name) / "data", extra_args=extra_args).start()
    try:
        yield server
    finally:
        server.stop_later()
