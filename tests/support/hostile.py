"""A hostile HTTP server for tests: a real server on 127.0.0.1 answering whatever a test asks.

    with HostileServer(lambda seen: Reply(429, [("Retry-After", "nan")])) as server:
        client = OutreachClient(server.url("/api/v2"), StaticToken("t"))

Written on raw sockets (asyncio streams in a thread of its own) so that it can misbehave in ways
a well-kept HTTP library would not let it: a body dripped a byte at a time, a gzip bomb, a
connection closed mid-body, headers no server should send. Every request it gets is recorded in
`requests` (method, target, headers, body), so a test can check what reached it — a second
server on another port plays "another origin" and records any `Authorization` header.

`answer` is a `Reply` or a function of the request (`Seen`) giving one; change it at any time.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType

MiB = 1 << 20


@dataclass(frozen=True)
class Reply:
    """What the server answers. `drip`: seconds between single body bytes; `chunked`: send the
    body with chunked transfer-encoding; `cut`: close the connection after this many body bytes
    (the headers promised more); `raw`: send exactly these bytes instead of a built answer."""

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    drip: float = 0.0
    chunked: bool = False
    cut: int | None = None
    raw: bytes | None = None


@dataclass(frozen=True)
class Seen:
    """One request as the server received it; header names lower-case."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    port: int

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Answer = Reply | Callable[[Seen], Reply]


class HostileServer:
    """One server on 127.0.0.1 (a free port), in a thread of its own; a context manager."""

    def __init__(self, answer: Answer | None = None) -> None:
        self.answer: Answer = answer or Reply()
        self.requests: list[Seen] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-server")
        self._server: asyncio.Server | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "") -> str:
        return self.origin + path

    def seen(self) -> list[Seen]:
        with self._lock:
            return list(self.requests)

    def __enter__(self) -> HostileServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._connection, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            while await self._one_exchange(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the server stops mid-answer (a drip): end quietly
            pass
        finally:
            self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one_exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0") or 0))
        seen = Seen(method, target, headers, body, self.port)
        with self._lock:
            self.requests.append(seen)
        reply = self.answer(seen) if callable(self.answer) else self.answer
        await self._send(writer, reply)
        return False  # one exchange per connection: every answer says Connection: close

    async def _send(self, writer: asyncio.StreamWriter, reply: Reply) -> None:
        if reply.raw is not None:
            writer.write(reply.raw)
            await writer.drain()
            return
        names = {name.lower() for name, _ in reply.headers}
        head = [f"HTTP/1.1 {reply.status} Whatever"]
        head += [f"{name}: {value}" for name, value in reply.headers]
        if reply.chunked:
            head.append("Transfer-Encoding: chunked")
        elif "content-length" not in names:
            head.append(f"Content-Length: {len(reply.body)}")
        head.append("Connection: close")
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        body = reply.body if reply.cut is None else reply.body[: reply.cut]
        if reply.drip > 0:
            for i in range(len(body)):
                if writer.is_closing():
                    return
                writer.write(_chunk(body[i : i + 1]) if reply.chunked else body[i : i + 1])
                await writer.drain()
                await asyncio.sleep(reply.drip)
        elif reply.chunked:
            for i in range(0, len(body), 16384):
                writer.write(_chunk(body[i : i + 16384]))
        else:
            writer.write(body)
        if reply.chunked and reply.cut is None:
            writer.write(b"0\r\n\r\n")
        await writer.drain()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def gzip_bomb(mib: int = 300) -> bytes:
    """A valid gzip body of `mib` MiB of zeros in about mib × 1 KiB, built without holding it."""
    zeros = bytes(MiB)
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    steady = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    end = deflate.flush(zlib.Z_FINISH)
    crc = 0
    for _ in range(mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (mib * MiB) & 0xFFFFFFFF)
    return header + first + steady * (mib - 1) + end + trailer


def nested(depth: int) -> bytes:
    """A JSON object whose `data` is nested `depth` arrays deep."""
    return b'{"data": ' + b"[" * depth + b"]" * depth + b"}"
