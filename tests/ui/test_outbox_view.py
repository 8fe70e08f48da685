"""The outbox view tells the rep what happened to each call and lets them act on it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.jsonapi import FieldError
from dialer_app.core.outbox import Outbox
from dialer_app.services.logbook import Logbook
from dialer_app.ui.outbox_view import OutboxDialog


def _call(n: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(outcome="Answered", vendorCallId=f"vid-{n}", note="n"),
        relationships=CallRelationships.link(prospect=n),
    )


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    box = Outbox(tmp_path / "outbox.sqlite3")
    sent = box.enqueue(_call(1), summary="Ana Sent")
    box.claim_next("t")
    box.mark_sent(sent.id, 4242)
    parked = box.enqueue(_call(2), summary="Bo Parked")
    box.claim_next("t")
    box.mark_attention(
        parked.id, "refused", [FieldError("/data/attributes/note", "note", "is too long")]
    )
    box.enqueue(_call(3), summary="Cy Waiting")
    yield box
    box.close()


@pytest.fixture
def logbook(offline, outbox: Outbox) -> Logbook:
    """The outbox's owner, never connected: nothing is sent."""
    return offline(outbox).logbook


@pytest.fixture
def dialog(qtbot, logbook: Logbook) -> OutboxDialog:
    dlg = OutboxDialog(logbook)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def _rows(dialog: OutboxDialog) -> dict[str, tuple[str, str]]:
    m = dialog.model
    return {
        m.index(r, 1).data(): (m.index(r, 3).data(), m.index(r, 4).data())
        for r in range(m.rowCount())
    }


def test_each_call_shows_its_fate(dialog: OutboxDialog) -> None:
    rows = _rows(dialog)
    assert rows["Ana Sent"][0] == "Sent (call 4242)"
    assert rows["Bo Parked"] == ("Needs attention", "note: is too long")
    assert rows["Cy Waiting"][0] == "Waiting to sync"
    assert dialog.summary.text() == "Today: 3 calls · 1 sent · 1 waiting · 1 need attention"


def test_the_model_is_a_well_behaved_qt_model(qtmodeltester, dialog: OutboxDialog) -> None:
    qtmodeltester.check(dialog.model)


def _select(dialog: OutboxDialog, name: str) -> None:
    row = next(r for r in range(dialog.model.rowCount()) if dialog.model.index(r, 1).data() == name)
    dialog.table.selectRow(row)


def test_discard_asks_first_and_cancel_keeps_the_call(dialog, outbox, monkeypatch) -> None:
    _select(dialog, "Cy Waiting")
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Cancel)
    dialog.discard_button.click()
    assert "Cy Waiting" in _rows(dialog)
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    dialog.discard_button.click()
    assert "Cy Waiting" not in _rows(dialog)
    assert outbox.counts().unsent == 0


def test_resend_puts_a_parked_call_back_in_the_queue(qtbot, dialog, outbox) -> None:
    _select(dialog, "Ana Sent")  # a sent call cannot be resent
    assert not dialog.resend_button.isEnabled()
    _select(dialog, "Bo Parked")
    assert dialog.resend_button.isEnabled()
    with qtbot.waitSignal(dialog.logbook.changed, timeout=1000) as told:
        dialog.resend_button.click()
    assert [e.summary for e in told.args[0].entries] == ["Bo Parked"]
    assert _rows(dialog)["Bo Parked"][0] == "Waiting to sync"
    assert outbox.get(told.args[0].entries[0].id).state == "waiting"
    assert dialog.selected() is not None
    assert dialog.selected().summary == "Bo Parked"  # the row was updated in place


def test_export_writes_every_call_as_csv(dialog, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    assert dialog.export_to(str(path)) == 3
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["prospect"] for r in rows] == ["Ana Sent", "Bo Parked", "Cy Waiting"]
    assert rows[0]["outreach_call_id"] == "4242"
    assert rows[1]["state"] == "attention"


def test_a_call_s_task_completion_is_a_row_of_its_own(qtbot, logbook, outbox: Outbox) -> None:
    def with_task(n: int, task: int) -> NewCall:
        return NewCall(
            attributes=CallAttributes(vendorCallId=f"vid-{n}", sequenceAction="Finish"),
            relationships=CallRelationships.link(prospect=n, task=task),
        )

    pending = outbox.enqueue(with_task(10, 71), summary="Di Pending", complete_task=True)
    (follow,) = outbox.followers(pending.id)
    dlg = OutboxDialog(logbook)
    qtbot.addWidget(dlg)
    dlg.show()
    m = dlg.model
    by_what = {m.index(r, 2).data(): m.index(r, 3).data() for r in range(m.rowCount())}
    assert by_what["Mark task 71 complete (finish, no reply)"] == "Waiting for its call"
    outbox.mark_attention(pending.id, "refused", [])
    dlg.refresh()
    by_what = {m.index(r, 2).data(): m.index(r, 3).data() for r in range(m.rowCount())}
    assert by_what["Mark task 71 complete (finish, no reply)"] == (
        "Waiting for its call (it needs attention)"
    )
    outbox.resend(pending.id)
    outbox.mark_sent(pending.id, 510)
    outbox.mark_sent(follow.id, 71)
    dlg.refresh()
    by_what = {m.index(r, 2).data(): m.index(r, 3).data() for r in range(m.rowCount())}
    assert by_what["Call"] == "Sent (call 510)"
    assert by_what["Mark task 71 complete (finish, no reply)"] == "Task completed"
    assert dlg.summary.text() == (
        "Today: 4 calls and 1 other write · 3 sent · 1 waiting · 1 need attention"
    )


