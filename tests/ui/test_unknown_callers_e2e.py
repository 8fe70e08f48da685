"""Unknown callers and number hygiene end to end: the window, its real outbox and sender, and a
sandbox of the test's own over 127.0.0.1. What the rep does by keyboard ends up in Outreach's
stored resources — exactly once, through an outage and a restart of the app.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
)

from dialer_app.core.desk import Who
from dialer_app.core.softphone.events import make_event
from tests.support.prospects import numbers_with_one_prospect
from tests.support.qt import by_name, phase
from tests.ui.conftest import close

NOBODY = "+12025550187"
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

pytestmark = pytest.mark.slow


@pytest.fixture
def server(make_sandbox: Any) -> Any:
    return make_sandbox("--prospects", "20")


def _key(qtbot: Any, win: Any, key: Qt.Key, mod: Any = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget() or win, key, mod)


def _dialog(win: Any, name: str) -> QDialog:
    (found,) = [d for d in win.findChildren(QDialog) if d.objectName() == name]
    return found


def _stored(server: Any) -> dict[str, list[Any]]:
    with server.client() as api:
        numbers = api.get("/phoneNumbers", params={"filter[number]": NOBODY}).json()["data"]
        prospects = api.get(
            "/prospects", params={"filter[lastName]": "Patel", "page[size]": 100}
        ).json()["data"]
        calls = [
            c
            for p in prospects
            for c in api.get("/calls", params={"filter[prospect][id]": p["id"]}).json()["data"]
        ]
    return {"prospects": prospects, "numbers": numbers, "calls": calls}


def _create_and_log(qtbot: Any, win: Any, server: Any) -> None:
    """A missed call from NOBODY; Outreach goes down; Ctrl+Shift+N, "Dev Patel"; Enter;
    Ctrl+Return logs it."""
    win.apply_call_event(make_event("incoming", NOBODY, call_id="in-1"))
    win.apply_call_event(make_event("ended", NOBODY, call_id="in-1"))
    bar = by_name(win, "Who the call was with", QLabel)
    qtbot.waitUntil(lambda: "Nobody in Outreach has" in bar.text(), timeout=10_000)
    server.faults(maintenance=True)  # Outreach is down from here on
    win.activateWindow()
    _key(qtbot, win, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = _dialog(win, "new-prospect")
    qtbot.waitUntil(dialog.isVisible)
    for name, text in (("First name", "Dev"), ("Last name", "Patel")):
        qtbot.keyClicks(by_name(dialog, name, QLineEdit), text)
    qtbot.keyClick(by_name(dialog, "Last name", QLineEdit), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    win.activateWindow()
    _key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: win.desk.current is None or win.desk.current.final, timeout=5_000)


def _linked_once(server: Any) -> None:
    stored = _stored(server)
    assert [len(stored[k]) for k in ("prospects", "numbers", "calls")] == [1, 1, 1], stored
    (prospect,), (phone,), (call,) = stored["prospects"], stored["numbers"], stored["calls"]
    assert phone["relationships"]["prospect"]["data"]["id"] == prospect["id"]
    assert call["relationships"]["phoneNumber"]["data"]["id"] == phone["id"]
    assert call["attributes"]["direction"] == "inbound"


def test_a_missed_call_from_nobody_becomes_a_prospect_through_an_outage(
    qtbot, make_window, server
) -> None:
    opened = make_window(server)
    win, logbook = opened.win, opened.logbook
    _create_and_log(qtbot, win, server)
    assert logbook.counts().unsent == 3  # the prospect, the number, the call: all on disk
    qtbot.waitUntil(lambda: all(e.attempts >= 1 for e in logbook.entries()[-1:]), timeout=10_000)
    assert "sent" not in {e.state for e in logbook.entries()}
    server.reset_faults()
    with qtbot.waitSignal(logbook.callSent, timeout=20_000):
        logbook.retry_now()
    _linked_once(server)
    assert "Dev Patel" in win.log_message.text() or win.desk.current is None


def test_the_app_stopped_between_the_steps_finishes_the_chain_once(
    qtbot, aio, make_window, server
) -> None:
    first = make_window(server, outbox_name="shared", drafts=True)
    _create_and_log(qtbot, first.win, server)
    assert first.logbook.counts().unsent == 3
    qtbot.waitUntil(  # the prospect was tried (Outreach refused it: down), nothing is out
        lambda: all(
            e.state == "waiting" and (e.attempts or e.kind != "create_prospect")
            for e in first.logbook.entries()
        ),
        timeout=10_000,
    )
    close(qtbot, aio, first)  # the app stops with all three waiting
    first.win.close()
    server.reset_faults()
    second = make_window(server, outbox_name="shared", drafts=True)
    second.logbook.retry_now()  # the rep does not wait for the retry the outage set
    qtbot.waitUntil(lambda: second.logbook.counts().unsent == 0, timeout=20_000)
    _linked_once(server)


def test_bad_number_and_opt_out_reach_outreach_and_the_card(
    qtbot, make_window, server, monkeypatch
) -> None:
    opened = make_window(server)
    win = opened.win
    (person,) = numbers_with_one_prospect(server, 1)
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        win.apply(win.desk.open_prospect(Who(person.prospect_id, person.name)))
    qtbot.waitUntil(lambda: win.card.detail is not None, timeout=10_000)
    win.activateWindow()
    _key(qtbot, win, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    win.call.hang_up.click()
    qtbot.waitUntil(lambda: phase(win) == "wrapping")
    phone_id = win.desk.current.phone_number_id
    monkeypatch.setattr(QMessageBox, "question", lambda *_: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(opened.logbook.writeDone, timeout=10_000):
        _key(qtbot, win, Qt.Key.Key_B, CTRL_SHIFT)
    with qtbot.waitSignal(opened.logbook.writeDone, timeout=10_000):
        _key(qtbot, win, Qt.Key.Key_O, CTRL_SHIFT)
    with server.client() as api:
        number = api.get(f"/phoneNumbers/{phone_id}").json()["data"]
        prospect = api.get(f"/prospects/{person.prospect_id}").json()["data"]
    assert number["attributes"]["status"] == "bad"
    assert prospect["attributes"]["callOptedOut"] is True
    assert "Opted out" in by_name(win, "Opt-out warning", QLabel).text()
    button = next(b for b in win.card.number_buttons if "bad number" in b.text())
    assert button is win.card.number_buttons[-1]


def test_the_number_added_to_a_prospect_found_by_search_links_the_call(
    qtbot, make_window, server
) -> None:
    opened = make_window(server)
    win, logbook = opened.win, opened.logbook
    (target,) = numbers_with_one_prospect(server, 1)
    win.apply_call_event(make_event("incoming", NOBODY, call_id="in-2"))
    win.apply_call_event(make_event("answered", NOBODY, call_id="in-2"))
    win.apply_call_event(make_event("ended", NOBODY, call_id="in-2"))
    bar = by_name(win, "Who the call was with", QLabel)
    qtbot.waitUntil(lambda: "Nobody in Outreach has" in bar.text(), timeout=10_000)
    win.activateWindow()
    _key(qtbot, win, Qt.Key.Key_A, CTRL_SHIFT)
    picker = _dialog(win, "pick-prospect")
    qtbot.waitUntil(picker.isVisible)
    box = by_name(picker, "Find the prospect", QLineEdit)
    qtbot.keyClicks(box, target.number)
    qtbot.waitUntil(lambda: picker.model.rowCount() == 1, timeout=10_000)
    with qtbot.waitSignal(logbook.numberAdded, timeout=10_000) as added:
        qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: win.card.detail is not None and win.card.detail.prospect.id == target.prospect_id,
        timeout=10_000,
    )
    phone = added.args[1]
    # The picker gone, the keys are the wrap-up's again: Alt+N, the note, Ctrl+Enter.
    qtbot.waitUntil(
        lambda: (
            QApplication.focusWidget() is not None and QApplication.focusWidget().window() is win
        )
    )
    _key(qtbot, win, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    notes = by_name(win, "Notes", QPlainTextEdit)
    qtbot.waitUntil(notes.hasFocus)
    qtbot.keyClicks(notes, "Procurement now.")
    with qtbot.waitSignal(logbook.callSent, timeout=10_000) as sent:
        _key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    with server.client() as api:
        stored = api.get(f"/phoneNumbers/{phone.id}").json()["data"]
        call = api.get(f"/calls/{sent.args[1]}").json()["data"]
    assert stored["attributes"]["number"] == NOBODY
    assert stored["relationships"]["prospect"]["data"]["id"] == target.prospect_id
    assert call["relationships"]["prospect"]["data"]["id"] == target.prospect_id
    assert call["relationships"]["phoneNumber"]["data"]["id"] == phone.id
    assert call["attributes"]["direction"] == "inbound"
    assert call["attributes"]["note"] == "Procurement now."
