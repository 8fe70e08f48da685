"""A rep logs a real call end to end: search, pick, dial, answer, hang up, wrap up, log.

The window runs offscreen against the sandbox over HTTP on 127.0.0.1; the assertions read back
what the sandbox stored.
"""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QListView, QPlainTextEdit, QPushButton

from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name, type_query
from tests.ui.conftest import Opened

JSONAPI = {"Accept": "application/vnd.api+json"}


def _api(sandbox: object) -> httpx.Client:
    return httpx.Client(
        base_url=sandbox.base_url,  # type: ignore[attr-defined]
        headers={**JSONAPI, "Authorization": f"Bearer {sandbox.token}"},  # type: ignore[attr-defined]
        timeout=10,
    )


@pytest.fixture
def window(sandbox, make_window) -> tuple[MainWindow, Opened, FakeClock]:
    opened = make_window(sandbox)
    return opened.win, opened, opened.clock


def _combo_select(combo: QComboBox, text: str) -> None:
    idx = next(i for i in range(combo.count()) if combo.itemText(i).endswith(text))
    combo.setCurrentIndex(idx)


def test_rep_logs_an_answered_call_and_the_sandbox_stores_it(qtbot, window, sandbox) -> None:
    win, service, clock = window
    with _api(sandbox) as api:
        task = api.get(
            "/tasks",
            params={"filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"},
        ).json()["data"][0]
        pid = task["relationships"]["prospect"]["data"]["id"]
        prospect = api.get(f"/prospects/{pid}").json()["data"]
        dispositions = api.get("/callDispositions").json()["data"]
        purposes = api.get("/callPurposes").json()["data"]
    first, last = prospect["attributes"]["firstName"], prospect["attributes"]["lastName"]
    meeting = next(d for d in dispositions if d["attributes"]["name"] == "Answered - Meeting Set")
    purpose = purposes[0]

    assert "Demo" in win.mode_label.text()
    search = by_name(win, "Prospect search", QLineEdit)
    results = by_name(win, "Search results", QListView)
    type_query(qtbot, service, search, f"{first} {last}")
    qtbot.waitUntil(lambda: results.model().rowCount() >= 1)
    rows = [results.model().index(r, 0).data() for r in range(results.model().rowCount())]
    row = next(i for i, text in enumerate(rows) if text.startswith(f"{first} {last}"))
    results.setCurrentIndex(results.model().index(row, 0))
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(results, Qt.Key.Key_Return)
    assert win.desk.card is not None
    assert win.desk.card.id == prospect["id"]
    assert by_name(win, "Sequence action", QComboBox).isEnabled()
    assert "Open call task" in by_name(win, "Open call task", QLabel).text()

    qtbot.mouseClick(by_name(win, "Dial", QPushButton), Qt.MouseButton.LeftButton)
    clock.advance(4.5)
    qtbot.mouseClick(by_name(win, "Answered", QPushButton), Qt.MouseButton.LeftButton)
    clock.advance(83.25)
    qtbot.mouseClick(by_name(win, "Hang up", QPushButton), Qt.MouseButton.LeftButton)
    assert by_name(win, "Elapsed time", QLabel).text() == "1:27"

    _combo_select(by_name(win, "Disposition", QComboBox), "Answered - Meeting Set")
    _combo_select(by_name(win, "Call purpose", QComboBox), purpose["attributes"]["name"])
    qtbot.keyClicks(by_name(win, "Tags", QLineEdit), "budget, decision-maker")
    qtbot.keyClicks(by_name(win, "Notes", QPlainTextEdit), "Demo booked for Tuesday.")
    _combo_select(by_name(win, "Sequence action", QComboBox), "Advance")
    with qtbot.waitSignal(service.logbook.callSent, timeout=10_000) as sent:
        qtbot.mouseClick(by_name(win, "Log call", QPushButton), Qt.MouseButton.LeftButton)
        # Safe on disk at once, and the form is already clear for the next call.
        assert service.logbook.counts().unsent == 1
        assert by_name(win, "Notes", QPlainTextEdit).toPlainText() == ""
    call_id = sent.args[1]

    with _api(sandbox) as api:
        stored = api.get(f"/calls/{call_id}").json()["data"]
    a, r = stored["attributes"], stored["relationships"]
    dialed, answered, completed = (
        datetime.fromisoformat(a[k].replace("Z", "+00:00"))
        for k in ("dialedAt", "answeredAt", "completedAt")
    )
    assert all(a[k].endswith("Z") for k in ("dialedAt", "answeredAt", "completedAt"))
    assert dialed < answered < completed
    assert (completed - dialed).total_seconds() == pytest.approx(87.75, abs=0.002)
    assert a["outcome"] == "Answered"
    assert a["direction"] == "outbound"
    assert a["tags"] == ["budget", "decision-maker"]
    assert a["note"] == "Demo booked for Tuesday."
    assert a["sequenceAction"] == "Advance"
    assert a["externalVendor"] == "Dialer Companion"
    assert r["prospect"]["data"] == {"type": "prospect", "id": prospect["id"]}
    assert r["callDisposition"]["data"] == {"type": "callDisposition", "id": meeting["id"]}
    assert r["callPurpose"]["data"] == {"type": "callPurpose", "id": purpose["id"]}
    assert r["task"]["data"] == {"type": "task", "id": task["id"]}
    for name in ("sequence", "sequenceState", "sequenceStep"):
        assert r[name]["data"] == task["relationships"][name]["data"]

    assert a["vendorCallId"] == sent.args[0].vendor_call_id
    # Ready for the next call, and the rep can see the call reached Outreach.
    assert by_name(win, "Elapsed time", QLabel).text() == "0:00"
    assert by_name(win, "Dial", QPushButton).isEnabled()
    assert f"call {call_id}" in win.log_message.text()
    sync_status = by_name(win, "Sync status", QLabel)
    qtbot.waitUntil(lambda: sync_status.text() == "All calls synced", timeout=2000)


