"""What the Baresip bridge sends for each kind of click-to-dial link (a scripted ctrl_tcp)."""

from __future__ import annotations

import asyncio
import json

import pytest

from dialer_app.core.softphone.baresip import Endpoint
from dialer_app.core.softphone.netstring import Decoder, encode
from dialer_app.services.softphone import BaresipBridge
from dialer_app.services.tasks import TaskRunner


@pytest.mark.parametrize(
    ("link", "sent"),
    [
        ("tel:+1 415-555-0123", "+14155550123"),
        ("callto:+14155550123", "+14155550123"),
        ("sip:+14155550123", "+14155550123"),
        ("sip:+14155550123@pbx.example", "sip:+14155550123@pbx.example"),
        ("(415) 555-0123", "+14155550123"),
    ],
)
def test_links_become_dial_commands(qtbot, aio, link, sent) -> None:
    received: list[dict[str, object]] = []
    connections: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)
        decoder = Decoder()
        while data := await reader.read(4096):
            for frame in decoder.feed(data):
                message = json.loads(frame)
                received.append(message)
                answer = {"response": True, "ok": True, "data": "", "token": message["token"]}
                writer.write(encode(json.dumps(answer).encode()))

    starting = aio.create_task(asyncio.start_server(serve, "127.0.0.1", 0))
    qtbot.waitUntil(starting.done, timeout=5000)
    server = starting.result()
    runner = TaskRunner()
    bridge = BaresipBridge(runner, Endpoint("127.0.0.1", server.sockets[0].getsockname()[1]))
    failures: list[str] = []
    bridge.dialFailed.connect(failures.append)
    try:
        bridge.start()
        qtbot.waitUntil(lambda: bridge.client.connected, timeout=5000)
        assert bridge.hand_off(link)
        qtbot.waitUntil(lambda: bool(received), timeout=5000)
        assert received[0]["command"] == "dial"
        assert received[0]["params"] == sent
        assert failures == []
    finally:
        stopping = aio.create_task(runner.close())
        qtbot.waitUntil(stopping.done, timeout=5000)
        for writer in connections:
            writer.close()
        server.close()
        closing = aio.create_task(server.wait_closed())
        qtbot.waitUntil(closing.done, timeout=5000)


def test_a_link_that_is_no_number_is_refused(qtbot, aio) -> None:
    bridge = BaresipBridge(TaskRunner(), Endpoint("127.0.0.1", 9))
    failures: list[str] = []
    bridge.dialFailed.connect(failures.append)
    bridge.dial("tel:alice")
    bridge.dial("not a number")
    assert len(failures) == 2
    assert not bridge.hand_off("tel:+14155550123")  # not linked: the OS gets the link
