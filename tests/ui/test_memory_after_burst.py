"""A drained backlog gives the memory it took back to the system, once the burst is over."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import pytest

from dialer_app.core import memory
from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall


def _call() -> NewCall:
    return NewCall(
        attributes=CallAttributes(vendorCallId=str(uuid.uuid4())),
        relationships=CallRelationships.link(prospect=2),
    )


def test_a_drained_backlog_is_followed_by_one_trim(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sandbox("--prospects", "10")
    trims: list[int] = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1) is None)
    opened = make_window(server)
    for _ in range(6):  # calls logged while offline: a backlog
        opened.outbox.enqueue(_call())
    assert trims == []
    opened.services.logbook.wake()
    qtbot.waitUntil(lambda: opened.outbox.counts().sent == 6, timeout=15_000)
    qtbot.waitUntil(lambda: trims == [1], timeout=5_000)  # once the last change is announced
    with qtbot.waitSignal(opened.services.logbook.changed, timeout=5_000):
        opened.services.logbook.retry_now()  # a change with nothing sent since
    assert trims == [1]  # no second trim


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_asks_the_c_library() -> None:
    assert memory.trim() is True
