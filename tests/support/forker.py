"""Sandboxes forked from a process that has imported the sandbox once.

A sandbox started as a new Python process spends most of its start importing (pydantic's
models, starlette, uvicorn): about a second of CPU, and the fast loop starts some eighty. On
Linux each test process keeps one forker instead: `python forker.py FD`, started at the first
sandbox, imports the sandbox and then forks a child per sandbox asked for. The child runs the
sandbox's own `main(argv)` with the environment and the standard input, output and error the
test process hands over (file descriptors sent over a Unix socket), exactly as the command
line would.

The test process holds each child as a `Forked`, which behaves as the `subprocess.Popen` it
replaces for `SandboxServer`: `pid`, `stdout`, `poll()`, `wait(timeout)`, `terminate()`,
`kill()`, `returncode`. It watches the child through a pidfd (readable once the child has
ended) and signals it through the same descriptor, so a pid used again can never be signalled
by mistake; the forker reaps the child and says its exit status when asked.

Where `os.pidfd_open` is missing (not Linux), `available()` is False and sandboxes are plain
child processes, as they are with `SANDBOX_FORK=0`.

This file runs as a script in the forker: it imports nothing of the tests.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping, Sequence
from typing import IO, Any, NoReturn

MESSAGE_MAX = 1 << 20  # one request or answer: argv and environment, as JSON
UNKNOWN_EXIT = 255  # a forked sandbox's exit status when its forker has ended before saying it


def available() -> bool:
    return os.environ.get("SANDBOX_FORK", "1") != "0" and _pidfds_work()


@functools.cache
def _pidfds_work() -> bool:
    """Whether this kernel gives pidfds (Linux 5.3 on; a sandboxing runtime may refuse them)."""
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


def _forker_environment() -> dict[str, str]:
    """What the forker starts with: this environment without its secrets (a forked sandbox's
    `/proc/<pid>/environ` shows the forker's, whatever the sandbox was given)."""
    return {
        name: value
        for name, value in os.environ.items()
        if not any(word in name.upper() for word in ("TOKEN", "SECRET", "PASSWORD"))
    } | {"PYTHONUNBUFFERED": "1"}


# -- the test process's side -----------------------------------------------------------------


class Forker:
    """The forker of this test process: started at the first `spawn`, ended by `close`."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        with theirs:
            self._process = subprocess.Popen(
                [sys.executable, __file__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=_forker_environment(),
            )
        self._socket = ours
        self._lock = threading.Lock()
        self._broken = False

    def spawn(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        *,
        stdin: int,
        stdout: int,
        stderr: int,
    ) -> int:
        """A new sandbox running `main(argv)`, its standard streams these descriptors; its pid."""
        request = {"start": list(argv), "env": dict(env), "cwd": os.getcwd()}
        answer = self._ask(request, [stdin, stdout, stderr])
        if "pid" not in answer:
            raise OSError(f"the sandbox forker could not start a sandbox: {answer.get('error')}")
        return int(answer["pid"])

    def reap(self, pid: int) -> int:
        """The exit status of an ended child (negative: the signal that ended it)."""
        answer = self._ask({"reap": pid})
        if "code" not in answer:
            raise OSError(f"the sandbox forker could not reap {pid}: {answer.get('error')}")
        return int(answer["code"])

    def alive(self) -> bool:
        return not self._broken and self._process.poll() is None

    def close(self) -> None:
        """End the forker (the sandboxes it started run on until they are stopped)."""
        self._socket.close()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def _ask(self, request: dict[str, Any], fds: Sequence[int] = ()) -> dict[str, Any]:
        """One request, one answer. Anything in between (the forker gone, a test's timeout
        raised here) leaves the two out of step: this forker is then broken, and the next
        sandbox gets a new one."""
        with self._lock:
            if self._broken:
                raise OSError("the sandbox forker is broken; the next sandbox gets another")
            try:
                socket.send_fds(self._socket, [json.dumps(request).encode()], list(fds))
                answer = self._socket.recv(MESSAGE_MAX)
            except BaseException:
                self._broken = True
                raise
            if not answer:
                self._broken = True
                raise OSError(f"the sandbox forker ended (exit code {self._process.poll()})")
        result: dict[str, Any] = json.loads(answer)
        return result


class Forked:
    """A forked sandbox, held as a `subprocess.Popen` would hold a child."""

    def __init__(self, forker: Forker, pid: int, stdout: IO[str]) -> None:
        self.pid = pid
        self.stdout: IO[str] | None = stdout
        self.returncode: int | None = None
        self._forker = forker
        self._pidfd = os.pidfd_open(pid)
        self._reaping = threading.Lock()  # as Popen's: one thread reaps

    def poll(self) -> int | None:
        if self.returncode is None and _ended(self._pidfd, 0):
            self._reap()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not _ended(self._pidfd, timeout):
                raise subprocess.TimeoutExpired(f"sandbox {self.pid}", timeout or 0)
            self._reap()
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):  # ended, not yet reaped
                signal.pidfd_send_signal(self._pidfd, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _reap(self) -> None:
        """The ended child's exit status, from the forker; `UNKNOWN_EXIT` when the forker
        cannot say (it has ended: the child was reaped by the system instead)."""
        with self._reaping:
            if self.returncode is not None:
                return
            try:
                self.returncode = self._forker.reap(self.pid)
            except OSError as exc:  # said, not raised: a test's teardown goes on
                print(f"sandbox {self.pid}: exit status unknown ({exc})", file=sys.stderr)
                self.returncode = UNKNOWN_EXIT
            os.close(self._pidfd)


def _ended(pidfd: int, timeout: float | None) -> bool:
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


# -- the forker's side -----------------------------------------------------------------------


def _serve(channel: socket.socket) -> None:
    from dialer_app.sandbox import app, bootstrap, cli, server  # noqa: F401 - imported once here

    _import_what_uvicorn_loads_at_start()
    while True:
        try:
            message, fds, _flags, _address = socket.recv_fds(channel, MESSAGE_MAX, 3)
        except OSError:
            return
        if not message:
            return  # the test process is gone
        try:
            request = json.loads(message)
            if "start" in request:
                answer = _start(channel, cli.main, request, fds)
            else:
                _pid, status = os.waitpid(int(request["reap"]), 0)
                answer = {"code": os.waitstatus_to_exitcode(status)}
        except Exception as exc:  # a bad request, a child reaped already: said, not fatal
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        channel.send(json.dumps(answer).encode())


def _end(code: object) -> NoReturn:
    """End the forked child — never return into the forker's loop, whatever `code` is."""
    try:
        if isinstance(code, int) and code < 0:  # ended by a signal, as a new process would be
            signal.signal(-code, signal.SIG_DFL)
            os.kill(os.getpid(), -code)
    finally:
        os._exit(code if isinstance(code, int) and 0 <= code < 256 else 1)


def _exit_code(value: object) -> int:
    """What `sys.exit(value)` ends a new process with (a text is said on stderr first)."""
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    print(value, file=sys.stderr)
    return 1


def _import_what_uvicorn_loads_at_start() -> None:
    import uvicorn.lifespan.on
    import uvicorn.loops.asyncio
    import uvicorn.loops.auto
    import uvicorn.protocols.http.h11_impl  # noqa: F401


def _start(
    channel: socket.socket, main: Any, request: dict[str, Any], fds: list[int]
) -> dict[str, Any]:
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        pid = os.fork()
    except OSError as exc:
        for fd in fds:
            os.close(fd)
        return {"error": str(exc)}
    if pid == 0:  # the sandbox
        code = 1
        try:
            channel.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            for fd in fds:
                if fd > 2:
                    os.close(fd)
            os.environ.clear()
            os.environ.update(request["env"])
            time.tzset()  # as a new process reads TZ
            os.chdir(request["cwd"])
            signal.signal(signal.SIGINT, signal.default_int_handler)  # as a new process has it
            code = main(request["start"])
        except SystemExit as exc:  # a refused flag: argparse said why on stderr
            code = _exit_code(exc.code)
        except KeyboardInterrupt:
            code = -signal.SIGINT
        except BaseException:
            traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            _end(code)
    for fd in fds:
        os.close(fd)
    return {"pid": pid}


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C in the terminal is for pytest
    if sys.path and sys.path[0] == os.path.dirname(os.path.abspath(__file__)):
        del sys.path[0]  # the tests' support modules are not the sandbox's to import
    _serve(socket.socket(fileno=int(sys.argv[1])))
