"""A busy phone through the window, one test per way the single-call window broke (issue 13):
a missed call that locked the app, a call during a wrap-up that was never timed, a call moved
to whoever was opened next, Ctrl+F appending and a stale prospect armed for Dial, an "answered"
that vanished, extensions dropped, a card stale after logging — and several calls back whole
after the app dies.

Widgets are found by accessible name; what Outreach stored is read back from the sandbox.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
)

from dialer_app.core.phone import pretty
from dialer_app.core.softphone.events import make_event
from tests.support.prospects import numbers_with_one_prospect
from tests.support.qt import by_name, type_query
from tests.ui.conftest import close


def _key(qtbot: Any, win: Any, key: Qt.Key, mod=Qt.KeyboardModifier.NoModifier) -> None:
    """A key pressed as the rep presses it: into whatever has the keyboard in the window."""
    qtbot.keyClick(QApplication.focusWidget() or win, key, mod)


def _status(win: Any) -> str:
    """The call panel's status line ("Call status")."""
    return win.call.status.text()


def _dial(qtbot: Any, win: Any) -> None:
    """F5 (a button's key: it clicks after a short visible press)."""
    _key(qtbot, win, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: _status(win) == "Dialing…")


def _hang_up(qtbot: Any, win: Any) -> None:
    _key(qtbot, win, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: _status(win).startswith("Ended"))


def _on_card(qtbot: Any, win: Any, prospect_id: int) -> None:
    qtbot.waitUntil(
        lambda: win.card.detail is not None and win.card.detail.prospect.id == prospect_id,
        timeout=10_000,
    )


def _ready(qtbot: Any, win: Any) -> None:
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)


def _stored(sandbox: Any, call_id: int) -> dict[str, Any]:
    with sandbox.client() as api:
        return api.get(f"/calls/{call_id}").json()["data"]


def _log_by_key(qtbot: Any, opened: Any) -> tuple[Any, dict[str, Any]]:
    """Ctrl+Enter; wait until Outreach has the call; return (outbox entry, stored call)."""
    with qtbot.waitSignal(opened.logbook.callSent, timeout=15_000) as sent:
        _key(qtbot, opened.win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    entry, call_id = sent.args
    return entry, _stored(opened.service_sandbox, call_id)


def _open_by_search(qtbot: Any, opened: Any, email: str) -> None:
    win = opened.win
    _key(qtbot, win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, opened, box, email)
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, win, Qt.Key.Key_Return)


def _prospect(sandbox: Any, pid: int) -> dict[str, Any]:
    with sandbox.client() as api:
        return api.get(f"/prospects/{pid}").json()["data"]


def _name(prospect: dict[str, Any]) -> str:
    a = prospect["attributes"]
    return f"{a['firstName']} {a['lastName']}"


@pytest.fixture
def desk_window(sandbox, make_window):
    """A window on the shared sandbox, and the sandbox to read back from."""

    def make(**kw: Any) -> Any:
        opened = make_window(sandbox, **kw)
        opened.service_sandbox = sandbox  # type: ignore[attr-defined]
        return opened

    return make


@pytest.fixture
def people(sandbox):
    """Three prospects who take calls, each with a number no one else has."""
    return numbers_with_one_prospect(sandbox, 3)


def test_a_missed_inbound_call_is_logged_not_answered_and_the_next_call_is_timed(
    qtbot, sandbox, desk_window, people
) -> None:
    opened = desk_window()
    win, clock = opened.win, opened.clock
    _ready(qtbot, win)
    caller = people[0]
    rang = clock.wall
    win.apply_call_event(make_event("incoming", caller.number))
    clock.advance(25)
    win.apply_call_event(make_event("ended", caller.number))  # nobody answered
    _on_card(qtbot, win, caller.prospect_id)
    disposition = by_name(win, "Disposition", QComboBox)
    no_answer = disposition.findText("No Answer", Qt.MatchFlag.MatchContains)
    assert no_answer > 0
    disposition.setCurrentIndex(no_answer)
    _, stored = _log_by_key(qtbot, opened)
    a, r = stored["attributes"], stored["relationships"]
    assert (a["direction"], a["outcome"]) == ("inbound", "Not Answered")
    assert a["answeredAt"] is None
    dialed = datetime.fromisoformat(a["dialedAt"].replace("Z", "+00:00"))
    completed = datetime.fromisoformat(a["completedAt"].replace("Z", "+00:00"))
    assert abs(dialed - rang) < timedelta(milliseconds=2)  # when it rang: the caller dialled
    assert completed - dialed == timedelta(seconds=25)
    assert a["from"] == caller.number
    assert r["prospect"]["data"]["id"] == caller.prospect_id
    # The app is not locked: the next softphone call is timed.
    win.apply_call_event(make_event("dialing", people[1].number))
    clock.advance(3)
    assert _status(win) == "Dialing…"
    qtbot.waitUntil(lambda: by_name(win, "Elapsed time", QLabel).text() == "0:03")
    assert by_name(win, "Call status", QLabel).text() == "Dialing…"


