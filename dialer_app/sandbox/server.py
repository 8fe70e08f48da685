"""Serving the app with uvicorn on a socket bound here, announcing the port once it answers.

uvicorn speaks HTTP/1.1 through h11 with `AbortableH11Protocol`, so injected faults can drop a
connection (`dialer_app.sandbox.connection`).
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import threading
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from .connection import AbortableH11Protocol

READY_PREFIX = "Sandbox listening on "


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (port 0: the OS picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # TCP_NODELAY follows
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
        sock.set_inheritable(False)
    except OSError:
        sock.close()
        raise
    return sock


def origin(sock: socket.socket) -> str:
    """`http://127.0.0.1:PORT` for a bound socket."""
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def announce(sock: socket.socket) -> None:
    """The one stdout line a parent process waits for."""
    sys.stdout.write(f"{READY_PREFIX}{origin(sock)}\n")
    sys.stdout.flush()


class _Server(uvicorn.Server):
    """uvicorn, calling `on_ready` once it accepts requests."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self._on_ready = on_ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and not self.should_exit:
            self._on_ready()


def _exit_quietly(_sig: int, _frame: FrameType | None) -> None:
    """After uvicorn's graceful stop it re-raises the signal: end normally instead of dying."""


def _stop_at_stdin_eof(server: uvicorn.Server) -> None:
    """Stop when standard input ends: the parent that holds the pipe's other end is gone."""

    def watch() -> None:
        while sys.stdin.buffer.read(4096):
            pass  # the parent never writes; anything sent is ignored
        server.should_exit = True  # uvicorn checks this every tick and stops gracefully

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def serve(app: ASGIApp, sock: socket.socket, *, exit_with_parent: bool = False) -> int:
    """Run until SIGTERM or SIGINT (or, with `exit_with_parent`, until stdin ends); 0 after a
    clean stop, 1 if the server failed to start."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="on",
        http=AbortableH11Protocol,
        timeout_graceful_shutdown=3,
    )
    server = _Server(config, lambda: announce(sock))
    if exit_with_parent:
        _stop_at_stdin_eof(server)
    previous = {sig: signal.signal(sig, _exit_quietly) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(server.serve(sockets=[sock]))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
    return 0 if server.started else 1
