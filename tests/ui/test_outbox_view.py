"""The outbox view tells the rep what happened to each call and lets them act on it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.jsonapi import FieldError
from dialer_app.core.outbox import Outbox
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
def dialog(qtbot, outbox: Outbox) -> OutboxDialog:
    dlg = OutboxDialog(outbox)
    qtbot.addWidget(dlg)
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


def test_resend_puts_a_parked_call_back_in_the_queue(dialog, outbox) -> None:
    woken = []
    dialog.on_wake = lambda: woken.append(True)
    _select(dialog, "Ana Sent")  # a sent call cannot be resent
    assert not dialog.resend_button.isEnabled()
    _select(dialog, "Bo Parked")
    assert dialog.resend_button.isEnabled()
    dialog.resend_button.click()
    assert _rows(dialog)["Bo Parked"][0] == "Waiting to sync"
    assert woken == [True]


def test_export_writes_every_call_as_csv(dialog, tmp_path: Path) -> None:
    path = tmp_path / "calls.csv"
    assert dialog.export_to(str(path)) == 3
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["prospect"] for r in rows] == ["Ana Sent", "Bo Parked", "Cy Waiting"]
    assert rows[0]["outreach_call_id"] == "4242"
    assert rows[1]["state"] == "attention"


def test_a_call_s_task_follow_up_is_shown(qtbot, outbox: Outbox) -> None:
    def with_task(n: int, task: int) -> NewCall:
        return NewCall(
            attributes=CallAttributes(vendorCallId=f"vid-{n}"),
            relationships=CallRelationships.link(prospect=n, task=task),
        )

    names = {"Ed Done": 71, "Flo Failed": 72, "Di Pending": 73}
    for n, (name, task) in enumerate(names.items(), start=10):
        entry = outbox.enqueue(with_task(n, task), summary=name, complete_task=True)
        claimed = outbox.claim_batch("t", 20)
        outbox.mark_sent(entry.id, 500 + n)
        outbox.unclaim([e.id for e in claimed if e.id != entry.id])
    done, failed = (outbox.claim_task("t") for _ in range(2))
    assert done is not None
    assert failed is not None
    outbox.mark_task_done(done.id)
    outbox.mark_task_failed(failed.id, "Not found: no such task")
    dlg = OutboxDialog(outbox)
    qtbot.addWidget(dlg)
    rows = _rows(dlg)
    assert rows["Di Pending"] == ("Sent (call 512); completing its task…", "")
    assert rows["Ed Done"] == ("Sent (call 510); task completed", "")
    assert rows["Flo Failed"] == (
        "Sent (call 511); task not completed",
        "Task 72: Not found: no such task",
    )


def test_a_call_of_unknown_fate_says_outreach_is_being_checked(
    dialog: OutboxDialog, outbox: Outbox
) -> None:
    entry = outbox.enqueue(_call(4), summary="Di Dropped")
    outbox.mark_checking(  # its POST's answer was lost; Outreach's reads do not show it yet
        entry.id, delay=8, note="Checking whether Outreach got it: not among its calls yet."
    )
    dialog.refresh()
    status, details = _rows(dialog)["Di Dropped"]
    assert status == "Checking whether Outreach got it"
    assert "not among its calls yet" in details


def test_a_damaged_call_is_listed_as_needing_attention_with_why(
    dialog: OutboxDialog, outbox: Outbox
) -> None:
    entry = outbox.enqueue(_call(5), summary="Ed Damaged")
    outbox._db.execute("UPDATE outbox SET body='{broken' WHERE id=?", (entry.id,))
    while outbox.claim_next("t") is not None:  # the sender meets it: parked on the way
        pass
    dialog.refresh()
    status, details = _rows(dialog)["Ed Damaged"]
    assert status == "Needs attention"
    assert "damaged" in details
