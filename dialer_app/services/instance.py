"""Single instance: the running window listens on a local socket; a second launch forwards to it.

The server accepts only the user's own connections (`UserAccessOption`, in a folder only the
user can enter: `core.remote.socket_dir`), reads one capped line per connection (dropping a
connection that sends none in time), answers `ok` or `error: <reason>`, and emits what was
asked. `hand_over` is the launching side: it takes the data folder's lock and becomes the window,
or forwards to the window that holds it; it blocks briefly and needs no QApplication. A launch
that becomes the window only takes the lock: once the window is painted, `serve` names its
socket, listens and publishes it for the launches that come next (they wait until it does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.files import notices
from ..core.remote import (
    MAX_MESSAGE,
    InstanceLock,
    Request,
    RequestError,
    decode_message,
    encode_message,
    published_socket,
    socket_path,
    socket_problem,
    usual_socket_dir,
)

if TYPE_CHECKING:  # QtNetwork loads where a socket is used: the usual launch needs none
    from PySide6.QtNetwork import QLocalSocket

log = logging.getLogger(__name__)
FORWARD_TIMEOUT_MS = 3000
ANSWER_TIMEOUT_MS = 10_000  # a window still loading answers once its event loop runs
HAND_OVER_WAIT_S = 30.0  # how long a launch waits for a starting window to listen
RETRY_S = 0.05


def forward(
    name: str,
    argv: Sequence[str],
    timeout_ms: int = FORWARD_TIMEOUT_MS,
    answer_timeout_ms: int = ANSWER_TIMEOUT_MS,
) -> str | None:
    """Hand `argv` to the window listening on `name`: its answer, or None if none is running."""
    from PySide6.QtNetwork import QLocalSocket

    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return None
    sock.write(encode_message(argv))
    sock.waitForBytesWritten(timeout_ms)
    answer = b""
    while b"\n" not in answer and sock.waitForReadyRead(answer_timeout_ms):
        answer += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return answer.decode(errors="replace").strip() or "error: the running window did not answer"


class HandOver(NamedTuple):
    """What a launch found: `lock` (this launch becomes the window; `serve` it once painted),
    or the running window's `answer`, or a `refusal` saying why nothing was handed over."""

    lock: InstanceLock | None = None
    answer: str | None = None
    refusal: str | None = None


def hand_over(
    data_dir: Path,
    argv: Sequence[str],
    *,
    wait_s: float = HAND_OVER_WAIT_S,
    clock: Callable[[], float] = time.monotonic,
) -> HandOver:
    """Become the window for `data_dir`, or give `argv` to the window that already is.

    Launches at the same moment race for the lock: one wins; the others wait until it listens
    (at most `wait_s`), then forward. A socket or folder that is not the user's own is refused.
    """
    lock = InstanceLock(data_dir)
    deadline = clock() + wait_s
    while True:
        try:
            acquired = lock.acquire()
        except OSError as exc:  # no lock file can be made: a window, without the guard
            notices.add(
                f"This window cannot lock its data folder ({exc.strerror or exc}): "
                "a second window could open on it. Check the folder's permissions."
            )
            return HandOver(lock=lock)  # not held: the window listens, publishing nothing
        if acquired:
            return HandOver(lock=lock)
        target = published_socket(data_dir)
        if target:
            refusal = socket_problem(target)
            if refusal is not None:
                return HandOver(refusal=f"not handing over: {refusal}")
            answer = forward(target, argv)
            if answer is not None:
                return HandOver(answer=answer)
        if clock() > deadline:
            return HandOver(
                refusal=f"a window holds {lock.path} but does not answer; try again, or close it"
            )
        time.sleep(RETRY_S)  # the window holding the lock is still starting


def serve(lock: InstanceLock, parse: Callable[[list[str]], Request]) -> InstanceServer:
    """The window's end for the data folder `lock` guards: its socket named (`socket_path`),
    listening, and published in the lock file (when held) for the launches that come next.

    A usual socket folder that cannot be used (another user's…) is logged and told to the rep:
    the socket then lives in a private folder of this run, removed by `close()`. A socket that
    cannot listen is told too; the server is returned either way (`listening` says which).
    """
    data_dir = lock.path.parent
    name, problem = socket_path(data_dir)
    if problem is not None:
        log.warning("not using the usual socket folder: %s; listening in %s", problem, name)
        notices.add(
            f"The folder this app uses to receive links is not yours ({problem}). "
            "Links are received through a private folder instead; tell your administrator."
        )
    server = InstanceServer(name, parse)
    folder = Path(name).parent
    if not sys.platform.startswith("win") and folder != usual_socket_dir():
        server.own_folder = folder  # made for this run only (see `socket_path`)
    if server.listen():
        if lock.held:
            lock.publish(name)
        log.info("listening for links and events as %s", name)
    else:
        notices.add(
            "Links and softphone events cannot reach this window: it cannot listen on "
            f"{name}. Restart the app; if this stays, tell your helpdesk."
        )
    return server


class InstanceServer(QObject):
    """The running window's end of the local socket.

    Signals:
        requested(object): a checked `Request` from a second launch.
    """

    requested = Signal(object)

    def __init__(
        self, name: str, parse: Callable[[list[str]], Request], parent: QObject | None = None
    ) -> None:
        from PySide6.QtNetwork import QLocalServer

        super().__init__(parent)
        self.name = name
        self._parse = parse
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_server_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}
        self.own_folder: Path | None = None  # the socket's folder, removed on close()

    def listen(self) -> bool:
        """Start listening. The caller holds the data folder's lock, so whatever is left at
        the socket's path is a crashed window's and is removed first."""
        if self._server.listen(self.name):
            return True
        from PySide6.QtNetwork import QLocalServer

        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        log.warning("cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        """Stop listening and remove the socket file (and its folder, when it was a private
        folder made for this run only)."""
        self._server.close()
        if self.own_folder is not None:
            with contextlib.suppress(OSError):
                os.rmdir(self.own_folder)

    def _on_server_new_connection(self) -> None:
        while (sock := self._server.nextPendingConnection()) is not None:
            self._buffers[sock] = b""
            QTimer.singleShot(FORWARD_TIMEOUT_MS, sock, sock.abort)  # a launcher that stalls
            sock.readyRead.connect(lambda s=sock: self._on_socket_ready_read(s))
            sock.disconnected.connect(lambda s=sock: self._forget(s))
            if sock.bytesAvailable():
                self._on_socket_ready_read(sock)

    def _on_socket_ready_read(self, sock: QLocalSocket) -> None:
        data = self._buffers.get(sock, b"") + bytes(sock.readAll().data())
        if b"\n" not in data and len(data) <= MAX_MESSAGE:
            self._buffers[sock] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            request = self._parse(decode_message(line))
        except RequestError as exc:
            reply = f"error: {exc}"
            request = None
        else:
            reply = "ok"
        sock.write(reply.encode() + b"\n")
        sock.flush()
        sock.disconnectFromServer()
        self._buffers.pop(sock, None)
        if request is not None:
            self.requested.emit(request)

    def _forget(self, sock: QLocalSocket) -> None:
        self._buffers.pop(sock, None)
        sock.deleteLater()
