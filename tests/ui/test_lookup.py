"""Lookup as you type: paced against a slow server, honest about no match, never auto-picking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLineEdit

from dialer_app.core.outbox import Outbox
from dialer_app.core.session import CallSession
from dialer_app.services.dialer import Backend, DialerService
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name, type_query


@pytest.fixture
def make_window(qtbot, aio, tmp_path):
    made = []

    def make(server):
        async def backend() -> Backend:
            return Backend(server.base_url, server.token, demo=True, label="Demo")

        outbox = Outbox(tmp_path / f"outbox-{len(made)}.sqlite3")
        service = DialerService(TaskRunner(), backend, outbox)
        win = MainWindow(service, CallSession(FakeClock(datetime.now(UTC))))
        qtbot.addWidget(win)
        win.show()
        with qtbot.waitSignal(service.referenceLoaded, timeout=15_000):
            service.start()
        made.append((service, outbox))
        return win, service

    yield make
    for service, outbox in made:
        closing = aio.create_task(service.aclose())
        qtbot.waitUntil(closing.done, timeout=5000)
        outbox.close()


def test_typing_fast_against_a_slow_server_asks_once_per_answer(qtbot, make_sandbox, make_window):
    server = make_sandbox("--latency-ms", "300")
    win, service = make_window(server)
    answered: list[str] = []
    service.searchFinished.connect(lambda query, _m: answered.append(query))
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, "alexandra")
    assert answered[-1] == "alexandra"
    assert len(answered) <= 3  # not one request per keystroke (9 keystrokes)
    assert box.text() == "alexandra"  # typing was never held up


def test_no_match_says_what_to_do(qtbot, sandbox, make_window):
    win, service = make_window(sandbox)
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), "zzqxj")
    state = win.search.state.text()
    assert "No prospect matches" in state
    assert "try an email or number" in state


def test_several_matches_are_listed_and_never_opened_for_the_rep(qtbot, sandbox, make_window):
    win, service = make_window(sandbox)
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, "a")
    assert win.search.model.rowCount() > 1
    qtbot.keyClick(box, Qt.Key.Key_Return)  # Enter with several matches only moves to the list
    assert win.prospect is None
    assert "pick one" in win.search.state.text()
    assert by_name(win, "Prospect card", QFrame).isVisible()
