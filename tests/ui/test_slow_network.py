"""Outreach answering in 2 s: the window keeps painting and taking input; logging never waits."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit

from tests.support.qt import by_name


def test_the_window_never_waits_for_a_slow_server(qtbot, make_sandbox, make_window) -> None:
    server = make_sandbox("--latency-ms", "2000")
    opened = make_window(server)
    win, service = opened.win, opened
    ticks: list[int] = []
    probe = QTimer(win)
    probe.setInterval(10)
    probe.timeout.connect(lambda: ticks.append(1))
    probe.start()

    box = by_name(win, "Prospect search", QLineEdit)
    with qtbot.waitSignal(service.lookup.searchFinished, timeout=15_000):
        qtbot.keyClicks(box, "a")
        notes = by_name(win, "Notes", QPlainTextEdit)
        qtbot.keyClicks(notes, "typed while the lookup waits")
        assert notes.toPlainText() == "typed while the lookup waits"  # input taken at once
    assert len(ticks) >= 50  # the loop turned all along (a blocked loop ticks once)

    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=30_000):
        win.search._choose(0)
    win.call.dial.click()
    win.call.hang_up.click()
    win.wrapup.disposition.setCurrentIndex(1)
    queued: list[object] = []
    service.logbook.callQueued.connect(queued.append)
    with qtbot.waitSignal(service.logbook.callSent, timeout=30_000):
        win.log_button.click()
        assert len(queued) == 1  # safe on disk before the click returns
        assert win.wrapup.notes.toPlainText() == ""  # the form is ready for the next call
    probe.stop()
