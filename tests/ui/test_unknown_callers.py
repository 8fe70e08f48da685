"""Unknown callers, referrals and number hygiene through the window, by keyboard (issue 19):
the card says a number matches nobody and offers to create the prospect or add the number to
one; the wrap-up logs a call to the person it was really with, marks a number bad, records an
opt-out — each confirmed, each shown at once, each handed to the outbox (recorded here: the
outbox's operations have tests of their own against the sandbox).

Widgets are found by accessible name; prospects and numbers come from the sandbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLabel, QLineEdit, QMessageBox

from dialer_app.core.desk import Who
from dialer_app.core.outreach.models import PhoneNumber, Prospect
from dialer_app.core.phone import pretty
from dialer_app.core.softphone.events import make_event
from tests.support.prospects import numbers_with_one_prospect
from tests.support.qt import by_name, phase
from tests.support.recorded_writes import RecordedWrites

NOBODY = "+12025550198"  # no prospect of the seed has it (checked below)
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def _key(qtbot: Any, win: Any, key: Qt.Key, mod: Any = Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget() or win, key, mod)


def _answers(monkeypatch: Any, choice: QMessageBox.StandardButton) -> list[str]:
    """Every confirmation is answered `choice`; the questions asked are returned."""
    asked: list[str] = []

    def ask(_parent: Any, _title: str, text: str, *_rest: Any) -> QMessageBox.StandardButton:
        asked.append(text)
        return choice

    monkeypatch.setattr(QMessageBox, "question", ask)
    return asked


@pytest.fixture
def desk(sandbox, make_window):
    """A window on the shared sandbox whose writes are recorded."""
    with sandbox.client() as api:
        held = api.get("/phoneNumbers", params={"filter[number]": NOBODY}).json()["data"]
    assert held == [], "the seed has the number the tests take for nobody's"
    opened = make_window(sandbox)
    opened.writes = RecordedWrites()
    opened.win.prospect_actions.attach(opened.writes)
    opened.win.activateWindow()
    return opened


def _bar(win: Any) -> QLabel:
    return by_name(win, "Who the call was with", QLabel)


def _unknown_call(qtbot: Any, win: Any, *, answered: bool = True) -> None:
    win.apply_call_event(make_event("incoming", NOBODY, call_id="in-1"))
    if answered:
        win.apply_call_event(make_event("answered", NOBODY, call_id="in-1"))
    qtbot.waitUntil(lambda: "Nobody in Outreach has" in _bar(win).text(), timeout=10_000)


def _dialog(win: Any, name: str) -> QDialog:
    found = [d for d in win.findChildren(QDialog) if d.objectName() == name]
    assert len(found) == 1
    return found[0]


def _fill(qtbot: Any, dialog: QDialog, **fields: str) -> None:
    for name, text in fields.items():
        box = by_name(dialog, name, QLineEdit)
        box.clear()
        qtbot.keyClicks(box, text)


def test_a_call_from_a_number_nobody_has_can_become_a_new_prospect(qtbot, desk) -> None:
    win, writes = desk.win, desk.writes
    _unknown_call(qtbot, win)
    assert by_name(win, "Create prospect").isVisible()
    assert by_name(win, "Add this number to a prospect").isVisible()
    _key(qtbot, win, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = _dialog(win, "new-prospect")
    qtbot.waitUntil(dialog.isVisible)
    assert by_name(dialog, "Number", QLineEdit).text() == pretty(NOBODY)
    by_name(dialog, "Create").click()  # no name yet
    error = by_name(dialog, "First name error", QLabel)
    assert error.isVisible()
    assert "first or a last name" in error.text()
    assert dialog.isVisible()
    assert writes.asked == []
    _fill(qtbot, dialog, **{"First name": "Dev", "Last name": "Patel", "Company": "Acme"})
    by_name(dialog, "Number type", QComboBox).setCurrentIndex(1)  # mobile
    qtbot.keyClick(by_name(dialog, "Company", QLineEdit), Qt.Key.Key_Return)  # Enter creates
    qtbot.waitUntil(lambda: not dialog.isVisible())
    asked = writes.last("create_prospect")
    plan = asked.args["plan"]
    assert (plan.name, plan.number, plan.phone_type) == ("Dev Patel", NOBODY, "mobile")
    assert asked.args["number_ref"]
    call = win.desk.current
    assert call.needs == {"prospect": asked.ref, "phoneNumber": asked.args["number_ref"]}
    assert "Dev Patel" in by_name(win, "Wrap-up call", QLabel).text()
    assert win.card.name.text() == "Dev Patel"
    assert "being created" in win.card.subtitle.text()
    assert "being created" in _bar(win).text()
    assert not by_name(win, "Create prospect").isVisible()


def test_the_prospect_created_takes_the_call_and_the_card(qtbot, desk, sandbox) -> None:
    win, writes = desk.win, desk.writes
    _unknown_call(qtbot, win, answered=False)
    win.apply_call_event(make_event("ended", NOBODY, call_id="in-1"))  # a missed call
    _key(qtbot, win, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = _dialog(win, "new-prospect")
    _fill(qtbot, dialog, **{"Last name": "Okafor"})
    by_name(dialog, "Create").click()
    asked = writes.last("create_prospect")
    existing = numbers_with_one_prospect(sandbox, 1)[0]  # stands for the one Outreach made
    with qtbot.waitSignal(desk.lookup.prospectLoaded, timeout=10_000):
        writes.prospectCreated.emit(asked.ref, Prospect(existing.prospect_id, "Ngozi", "Okafor"))
    call = win.desk.current
    assert call.prospect.id == existing.prospect_id
    assert call.needs == {"phoneNumber": asked.args["number_ref"]}
    writes.numberAdded.emit(asked.args["number_ref"], PhoneNumber(4242, NOBODY, "work"))
    assert call.needs == {}
    made = win.desk.compose()
    assert made.attributes.direction == "inbound"
    assert made.attributes.outcome == "Not Answered"
    assert made.relationships.phoneNumber.id == 4242
    assert not _bar(win).isVisible()


def test_a_refused_creation_leaves_the_call_with_nobody_saying_why(qtbot, desk) -> None:
    win, writes = desk.win, desk.writes
    _unknown_call(qtbot, win)
    _key(qtbot, win, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = _dialog(win, "new-prospect")
    _fill(qtbot, dialog, **{"First name": "Dev"})
    by_name(dialog, "Create").click()
    writes.writeRefused.emit(writes.last("create_prospect").ref, "firstName: is taken")
    assert "Nobody in Outreach has" in _bar(win).text()
    assert "refused to create Dev" in win.log_message.text()
    assert not win.desk.current.has_prospect


def test_a_full_disk_keeps_the_form_open_with_what_was_typed(qtbot, desk) -> None:
    win, writes = desk.win, desk.writes
    _unknown_call(qtbot, win)
    _key(qtbot, win, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = _dialog(win, "new-prospect")
    _fill(qtbot, dialog, **{"First name": "Dev"})
    writes.refuse_next = "the disk is full"
    by_name(dialog, "Create").click()
    assert dialog.isVisible()
    assert "the disk is full" in by_name(dialog, "Create prospect error", QLabel).text()
    assert by_name(dialog, "First name", QLineEdit).text() == "Dev"
    assert not win.desk.current.has_prospect


def test_the_number_can_be_added_to_a_prospect_found_by_search(qtbot, desk, sandbox) -> None:
    win, writes = desk.win, desk.writes
    target = numbers_with_one_prospect(sandbox, 1)[0]
    _unknown_call(qtbot, win)
    _key(qtbot, win, Qt.Key.Key_A, CTRL_SHIFT)
    picker = _dialog(win, "pick-prospect")
    qtbot.waitUntil(picker.isVisible)
    box = by_name(picker, "Find the prospect", QLineEdit)
    qtbot.keyClicks(box, target.number)
    results = picker.model
    qtbot.waitUntil(lambda: results.rowCount() == 1, timeout=10_000)
    by_name(picker, "Number type", QComboBox).setCurrentIndex(1)
    with qtbot.waitSignal(desk.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    asked = writes.last("add_number")
    assert asked.args == {
        "prospect_id": target.prospect_id,
        "number": NOBODY,
        "extension": "",
        "phone_type": "mobile",
        "who": target.name,
    }
    call = win.desk.current
    assert call.prospect.id == target.prospect_id
    assert call.needs == {"phoneNumber": asked.ref}
    assert win.card.detail.prospect.id == target.prospect_id
    assert "being added" in win.log_message.text()


def _call_and_hang_up(qtbot: Any, desk: Any, person: Any) -> None:
    """Open `person`, Alt+1 (their first number), hang up: the call is in the wrap-up."""
    win = desk.win
    with qtbot.waitSignal(desk.lookup.prospectLoaded, timeout=10_000):
        win.apply(win.desk.open_prospect(Who(person.prospect_id, person.name)))
    qtbot.waitUntil(lambda: win.card.detail is not None, timeout=10_000)
    _key(qtbot, win, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert phase(win) == "ringing"
    win.call.hang_up.click()
    qtbot.waitUntil(lambda: phase(win) == "wrapping")


def test_wrong_person_logs_the_call_to_someone_found_keeping_its_times(
    qtbot, desk, sandbox
) -> None:
    win = desk.win
    first, other = numbers_with_one_prospect(sandbox, 2)
    _call_and_hang_up(qtbot, desk, first)
    call = win.desk.current
    times = call.times
    _key(qtbot, win, Qt.Key.Key_W, CTRL_SHIFT)
    picker = _dialog(win, "pick-prospect")
    qtbot.waitUntil(picker.isVisible)
    assert by_name(picker, "New prospect").isVisible()
    assert not by_name(picker, "Number type", QComboBox).isVisible()
    box = by_name(picker, "Find the prospect", QLineEdit)
    qtbot.keyClicks(box, other.number)
    qtbot.waitUntil(lambda: picker.model.rowCount() == 1, timeout=10_000)
    with qtbot.waitSignal(desk.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert call.prospect.id == other.prospect_id
    assert call.reassigned
    assert call.times == times
    with sandbox.client() as api:  # the number called is theirs only if they share it
        theirs = api.get(
            "/phoneNumbers",
            params={"filter[prospect][id]": other.prospect_id, "filter[number]": call.number},
        ).json()["data"]
    assert call.phone_number_id == (theirs[0]["id"] if theirs else None)
    assert desk.writes.asked == []  # nothing to write: the call goes to someone who exists
    made = win.desk.compose()
    assert made.relationships.prospect.id == other.prospect_id
    assert made.attributes.dialedAt == times.dialed_at


def test_wrong_person_can_be_someone_new(qtbot, desk, sandbox) -> None:
    win, writes = desk.win, desk.writes
    (first,) = numbers_with_one_prospect(sandbox, 1)
    _call_and_hang_up(qtbot, desk, first)
    _key(qtbot, win, Qt.Key.Key_W, CTRL_SHIFT)
    picker = _dialog(win, "pick-prospect")
    by_name(picker, "New prospect").click()
    dialog = _dialog(win, "new-prospect")
    qtbot.waitUntil(dialog.isVisible)
    assert by_name(dialog, "Number", QLineEdit).text() == ""  # the number was the first's
    _fill(qtbot, dialog, **{"First name": "Dev", "Last name": "Patel", "Title": "Procurement"})
    by_name(dialog, "Create").click()
    asked = writes.last("create_prospect")
    assert asked.args["number_ref"] == ""
    call = win.desk.current
    assert call.needs == {"prospect": asked.ref}
    assert call.who == "Dev Patel"
    assert "Procurement" in win.card.subtitle.text()


def _number_button(win: Any, text: str) -> Any:
    return next(b for b in win.card.number_buttons if text in b.text())


def test_bad_number_is_confirmed_shown_at_once_and_never_dialled_by_alt_n(
    qtbot, desk, sandbox, monkeypatch
) -> None:
    win, writes = desk.win, desk.writes
    (person,) = numbers_with_one_prospect(sandbox, 1)
    _call_and_hang_up(qtbot, desk, person)
    call = win.desk.current
    dialled = next(
        n for n in win.card.detail.prospect.phone_numbers if n.id == call.phone_number_id
    )
    asked = _answers(monkeypatch, QMessageBox.StandardButton.No)
    _key(qtbot, win, Qt.Key.Key_B, CTRL_SHIFT)
    assert pretty(dialled.number) in asked[0]
    assert writes.asked == []  # the rep said no
    _answers(monkeypatch, QMessageBox.StandardButton.Yes)
    _key(qtbot, win, Qt.Key.Key_B, CTRL_SHIFT)
    mark = writes.last("mark_number")
    assert (mark.args["phone"].id, mark.args["bad"]) == (dialled.id, True)
    button = _number_button(win, pretty(dialled.number))
    assert "bad number" in button.text()
    assert button is win.card.number_buttons[-1]  # last, without a key
    assert "This number is marked bad." in by_name(win, "Number and opt-out", QLabel).text()
    # the button reads, and a screen reader names it, the other way now
    assert by_name(win, "Not a bad number").text() == "Not a bad number"
    # Alt+1 never dials it: another number, or nothing at all.
    handed = list(desk.handed)
    win.discard_button.click()
    _key(qtbot, win, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    if len(win.card.detail.prospect.phone_numbers) == 1:
        assert phase(win) == "idle"
        assert desk.handed == handed
    else:
        assert pretty(dialled.number).replace(" ", "") not in desk.handed[-1]
        win.call.hang_up.click()
        win.discard_button.click()
    # dialling it by hand asks first
    questions = _answers(monkeypatch, QMessageBox.StandardButton.No)
    _number_button(win, pretty(dialled.number)).click()
    assert "bad number" in questions[0]
    assert phase(win) == "idle"
    # Outreach refuses: the card shows what Outreach has again
    with qtbot.waitSignal(desk.lookup.prospectLoaded, timeout=10_000):
        writes.writeRefused.emit(mark.ref, "status: not allowed")
    qtbot.waitUntil(lambda: win.card.detail is not None)
    assert "bad number" not in _number_button(win, pretty(dialled.number)).text()
    assert "refused" in win.log_message.text()


def test_asked_not_to_be_called_shows_at_once_and_the_next_dial_asks(
    qtbot, desk, sandbox, monkeypatch
) -> None:
    win, writes = desk.win, desk.writes
    (person,) = numbers_with_one_prospect(sandbox, 1)
    _call_and_hang_up(qtbot, desk, person)
    warning = by_name(win, "Opt-out warning", QLabel)
    assert not warning.isVisible()
    asked = _answers(monkeypatch, QMessageBox.StandardButton.Yes)
    _key(qtbot, win, Qt.Key.Key_O, CTRL_SHIFT)
    assert "asked not to be called" in asked[0]
    opt = writes.last("set_opt_out")
    assert opt.args == {"prospect_id": person.prospect_id, "opted_out": True, "who": person.name}
    assert warning.isVisible()
    assert "Opted out" in warning.text()
    assert by_name(win, "May be called again").text() == "May be called again"
    writes.writeDone.emit(opt.ref)  # Outreach has it: the card keeps it
    assert warning.isVisible()
    win.discard_button.click()
    questions = _answers(monkeypatch, QMessageBox.StandardButton.No)
    _key(qtbot, win, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert "opted out" in questions[-1]
    assert phase(win) == "idle"
    _key(qtbot, win, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: len(questions) == 2)
    assert "opted out" in questions[-1]
    assert phase(win) == "idle"


def test_marks_still_on_their_way_show_on_the_card_after_a_restart(qtbot, desk, sandbox) -> None:
    """The app stopped before Outreach had a bad number and an opt-out: started again, the
    card shows both (from the outbox) until Outreach has them."""
    from types import SimpleNamespace

    win = desk.win
    (person,) = numbers_with_one_prospect(sandbox, 1)
    with sandbox.client() as api:
        phone = next(
            p
            for p in api.get(
                "/phoneNumbers", params={"filter[prospect][id]": person.prospect_id}
            ).json()["data"]
            if p["attributes"]["number"] == person.number
        )
    waiting = [
        SimpleNamespace(
            kind="phone_status",
            ref="m1",
            prospect_id=person.prospect_id,
            body={"phoneNumber": phone["id"], "status": "bad"},
        ),
        SimpleNamespace(
            kind="call_opt_out",
            ref="m2",
            prospect_id=person.prospect_id,
            body={"prospect": person.prospect_id, "optedOut": True},
        ),
    ]
    writes = RecordedWrites()
    writes.pending_marks = lambda: waiting  # type: ignore[method-assign]
    win.prospect_actions.attach(writes)
    with qtbot.waitSignal(desk.lookup.prospectLoaded, timeout=10_000):
        win.apply(win.desk.open_prospect(Who(person.prospect_id, person.name)))
    qtbot.waitUntil(lambda: win.card.detail is not None, timeout=10_000)
    assert "bad number" in _number_button(win, pretty(person.number)).text()
    assert by_name(win, "Opt-out warning", QLabel).isVisible()
    writes.writeDone.emit("m1")
    writes.writeDone.emit("m2")
    assert "bad number" in _number_button(win, pretty(person.number)).text()
