"""The sender meets an unexpected error: the window says so in plain words, the call still goes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.calls import new_call


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

    # What the window showed as the sender told it (the call then goes, and says so there).
    # Recorded from before the crash is armed: the sender may claim (and crash) at once,
    # before or after the call is logged.
    told: list[str] = []
    shown: list[str] = []

    def on_problem(text: str) -> None:
        told.append(text)
        shown.append(win.log_message.text())

    service.logbook.syncProblem.connect(on_problem)
    # The sender claims through a connection of its own, on its own thread.
    monkeypatch.setattr(type(outbox), "claim_batch", claim_batch)
    entry = service.logbook.log_call(new_call(), "Crash Test")
    qtbot.waitUntil(lambda: bool(told), timeout=10_000)
    assert entry is not None
    assert told[0].startswith("Sending stopped on an unexpected error (RuntimeError)")
    assert shown[0] == told[0]
    qtbot.waitUntil(lambda: outbox.get(entry.id).state == "sent", timeout=15_000)
    # The problem is over once the pass that sent the call ends, a moment after it is marked
    # sent; the window is told so.
    qtbot.waitUntil(lambda: told[-1] == "", timeout=5_000)
    assert service.logbook.crashes == 1
    assert service.logbook.problem == ""
