"""A drained backlog: said a few times a second, every call counted, not once a call; and the
memory it took goes back to the system once the burst is over."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest

from dialer_app.core import memory
from tests.support.calls import new_call


def test_a_drained_backlog_is_followed_by_one_trim(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sandbox("--prospects", "10")
    trims: list[int] = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1) is None)
    opened = make_window(server)
    for _ in range(6):  # calls logged while offline: a backlog
        opened.outbox.enqueue(new_call())
    assert trims == []
    opened.services.logbook.wake()
    qtbot.waitUntil(lambda: opened.outbox.counts().sent == 6, timeout=15_000)
    qtbot.waitUntil(lambda: trims == [1], timeout=5_000)  # once the last change is announced
    with qtbot.waitSignal(opened.services.logbook.changed, timeout=5_000):
        opened.services.logbook.retry_now()  # a change with nothing sent since
    assert trims == [1]  # no second trim


def test_a_backlog_told_in_two_batches_is_followed_by_one_trim(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender tells what it sent in batches: the first batch's change may already find
    nothing left to send (the rest is sent, not yet told). Still one trim, after the last."""
    server = make_sandbox("--prospects", "10")
    trims: list[int] = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1) is None)
    opened = make_window(server)
    entries = [opened.outbox.enqueue(new_call()) for _ in range(6)]
    for n, entry in enumerate(entries):  # all of them sent (as the sender's thread records it)
        opened.outbox.mark_sent(entry.id, 100 + n)
    logbook = opened.services.logbook
    announced: list[object] = []
    logbook.changed.connect(announced.append)
    for batch in (entries[:3], entries[3:]):  # told in two batches, each with its change
        for entry in batch:
            logbook._sender.sent.emit(entry, 100)
        logbook._sender.changed.emit()
    # Both changes announced (the second up to CHANGE_INTERVAL_MS later), and a trim made.
    qtbot.waitUntil(lambda: len(announced) >= 2 and bool(trims), timeout=5_000)
    assert trims == [1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc_trim")
def test_trim_asks_the_c_library() -> None:
    assert memory.trim() is True


def test_a_drained_backlog_is_said_in_a_few_lines_that_count_every_call(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sandbox("--prospects", "10")
    opened = make_window(server)
    win = opened.win
    said: list[str] = []
    real_say = win.say
    monkeypatch.setattr(win, "say", lambda text: (said.append(text), real_say(text)))
    backlog = 40
    for _ in range(backlog):
        opened.outbox.enqueue(new_call())
    opened.services.logbook.wake()
    qtbot.waitUntil(lambda: opened.outbox.counts().sent == backlog, timeout=30_000)

    def counted() -> int:
        total = 0
        for text in said:
            many = re.match(r"(\d+) calls logged in Outreach", text)
            total += int(many.group(1)) if many else int("logged in Outreach" in text)
        return total

    qtbot.waitUntil(lambda: counted() == backlog, timeout=5_000)
    assert len(said) < backlog / 2  # not once a call
    last = opened.outbox.get(max(e.id for e in opened.outbox.entries(limit=backlog)))
    assert f"call {last.outreach_id})" in said[-1]  # the last line names the last call sent


def test_the_collectors_full_pass_waits_for_the_rep_and_the_outbox_to_be_quiet(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt

    from dialer_app.app import collect_when_quiet

    server = make_sandbox("--prospects", "10")
    passes: list[int] = []
    monkeypatch.setattr(memory, "collect", lambda: passes.append(1) or 0)
    opened = make_window(server)
    quiet = collect_when_quiet(opened.win, opened.services, quiet_ms=300)
    assert not quiet.waiting  # nothing happened yet: no pass is due
    box = opened.win.search.box
    box.setFocus()
    with qtbot.waitSignal(opened.services.lookup.searchFinished, timeout=10_000):
        qtbot.keyClicks(box, "ab")
    assert quiet.waiting  # the rep is typing: it waits
    assert passes == []
    qtbot.waitUntil(lambda: passes == [1], timeout=5_000)
    assert not quiet.waiting  # one pass per quiet spell
    with qtbot.waitSignal(opened.services.logbook.changed, timeout=10_000):
        opened.services.logbook.log_call(new_call(), "Quiet Test")
    assert quiet.waiting  # the outbox changed: another pass once it is quiet again
    qtbot.keyClick(box, Qt.Key.Key_Backspace)
    assert passes == [1]
    qtbot.waitUntil(lambda: passes == [1, 1], timeout=5_000)
