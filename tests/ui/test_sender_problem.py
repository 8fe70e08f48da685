"""The sender meets an unexpected error: the window says so in plain words, the call still goes."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall


def test_a_sender_that_crashes_is_restarted_and_the_rep_is_told(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sandbox("--prospects", "10")
    opened = make_window(server)
    win, service, outbox = opened.win, opened, opened.outbox
    real = type(outbox).claim_batch
    crashes = [1]

    def claim_batch(queue: Any, owner: str, limit: int) -> Any:
        if crashes and crashes.pop():
            raise RuntimeError("a bug while claiming")
        return real(queue, owner, limit)

    # The sender claims through a connection of its own, on its own thread.
    monkeypatch.setattr(type(outbox), "claim_batch", claim_batch)
    # What the window showed as the sender told it (the call then goes, and says so there).
    shown: list[str] = []
    service.logbook.syncProblem.connect(lambda _text: shown.append(win.log_message.text()))
    with qtbot.waitSignal(service.logbook.syncProblem, timeout=10_000) as told:
        entry = service.logbook.log_call(
            NewCall(
                attributes=CallAttributes(vendorCallId=str(uuid.uuid4())),
                relationships=CallRelationships.link(prospect=2),
            ),
            "Crash Test",
        )
    assert entry is not None
    assert told.args[0].startswith("Sending stopped on an unexpected error (RuntimeError)")
    assert shown[0] == told.args[0]
    qtbot.waitUntil(lambda: outbox.get(entry.id).state == "sent", timeout=15_000)
    assert service.logbook.crashes == 1
    assert service.logbook.problem == ""
