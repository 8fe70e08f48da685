"""The window's thread never waits for the disk or the network: the sender works on a thread of
its own (a write stuck there leaves the window answering, the call goes once it can, the thread
ends with the app), and the draft's flush to the disk is made off the window's thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QPushButton

from dialer_app.core import files
from dialer_app.core.drafts import DraftStore
from tests.support.calls import new_call
from tests.support.qt import by_name, type_query
from tests.ui.conftest import close


def test_a_sender_stuck_in_a_disk_write_leaves_the_window_answering(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sandbox("--prospects", "10")
    opened = make_window(server)
    win, outbox = opened.win, opened.outbox
    stuck, release = threading.Event(), threading.Event()
    writers: list[str] = []
    real = type(outbox).mark_sent

    def mark_sent(queue: Any, entry_id: int, outreach_id: int | None) -> None:
        writers.append(threading.current_thread().name)
        if threading.current_thread() is not threading.main_thread():
            stuck.set()  # as a slow fsync would: this thread waits, not the window's
            release.wait(30)
        real(queue, entry_id, outreach_id)

    monkeypatch.setattr(type(outbox), "mark_sent", mark_sent)
    entry = opened.services.logbook.log_call(new_call(), "Stuck Test")
    assert entry is not None  # safe on disk when `log_call` returned, on the window's thread
    qtbot.waitUntil(stuck.is_set, timeout=10_000)
    try:
        ticks: list[int] = []
        QTimer.singleShot(0, lambda: ticks.append(1))
        qtbot.waitUntil(lambda: bool(ticks), timeout=2_000)  # the window's loop turns
        qtbot.keyClicks(win.search.box, "Ab")
        assert win.search.box.text() == "Ab"  # and the rep's keys land
        assert outbox.get(entry.id).state == "sending"
    finally:
        release.set()
    qtbot.waitUntil(lambda: outbox.get(entry.id).state == "sent", timeout=10_000)
    assert writers == ["outbox-sender"]
    qtbot.waitUntil(lambda: "logged in Outreach" in win.log_message.text(), timeout=5_000)


def test_the_sender_thread_ends_with_the_services(
    qtbot: Any, aio: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox("--prospects", "10")
    opened = make_window(server)
    entry = opened.services.logbook.log_call(new_call(), "Ends Test")
    assert entry is not None
    outbox = opened.outbox
    qtbot.waitUntil(lambda: outbox.get(entry.id).state == "sent", timeout=10_000)
    assert any(t.name == "outbox-sender" for t in threading.enumerate())
    close(qtbot, aio, opened)
    assert not any(t.name == "outbox-sender" for t in threading.enumerate())


def test_the_drafts_flush_waits_on_its_own_thread_while_the_rep_types(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_sandbox("--prospects", "10")
    opened = make_window(server, drafts=True, outbox_name="typing")
    win = opened.win
    stuck, release = threading.Event(), threading.Event()
    flushers: list[str] = []
    real = files.sync_file

    def sync_file(path: Any) -> None:
        flushers.append(threading.current_thread().name)
        stuck.set()  # a disk that takes its time over an fsync
        release.wait(30)
        real(path)

    monkeypatch.setattr(files, "sync_file", sync_file)
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, opened, box, "a")
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.mouseClick(by_name(win, "Dial", QPushButton), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(by_name(win, "Hang up", QPushButton), Qt.MouseButton.LeftButton)
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    notes = by_name(win, "Notes", QPlainTextEdit)
    qtbot.keyClicks(notes, "Call back")
    qtbot.waitUntil(stuck.is_set, timeout=5_000)  # the debounced flush began, and waits
    try:
        qtbot.keyClicks(notes, " on Monday")  # the rep's keys land meanwhile
        assert notes.toPlainText() == "Call back on Monday"
    finally:
        release.set()
    assert flushers
    assert all(name.startswith("draft-flush") for name in flushers)
    # Every keystroke reached the file already; the flush made it survive a power cut.
    saved = DraftStore(opened.win.drafts.path).load()
    assert saved is not None
    assert "Call back on Monday" in str(saved)