def test_a_call_nobody_can_be_logged_for_is_discarded_by_key_with_undo(
    qtbot, aio, sandbox, desk_window
) -> None:
    opened = desk_window(drafts=True, outbox_name="discard")
    win, clock = opened.win, opened.clock
    _ready(qtbot, win)
    win.apply_call_event(make_event("incoming", "+1 202 555 0199"))  # nobody has this number
    win.apply_call_event(make_event("ended", "+1 202 555 0199"))
    qtbot.waitUntil(lambda: "No prospect has the number" in win.card.subtitle.text())
    assert win.card.subtitle.text().startswith("No prospect has the number")  # not a failure
    _key(
        qtbot,
        win,
        Qt.Key.Key_D,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    undo = by_name(win, "Undo discard", QPushButton)
    assert undo.isVisible()
    assert "discarded" in by_name(win, "Discarded call", QLabel).text()
    _key(qtbot, win, Qt.Key.Key_U, Qt.KeyboardModifier.AltModifier)  # changed my mind
    assert "202-555-0199" in by_name(win, "Wrap-up call", QLabel).text()
    _key(
        qtbot,
        win,
        Qt.Key.Key_D,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    clock.advance(10)
    qtbot.waitUntil(lambda: not undo.isVisible(), timeout=3000)
    assert "No call yet" in by_name(win, "Wrap-up call", QLabel).text()
    assert opened.outbox.counts().unsent == 0  # thrown away, not logged
    close(qtbot, aio, opened)
    again = desk_window(drafts=True, outbox_name="discard").win
    assert "No call yet" in by_name(again, "Wrap-up call", QLabel).text()  # not back


def test_a_call_during_a_wrap_up_gets_its_own_slot_and_is_timed(
    qtbot, sandbox, desk_window, people
) -> None:
    opened = desk_window()
    win, clock = opened.win, opened.clock
    _ready(qtbot, win)
    first, second = people[0], people[1]
    win.apply_call_event(make_event("dialing", first.number, call_id="out-1"))
    clock.advance(30)
    win.apply_call_event(make_event("ended", first.number, call_id="out-1"))
    notes = by_name(win, "Notes", QPlainTextEdit)
    _on_card(qtbot, win, first.prospect_id)
    notes.setFocus()
    qtbot.keyClicks(notes, "Sent the quote")
    # Someone else calls while the rep wraps up.
    win.apply_call_event(make_event("incoming", second.number, call_id="in-1"))
    clock.advance(4)
    _key(qtbot, win, Qt.Key.Key_F6)  # answers the ringing call, not the one in the wrap-up
    qtbot.waitUntil(lambda: _status(win) == "Connected")
    clock.advance(50)
    elapsed = by_name(win, "Elapsed time", QLabel)
    qtbot.waitUntil(lambda: elapsed.text() == "0:54")  # timed from its first ring
    win.apply_call_event(make_event("ended", second.number, call_id="in-1"))
    assert notes.toPlainText() == "Sent the quote"
    waiting = win.findChildren(QLabel, "calls-summary")
    assert [w.text() for w in waiting] == ["1 call to wrap up"]
    assert first.name in by_name(win, "Wrap-up call", QLabel).text()
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    notes.setFocus()
    _, stored = _log_by_key(qtbot, opened)
    assert stored["relationships"]["prospect"]["data"]["id"] == first.prospect_id
    assert stored["attributes"]["note"] == "Sent the quote"
    # the second call comes to the wrap-up, with its own prospect and times
    qtbot.waitUntil(lambda: second.name in by_name(win, "Wrap-up call", QLabel).text())
    assert notes.toPlainText() == ""
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    _, stored = _log_by_key(qtbot, opened)
    a = stored["attributes"]
    assert stored["relationships"]["prospect"]["data"]["id"] == second.prospect_id
    assert by_name(win, "Calls waiting", QLabel).text() == ""
    assert (a["direction"], a["outcome"]) == ("inbound", "Answered")
    answered = datetime.fromisoformat(a["answeredAt"].replace("Z", "+00:00"))
    dialed = datetime.fromisoformat(a["dialedAt"].replace("Z", "+00:00"))
    assert answered - dialed == timedelta(seconds=4)


def test_switching_between_calls_by_key(qtbot, sandbox, desk_window, people) -> None:
    opened = desk_window()
    win = opened.win
    _ready(qtbot, win)
    for n, who in enumerate(people[:2]):
        win.apply_call_event(make_event("incoming", who.number, call_id=f"in-{n}"))
        win.apply_call_event(make_event("ended", who.number, call_id=f"in-{n}"))
    title = by_name(win, "Wrap-up call", QLabel)
    calls = by_name(win, "Calls", QComboBox)
    qtbot.waitUntil(lambda: people[0].name in title.text())
    assert calls.count() == 2
    _key(qtbot, win, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: people[1].name in title.text())
    assert calls.currentIndex() == 1
    _key(qtbot, win, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert people[0].name in title.text()


def test_opening_another_prospect_never_moves_the_call_assigning_does(
    qtbot, sandbox, desk_window, people
) -> None:
    opened = desk_window()
    win, clock = opened.win, opened.clock
    _ready(qtbot, win)
    dialled, other = (_prospect(sandbox, p.prospect_id) for p in people[:2])
    _open_by_search(qtbot, opened, dialled["attributes"]["emails"][0])
    _dial(qtbot, win)
    clock.advance(8)
    _hang_up(qtbot, win)
    _open_by_search(qtbot, opened, other["attributes"]["emails"][0])  # look someone else up
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    title = win.findChildren(QLabel, "wrap-title")
    assert [t.text() for t in title] == [f"Call with {_name(dialled)} — Ended — Not Answered"]
    _, stored = _log_by_key(qtbot, opened)
    assert stored["relationships"]["prospect"]["data"]["id"] == dialled["id"]
    # "Wrong person, this was Dev": the explicit key moves it.
    _dial(qtbot, win)
    _hang_up(qtbot, win)
    _open_by_search(qtbot, opened, dialled["attributes"]["emails"][0])
    assign = by_name(win, "Assign call", QPushButton)
    assert assign.isVisible()
    assert _name(dialled) in assign.text()
    _key(
        qtbot,
        win,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert _name(dialled) in by_name(win, "Wrap-up call", QLabel).text()
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    _, stored = _log_by_key(qtbot, opened)
    assert stored["relationships"]["prospect"]["data"]["id"] == dialled["id"]


def test_ctrl_f_replaces_the_query_and_a_failed_search_arms_no_one(
    qtbot, sandbox, desk_window, people
) -> None:
    opened = desk_window()
    win = opened.win
    _ready(qtbot, win)
    known = _prospect(sandbox, people[0].prospect_id)
    _open_by_search(qtbot, opened, known["attributes"]["emails"][0])
    _key(qtbot, win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, opened, box, "zzqxv")
    assert box.text() == "zzqxv"  # replaced, not appended
    assert "No prospect matches" in win.search.state.text()
    assert "is not selected" in win.search.state.text()
    target = by_name(win, "Dial target", QLabel).text()
    assert "no prospect" in target
    assert _name(known) in target  # said plainly: the card's prospect is not who F5 calls
    _dial(qtbot, win)
    assert "no prospect yet" in by_name(win, "Call with", QLabel).text()
    _hang_up(qtbot, win)
    _key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert "assign" in by_name(win, "Wrap-up error", QLabel).text()
    assert opened.outbox.counts().unsent == 0
    # Clearing the search puts the card's prospect back in reach of Dial.
    _key(qtbot, win, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    _key(qtbot, win, Qt.Key.Key_Backspace)
    assert f"calls {_name(known)}" in by_name(win, "Dial target", QLabel).text()


def test_answered_with_no_call_running_starts_a_call_and_says_so(
    qtbot, sandbox, desk_window, people
) -> None:
    opened = desk_window()
    win, clock = opened.win, opened.clock
    win.apply_call_event(make_event("answered", people[2].number, call_id="x-1"))
    assert _status(win) == "Connected"
    assert "had not seen start" in by_name(win, "Messages", QLabel).text()
    assert "inbound" in by_name(win, "Messages", QLabel).text()
    clock.advance(12)
    win.apply_call_event(make_event("ended", people[2].number, call_id="x-1"))
    qtbot.waitUntil(lambda: people[2].name in by_name(win, "Wrap-up call", QLabel).text())
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    _, stored = _log_by_key(qtbot, opened)
    assert stored["attributes"]["outcome"] == "Answered"
    assert stored["attributes"]["direction"] == "inbound"


def _with_extension(sandbox: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A prospect who takes calls and whose first number on the card has an extension."""
    with sandbox.client() as api:
        phones = api.get("/phoneNumbers", params={"page[size]": 500}).json()["data"]
        for phone in phones:
            a = phone["attributes"]
            if not a["extension"] or a["phoneType"] != "work":
                continue
            pid = phone["relationships"]["prospect"]["data"]["id"]
            prospect = api.get(f"/prospects/{pid}").json()["data"]
            if not prospect["attributes"]["callOptedOut"] and prospect["attributes"]["emails"]:
                return prospect, phone
    raise AssertionError("the sandbox has no work number with an extension")


def test_an_extension_reaches_the_softphone_and_the_logged_call(
    qtbot, sandbox, desk_window
) -> None:
    opened = desk_window()
    win, clock = opened.win, opened.clock
    _ready(qtbot, win)
    prospect, phone = _with_extension(sandbox)
    number, ext = phone["attributes"]["number"], phone["attributes"]["extension"]
    _open_by_search(qtbot, opened, prospect["attributes"]["emails"][0])
    button = next(b for b in win.card.number_buttons if f"ext. {ext}" in b.accessibleName())
    button.click()
    assert opened.handed == [f"tel:{number};ext={ext}"]
    clock.advance(40)
    _hang_up(qtbot, win)
    by_name(win, "Disposition", QComboBox).setCurrentIndex(1)
    _, stored = _log_by_key(qtbot, opened)
    assert stored["attributes"]["to"] == f"{number};ext={ext}"
    assert stored["relationships"]["phoneNumber"]["data"]["id"] == phone["id"]
    # The softphone names the number as people write it, extension and all.
    written = f"{pretty(number)} ext. {ext}"
    win.apply_call_event(make_event("dialing", written, call_id="e-1"))
    assert f"ext. {ext}" in by_name(win, "Call with", QLabel).text()


def test_the_card_shows_the_new_call_and_drops_the_task_it_did(qtbot, sandbox, desk_window) -> None:
    opened = desk_window()
    win = opened.win
    _ready(qtbot, win)
    with sandbox.client() as api:
        tasks = api.get(
            "/tasks",
            params={"filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"},
        ).json()["data"]
    prospect = next(
        p
        for p in (_prospect(sandbox, t["relationships"]["prospect"]["data"]["id"]) for t in tasks)
        if p["attributes"]["emails"]
    )
    _open_by_search(qtbot, opened, prospect["attributes"]["emails"][0])
    task_label = by_name(win, "Open call task", QLabel)
    calls_label = by_name(win, "Last calls", QLabel)
    assert task_label.text().startswith("Open call task")
    _dial(qtbot, win)
    _hang_up(qtbot, win)
    combo = by_name(win, "Disposition", QComboBox)
    combo.setCurrentIndex(combo.findText("Not Answered", Qt.MatchFlag.MatchEndsWith))
    seq = by_name(win, "Sequence action", QComboBox)
    seq.setCurrentIndex(seq.findData("Advance"))
    with qtbot.waitSignal(opened.logbook.callSent, timeout=15_000) as sent:
        _key(qtbot, win, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
        assert "queued" in calls_label.text()  # at once, before Outreach has it
        assert not task_label.text().startswith("Open call task")
    outreach_id = sent.args[1]
    assert f"sent (call {outreach_id})" in calls_label.text()
    assert "Not Answered" in calls_label.text().splitlines()[1]
    assert "done" in task_label.text()


def test_every_call_comes_back_after_the_app_dies(qtbot, aio, sandbox, desk_window, people):
    first = desk_window(drafts=True, outbox_name="killed")
    win, clock = first.win, first.clock
    _ready(qtbot, win)
    win.apply_call_event(make_event("dialing", people[0].number, call_id="a"))
    clock.advance(20)
    win.apply_call_event(make_event("ended", people[0].number, call_id="a"))
    qtbot.waitUntil(lambda: people[0].name in by_name(win, "Wrap-up call", QLabel).text())
    by_name(win, "Disposition", QComboBox).setCurrentIndex(2)
    qtbot.keyClicks(by_name(win, "Notes", QPlainTextEdit), "Quote by Friday")
    win.apply_call_event(make_event("incoming", people[1].number, call_id="b"))
    clock.advance(3)
    win.apply_call_event(make_event("answered", people[1].number, call_id="b"))
    _on_card(qtbot, win, people[1].prospect_id)  # the caller's card: both calls know who
    # Killed here: no clean shutdown, no time for the debounced flush.
    win._draft_flush.cancel()
    close(qtbot, aio, first)
    clock.advance(60)

    again = desk_window(drafts=True, outbox_name="killed")
    win2 = again.win
    qtbot.waitUntil(lambda: "Reopened" in win2.log_message.text())
    assert "Reopened 2 calls" in win2.log_message.text()
    title = by_name(win2, "Wrap-up call", QLabel)
    qtbot.waitUntil(lambda: people[0].name in title.text())
    assert by_name(win2, "Notes", QPlainTextEdit).toPlainText() == "Quote by Friday"
    assert by_name(win2, "Disposition", QComboBox).currentIndex() == 2
    assert by_name(win2, "Calls waiting", QLabel).text() == "1 call to wrap up"
    _, stored = _log_by_key(qtbot, again)
    assert stored["relationships"]["prospect"]["data"]["id"] == people[0].prospect_id
    assert stored["attributes"]["note"] == "Quote by Friday"
    # the call that was live comes back ended at an unknown time, with its prospect
    qtbot.waitUntil(lambda: people[1].name in title.text())
    assert "unknown time" in title.text()
    by_name(win2, "Disposition", QComboBox).setCurrentIndex(1)
    _, stored = _log_by_key(qtbot, again)
    assert stored["relationships"]["prospect"]["data"]["id"] == people[1].prospect_id
    assert stored["attributes"]["answeredAt"] is not None
    assert stored["attributes"]["completedAt"] is None  # not made up


def test_an_old_draft_with_a_huge_one_line_note_opens_cut_and_kept_whole(
    qtbot, tmp_path, sandbox, desk_window, people
):
    """A single-call draft from before the desk, its note one 2 MB line: the window opens
    at once with the call, the form holds what Outreach keeps, the whole note is kept."""
    huge = "z" * 2_000_000
    old = {
        "state": "ended",
        "direction": "inbound",
        "answered_at": "2026-03-02T15:00:00+00:00",
        "completed_at": "2026-03-02T15:03:00+00:00",
        "prospect_id": people[0].prospect_id,
        "prospect_name": people[0].name,
        "vendor_call_id": "0b6c7f3a-4d7e-4f51-9a3b-8c2d1e0f9a7b",
        "form": {"note": huge, "disposition_id": None},
    }
    (tmp_path / "huge.draft.json").write_text(
        json.dumps({"version": 1, "draft": old}), encoding="utf-8"
    )
    win = desk_window(drafts=True, outbox_name="huge").win
    notes = by_name(win, "Notes", QPlainTextEdit)
    qtbot.waitUntil(lambda: bool(notes.toPlainText()))
    assert len(notes.toPlainText()) == 65_535
    assert notes.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap  # one line: no wrapping
    notice = by_name(win, "Notice", QLabel).text()
    assert "2,000,000 characters" in notice
    kept = next(word for word in notice.split() if word.endswith(".txt."))
    with open(kept[:-1], encoding="utf-8") as f:
        assert f.read() == huge
    assert people[0].name in by_name(win, "Wrap-up call", QLabel).text()