def test_bad_input_is_refused_next_to_the_field_and_never_sent(qtbot, window, sandbox) -> None:
    win, service, clock = window
    with _api(sandbox) as api:
        prospect = api.get("/prospects", params={"page[size]": 1}).json()["data"][0]
        before = api.get("/calls", params={"count": "true"}).json()["meta"]["count"]
    search = by_name(win, "Prospect search", QLineEdit)
    email = prospect["attributes"]["emails"][0]
    type_query(qtbot, service, search, email)
    assert (
        "matched on email" in by_name(win, "Search results", QListView).model().index(0, 0).data()
    )
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(search, Qt.Key.Key_Return)
    qtbot.mouseClick(by_name(win, "Dial", QPushButton), Qt.MouseButton.LeftButton)
    clock.advance(20)
    qtbot.mouseClick(by_name(win, "Hang up", QPushButton), Qt.MouseButton.LeftButton)

    notes = by_name(win, "Notes", QPlainTextEdit)
    notes.setPlainText("x" * 65_536)
    qtbot.keyClicks(by_name(win, "Recording link", QLineEdit), "ftp://files.example.com/a.mp3")
    qtbot.mouseClick(by_name(win, "Log call", QPushButton), Qt.MouseButton.LeftButton)

    note_error = by_name(win, "Notes error", QLabel)
    url_error = by_name(win, "Recording link error", QLabel)
    assert note_error.isVisible()
    assert "65,535" in note_error.text()
    assert url_error.isVisible()
    assert "http" in url_error.text()
    assert by_name(win, "Log call", QPushButton).isEnabled()
    assert len(notes.toPlainText()) == 65_536  # nothing the rep typed is lost
    with _api(sandbox) as api:
        after = api.get("/calls", params={"count": "true"}).json()["meta"]["count"]
    assert after == before
    assert service.logbook.counts().unsent == 0
