"""What the sender says reaches the window's thread gathered, never late: against the real
sandbox, over HTTP on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import StaticToken
from dialer_app.services.sender import Sender
from tests.support.calls import new_call

HOLD_MS = 300  # Outreach holds every answer this long (six times `TELL_EVERY_S`)


def test_a_call_sent_is_heard_while_the_next_one_is_still_on_its_way(
    qtbot: Any, aio: asyncio.AbstractEventLoop, make_sandbox: Any, tmp_path: Path
) -> None:
    """Three calls wait; Outreach is slow to answer each. The first goes alone (the request
    budget is not known before Outreach's first answer), the other two together. The window
    hears the first sent while the other two are still on their way — not once the sender has
    nothing left to do — and hears each once."""
    server = make_sandbox("--prospects", "10", "--rate-limit", "1000000")
    server.faults(hold_ms=HOLD_MS)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    calls = [outbox.enqueue(new_call(5), summary=name) for name in ("First", "Second", "Third")]
    last = calls[-1]
    heard: list[tuple[int, int, str | None]] = []  # (id, Outreach's id, the last one's state)
    changes: list[int] = []
    sender = Sender(outbox)
    sender.sent.connect(
        lambda entry, outreach_id: heard.append((entry.id, outreach_id, outbox.state_of(last.id)))
    )
    sender.changed.connect(lambda: changes.append(len(heard)))
    try:
        sender.start(server.base_url, StaticToken(server.token))
        qtbot.waitUntil(lambda: len(heard) == 3, timeout=20_000)
        assert heard[0][0] == calls[0].id
        assert heard[0][2] == "sending"  # the last was still on its way
        assert sorted(h[0] for h in heard[1:]) == [calls[1].id, last.id]
        assert heard[2][2] == "sent"
        assert {h[0]: h[1] for h in heard} == {e.id: outbox.get(e.id).outreach_id for e in calls}
        qtbot.waitUntil(lambda: bool(changes) and changes[-1] == 3, timeout=5_000)
        assert server.calls_count() == 3
    finally:
        closing = aio.create_task(sender.aclose())
        qtbot.waitUntil(closing.done, timeout=10_000)
        outbox.close()