def test_discarding_a_call_discards_what_waits_for_it(
    qtbot, dialog, outbox: Outbox, monkeypatch
) -> None:
    call = NewCall(
        attributes=CallAttributes(vendorCallId="vid-task"),
        relationships=CallRelationships.link(prospect=9, task=90),
    )
    entry = outbox.enqueue(call, summary="Flo Follows", complete_task=True)
    (follow,) = outbox.followers(entry.id)
    dialog.refresh()
    row = dialog.model.row_of(entry.id)
    dialog.table.selectRow(row)
    asked: list[str] = []

    def question(*args: object) -> QMessageBox.StandardButton:
        asked.append(str(args[2]))
        return QMessageBox.StandardButton.Discard

    monkeypatch.setattr(QMessageBox, "question", question)
    with qtbot.waitSignal(dialog.logbook.changed, timeout=1000) as told:
        dialog.discard_button.click()
    assert "(1 more) is discarded with it" in asked[0]
    assert {e.id for e in told.args[0].entries} == {entry.id, follow.id}
    assert dialog.model.row_of(entry.id) is None
    assert dialog.model.row_of(follow.id) is None
    assert outbox.get(follow.id).state == "discarded"


def test_a_call_of_unknown_fate_says_outreach_is_being_checked(
    dialog: OutboxDialog, outbox: Outbox
) -> None:
    entry = outbox.enqueue(_call(4), summary="Di Dropped")
    outbox.mark_checking(  # its POST's answer was lost; Outreach's reads do not show it yet
        entry.id, delay=8, note="Checking whether Outreach got it: not among its calls yet."
    )
    dialog.logbook.retry_now()  # any change the logbook announces reaches the open dialog
    status, details = _rows(dialog)["Di Dropped"]
    assert status == "Checking whether Outreach got it"
    assert "not among its calls yet" in details


def test_a_damaged_call_is_listed_as_needing_attention_with_why(
    dialog: OutboxDialog, outbox: Outbox
) -> None:
    entry = outbox.enqueue(_call(5), summary="Ed Damaged")
    outbox._db.execute("UPDATE operations SET body='{broken' WHERE id=?", (entry.id,))
    while outbox.claim_next("t") is not None:  # the sender meets it: parked on the way
        pass
    dialog.refresh()
    status, details = _rows(dialog)["Ed Damaged"]
    assert status == "Needs attention"
    assert "damaged" in details


def test_discarding_in_the_dialog_updates_the_window_s_status_bar(
    qtbot, tmp_path: Path, make_window, sandbox, monkeypatch
) -> None:
    """The dialog changes the outbox only through the logbook, so the window re-counts: after a
    discard the status bar no longer says a call needs attention."""
    box = Outbox(tmp_path / "parked.sqlite3")
    parked = box.enqueue(_call(7), summary="Di Parked")
    box.claim_next("t")
    box.mark_attention(parked.id, "refused", [FieldError("/data/attributes/note", "note", "bad")])
    box.close()
    opened = make_window(sandbox, outbox_name="parked")
    win = opened.win
    qtbot.waitUntil(lambda: "1 need attention" in win.outbox_label.text(), timeout=5000)
    dialog = win.show_outbox()
    _select(dialog, "Di Parked")
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.Discard)
    dialog.discard_button.click()
    assert "Di Parked" not in _rows(dialog)
    assert dialog.summary.text().endswith(" 0 need attention")
    assert win.outbox_label.text() == "All calls synced"
    assert win.outbox_label.property("attention") is False


def test_a_change_is_read_only_by_an_open_outbox_view(
    qtbot, dialog: OutboxDialog, outbox: Outbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A burst announced while the view is closed costs no read of what changed; the open view
    reads it once, however many listen."""
    reads: list[frozenset[int]] = []
    real = Outbox.get_many

    def get_many(box: Outbox, ids) -> list:
        reads.append(frozenset(ids))
        return real(box, ids)

    monkeypatch.setattr(Outbox, "get_many", get_many)
    parked = next(e for e in outbox.entries() if e.summary == "Bo Parked")
    dialog.hide()
    with qtbot.waitSignal(dialog.logbook.changed, timeout=1000) as told:
        dialog.logbook.resend(parked.id)
    assert told.args[0].counts.unsent == 2
    assert reads == []
    dialog.refresh()  # as the window opens it
    dialog.show()
    reads.clear()
    assert _rows(dialog)["Bo Parked"][0] == "Waiting to sync"
    outbox.claim_next("t")  # Outreach refuses it again
    outbox.mark_attention(parked.id, "refused", [FieldError("/data/attributes/note", "note", "no")])
    with qtbot.waitSignal(dialog.logbook.changed, timeout=1000) as told:
        dialog.logbook.resend(parked.id)
    assert reads == [frozenset({parked.id})]
    assert [e.summary for e in told.args[0].entries] == ["Bo Parked"]  # read once, kept
    assert len(reads) == 1
    assert _rows(dialog)["Bo Parked"][0] == "Waiting to sync"
