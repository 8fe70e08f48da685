"""A call in progress comes back after the app dies: times, prospect and every field."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton

from dialer_app.core.drafts import DraftStore
from dialer_app.core.outbox import Outbox
from dialer_app.core.session import CallSession, CallState
from dialer_app.services.dialer import Backend, DialerService
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name, type_query


def _open(qtbot, sandbox, tmp_path, clock):
    async def backend() -> Backend:
        return Backend(sandbox.base_url, sandbox.token, demo=True, label="Demo")

    outbox = Outbox(tmp_path / "outbox.sqlite3")
    service = DialerService(TaskRunner(), backend, outbox)
    win = MainWindow(service, CallSession(clock), DraftStore(tmp_path / "draft.json"))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(service.referenceLoaded, timeout=15_000):
        service.start()
    return win, service, outbox


def _close(qtbot, aio, service, outbox) -> None:
    closing = aio.create_task(service.aclose())
    qtbot.waitUntil(closing.done, timeout=5000)
    outbox.close()


def test_the_call_in_progress_is_reopened_after_the_app_dies(qtbot, aio, sandbox, tmp_path):
    clock = FakeClock(datetime.now(UTC))
    with httpx.Client(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {sandbox.token}"}
    ) as api:
        prospect = api.get("/prospects", params={"page[size]": 1}).json()["data"][0]
    win, service, outbox = _open(qtbot, sandbox, tmp_path, clock)
    type_query(
        qtbot,
        service,
        by_name(win, "Prospect search", QLineEdit),
        prospect["attributes"]["emails"][0],
    )
    with qtbot.waitSignal(service.prospectLoaded, timeout=10_000):
        qtbot.keyClick(by_name(win, "Prospect search", QLineEdit), Qt.Key.Key_Return)
    qtbot.mouseClick(by_name(win, "Dial", QPushButton), Qt.MouseButton.LeftButton)
    clock.advance(3)
    qtbot.mouseClick(by_name(win, "Answered", QPushButton), Qt.MouseButton.LeftButton)
    by_name(win, "Disposition", QComboBox).setCurrentIndex(2)
    qtbot.keyClicks(by_name(win, "Notes", QPlainTextEdit), "They want a quote by Friday")
    times_before = win.call.session.times
    win.save_draft()  # what the debounce timer does 300 ms after the last keystroke
    # The app dies here: no clean shutdown, nothing logged.
    _close(qtbot, aio, service, outbox)
    clock.advance(60)

    win2, service2, outbox2 = _open(qtbot, sandbox, tmp_path, clock)
    qtbot.waitUntil(lambda: win2.prospect is not None and win2.prospect.first_name != "")
    assert win2.call.session.state is CallState.CONNECTED
    assert win2.call.session.times == times_before
    assert by_name(win2, "Elapsed time", QLabel).text() == "1:03"  # counted from the dial
    assert by_name(win2, "Notes", QPlainTextEdit).toPlainText() == "They want a quote by Friday"
    assert by_name(win2, "Disposition", QComboBox).currentIndex() == 2
    assert win2.prospect is not None
    assert win2.prospect.id == prospect["id"]
    assert "Reopened" in win2.log_message.text()
    _close(qtbot, aio, service2, outbox2)
