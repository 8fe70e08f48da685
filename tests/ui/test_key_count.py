"""How many keys a rep needs per call, worked from the call-task queue: a scripted rep whose
every key press goes to what has the keyboard focus, and is counted.

The budgets (README, "Using it"): a no-answer call in 4 keys — dial, hang up, disposition,
log & next — as is a voicemail; an answered call with a note in 6 keys and the note's own
characters; a no-answer call in 3 when the softphone reports the hang-up. The first F8 of the
session opens the queue; after that, Log & next opens each task.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from dialer_app.core.softphone.events import make_event
from tests.support.qt import phase

pytestmark = pytest.mark.slow  # a sandbox of its own and three calls through the window

README = Path(__file__).resolve().parents[2] / "README.md"
NOTE = "Wants a demo Tuesday."
Mod = Qt.KeyboardModifier


class Rep:
    """Presses keys on whatever has the keyboard focus, counting each press."""

    def __init__(self, qtbot: Any) -> None:
        self.qtbot = qtbot
        self.presses = 0

    def press(self, key: Qt.Key, modifier: Mod = Mod.NoModifier) -> None:
        self.presses += 1
        target = QApplication.focusWidget() or QApplication.activeWindow()
        self.qtbot.keyClick(target, key, modifier)

    def type(self, text: str) -> None:
        for ch in text:
            self.presses += 1
            self.qtbot.keyClicks(QApplication.focusWidget(), ch)


def _digit(win: Any, name: str) -> Qt.Key:
    """The key that picks the disposition called `name` (they are numbered 1…9)."""
    combo = win.wrapup.disposition
    row = next(r for r in range(combo.count()) if combo.itemText(r).endswith(name))
    assert 1 <= row <= 9
    return Qt.Key(Qt.Key.Key_0.value + row)


def _readme_budget(kind: str) -> str:
    """The figure README's "Using it" gives for this kind of call."""
    found = re.search(rf"^\| {re.escape(kind)} \| ([^|]+) \|", README.read_text("utf-8"), re.M)
    assert found, f"README's key-count table has no row for {kind!r}"
    return found.group(1).strip()


def test_keys_per_call_from_the_queue(qtbot: Any, make_sandbox: Any, make_window: Any) -> None:
    server = make_sandbox()
    opened = make_window(server)
    win, queue, clock = opened.win, opened.queue, opened.clock
    qtbot.waitUntil(lambda: queue.loaded and not queue.reading, timeout=15_000)
    qtbot.waitUntil(lambda: win.wrapup.disposition.count() > 1)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    rep = Rep(qtbot)

    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        rep.press(Qt.Key.Key_F8)  # once a session: the queue opens
    assert rep.presses == 1
    counts: dict[str, int] = {}
    logged: dict[str, Any] = {}

    def one_call(
        kind: str, answered: bool, disposition: str, note: str = "", softphone: bool = False
    ) -> None:
        task = queue.work.current
        assert task is not None
        qtbot.waitUntil(lambda: win.card.detail is not None and win.card.detail.task is not None)
        assert win.card.detail.task.id == task
        rep.presses = 0
        rep.press(Qt.Key.Key_1, Mod.AltModifier)  # dial the first number
        assert phase(win) == "ringing"
        clock.advance(20)
        if softphone:  # the softphone says the call ended (an event hook): no key
            number = win.desk.phone_call.number
            win.apply_call_event(make_event("ended", number))
        elif answered:
            rep.press(Qt.Key.Key_F6)
            qtbot.waitUntil(lambda: phase(win) == "live")
            clock.advance(95)
        if not softphone:
            rep.press(Qt.Key.Key_F7)
        qtbot.waitUntil(lambda: phase(win) == "wrapping")
        rep.press(_digit(win, disposition))
        if note:
            rep.press(Qt.Key.Key_N, Mod.AltModifier)  # to the notes
            rep.type(note)
        with (
            qtbot.waitSignal(opened.logbook.callQueued, timeout=5_000) as queued,
            qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000),  # the next task's card
        ):
            rep.press(Qt.Key.Key_Return, Mod.ControlModifier | Mod.ShiftModifier)
        counts[kind] = rep.presses
        entry = queued.args[0]
        logged[kind] = entry
        assert entry.call.relationships.task.id == task, "the call is linked to its task"
        assert queue.work.current not in (None, task), "Log & next opened the next task"

    one_call("no answer", answered=False, disposition="No Answer")
    one_call("voicemail", answered=False, disposition="Left Voicemail")
    one_call("answered with a note", answered=True, disposition="Answered - Meeting Set", note=NOTE)
    one_call("no answer, softphone", answered=False, disposition="No Answer", softphone=True)

    assert counts == {
        "no answer": 4,
        "voicemail": 4,
        "answered with a note": 6 + len(NOTE),
        "no answer, softphone": 3,
    }
    assert logged["no answer"].call.attributes.outcome == "Not Answered"
    assert logged["voicemail"].call.attributes.outcome == "Not Answered"
    assert logged["answered with a note"].call.attributes.outcome == "Answered"
    assert logged["answered with a note"].call.attributes.note == NOTE
    assert _readme_budget("no answer") == "4"
    assert _readme_budget("voicemail") == "4"
    assert _readme_budget("answered, with a note") == "6 + the note"
    assert _readme_budget("no answer, the softphone reporting the hang-up") == "3"
