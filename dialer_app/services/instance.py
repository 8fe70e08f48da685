"""Single instance: the running window listens on a local socket; a second launch forwards to it.

The server accepts only the user's own connections (`UserAccessOption`), reads one capped line
per connection (dropping a connection that sends none in time), answers `ok` or
`error: <reason>`, and emits what was asked. `forward` is the launching side; it blocks briefly
and needs no QApplication.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from ..core.remote import MAX_MESSAGE, Request, RequestError, decode_message, encode_message

log = logging.getLogger(__name__)
FORWARD_TIMEOUT_MS = 3000


def forward(name: str, argv: Sequence[str], timeout_ms: int = FORWARD_TIMEOUT_MS) -> str | None:
    """Hand `argv` to the window listening on `name`: its answer, or None if none is running."""
    sock = QLocalSocket()
    sock.connectToServer(name)
    if not sock.waitForConnected(timeout_ms):
        return None
    sock.write(encode_message(argv))
    sock.waitForBytesWritten(timeout_ms)
    answer = b""
    while b"\n" not in answer and sock.waitForReadyRead(timeout_ms):
        answer += bytes(sock.readAll().data())
    sock.disconnectFromServer()
    return answer.decode(errors="replace").strip() or "error: the running window did not answer"


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
        """Start listening; a socket left by a crashed window is removed first."""
        if self._server.listen(self.name):
            return True
        if forward(self.name, [], timeout_ms=500) is not None:
            return False  # another window is alive and answering
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
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
