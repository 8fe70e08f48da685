"""The Baresip client over real TCP on 127.0.0.1 against a scripted ctrl_tcp stand-in: frames
split across writes, commands matched to answers by token, a malformed stream drops the
connection, and the client comes back by itself."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from dialer_app.core.softphone.baresip import BaresipClient, BaresipError, Endpoint
from dialer_app.core.softphone.events import CallEvent
from dialer_app.core.softphone.netstring import encode

PEER = "sip:+14155550123@127.0.0.1:5062"


def frame(obj: dict[str, object]) -> bytes:
    return encode(json.dumps(obj).encode())


def event(type_: str, **extra: object) -> bytes:
    base = {"event": True, "type": type_, "direction": "outgoing", "peeruri": PEER}
    return frame(base | extra)


async def read_frame(reader: asyncio.StreamReader) -> dict[str, object]:
    length = int((await reader.readuntil(b":"))[:-1])
    body = await reader.readexactly(length + 1)
    assert body.endswith(b",")
    return json.loads(body[:-1])


class FakeCtrl:
    """Accepts connections; the test writes to the newest one and reads what it got."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(
            lambda r, w: self.connections.put_nowait((r, w)), "127.0.0.1", 0
        )
        return int(self.server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()


async def _scenario() -> None:
    ctrl = FakeCtrl()
    port = await ctrl.start()
    got: asyncio.Queue[CallEvent] = asyncio.Queue()
    links: list[bool] = []
    client = BaresipClient(
        Endpoint("127.0.0.1", port),
        lambda e, _t: got.put_nowait(e),
        on_connection=links.append,
        retry_initial=0.01,
    )
    runner = asyncio.ensure_future(client.run())
    writers: list[asyncio.StreamWriter] = []
    try:
        reader, writer = await asyncio.wait_for(ctrl.connections.get(), 5)
        writers.append(writer)
        await asyncio.wait_for(client.wait_connected(), 5)
        sock = writer.get_extra_info("socket")
        assert sock is not None
        # the client's side of the connection has Nagle off
        assert client._writer is not None
        client_sock = client._writer.get_extra_info("socket")
        assert client_sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1

        # frames split mid-length and mid-payload, then two in one write
        stream = event("CALL_LOCAL_SDP", param="offer") + event("CALL_RINGING", id="c1")
        for part in (stream[:2], stream[2:40], stream[40:]):
            writer.write(part)
            await writer.drain()
        first = await asyncio.wait_for(got.get(), 5)
        second = await asyncio.wait_for(got.get(), 5)
        assert (first.kind, second.kind, second.call_id) == ("dialing", "ringing", "c1")

        # a command is answered by its token
        dialing = asyncio.ensure_future(client.dial(PEER))
        sent = await asyncio.wait_for(read_frame(reader), 5)
        assert sent == {"command": "dial", "params": PEER, "token": sent["token"]}
        writer.write(frame({"response": True, "ok": True, "data": "", "token": "other"}))
        writer.write(frame({"response": True, "ok": True, "data": "ok!", "token": sent["token"]}))
        await writer.drain()
        assert await asyncio.wait_for(dialing, 5) == "ok!"

        refused = asyncio.ensure_future(client.command("accept"))
        token = (await asyncio.wait_for(read_frame(reader), 5))["token"]
        writer.write(frame({"response": True, "ok": False, "data": "no call", "token": token}))
        await writer.drain()
        with pytest.raises(BaresipError, match="no call"):
            await asyncio.wait_for(refused, 5)

        # a malformed stream: the client drops the link, then connects again
        pending = asyncio.ensure_future(client.command("hangup"))
        await asyncio.wait_for(read_frame(reader), 5)
        writer.write(b"12x:{},")
        await writer.drain()
        with pytest.raises(BaresipError, match="dropped"):
            await asyncio.wait_for(pending, 5)
        _reader2, writer2 = await asyncio.wait_for(ctrl.connections.get(), 5)
        writers.append(writer2)
        await asyncio.wait_for(client.wait_connected(), 5)
        assert links[:3] == [True, False, True]
        writer2.write(event("CALL_CLOSED", id="c1", param="486 Busy Here"))
        await writer2.drain()
        ended = await asyncio.wait_for(got.get(), 5)
        assert (ended.kind, ended.reason) == ("ended", "486 Busy Here")
    finally:
        runner.cancel()
        with pytest.raises(asyncio.CancelledError):
            await runner
        for w in writers:
            w.close()
            await w.wait_closed()
        await ctrl.close()


def test_client_frames_commands_and_reconnects() -> None:
    asyncio.run(_scenario())


def test_commands_need_a_connection() -> None:
    client = BaresipClient(Endpoint("127.0.0.1", 9), lambda _e, _t: None)

    async def dial() -> None:
        await client.dial(PEER)

    with pytest.raises(BaresipError, match="Not connected"):
        asyncio.run(dial())
