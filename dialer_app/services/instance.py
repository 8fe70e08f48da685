"""Single instance: the running window listens on a local socket; a second launch forwards to it.

The server accepts only the user's own connections (`UserAccessOption`, in a folder only the
user can enter: `core.remote.socket_dir`), reads one capped line per connection (dropping a
connection that sends none in time), answers `ok` or `error: <reason>`, and emits what was
asked. `hand_over` is the launching side: it takes the data folder's lock and becomes the window,
or forwards to the window that holds it; it blocks briefly and needs no QApplication.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

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
)

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


@dataclass
class HandOver:
    """What a launch found: `lock` held (this launch becomes the window, listening on `socket`),
    or the running window's `answer`, or a `refusal` saying why nothing was handed over."""

    lock: InstanceLock | None = None
    socket: str = ""
    problem: str | None = None  # the usual socket folder was unusable (another user's…)
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
            socket, problem = socket_path(data_dir)
            return HandOver(lock=lock, socket=socket, problem=problem)
        if acquired:
            socket, problem = socket_path(data_dir)  # a problem is the caller's to tell
            lock.publish(socket)
            return HandOver(lock=lock, socket=socket, problem=problem)
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


class InstanceServer(QObject):
    """The running window's end of the local socket.

    Signals:
        requested(object): a checked `Request` from a second launch.
    """

    requested = Signal(object)

    def __init__(
        self, name: str, parse: Callable[[list[str]], Request], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.name = name
        self._parse = parse
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_server_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening. The caller holds the data folder's lock, so whatever is left at
        the socket's path is a crashed window's and is removed first."""
        if self._server.listen(self.name):
            return True
        QLocalServer.removeServer(self.name)
        if self._server.listen(self.name):
            return True
        log.warning("cannot listen on %s: %s", self.name, self._server.errorString())
        return False

    @property
    def listening(self) -> bool:
        return self._server.isListening()

    def close(self) -> None:
        """Stop listening and remove the socket file."""
        self._server.close()

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
