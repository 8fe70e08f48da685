"""Working the list end to end, against a real sandbox: three due call tasks worked with F8 once
and then Log & next — three calls in Outreach, each linked to its task, the tasks completed as
the `complete_call_task` setting says, the list moving on by itself, and a callback asked for
on the first call created once in Outreach even though the answer to its POST is lost."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel

from dialer_app.core.outreach.bodies import ref_of, without_ref
from dialer_app.ui.callback import CallbackDialog
from tests.support.qt import by_name, phase

pytestmark = pytest.mark.slow  # a sandbox of its own, three calls through the window

Mod = Qt.KeyboardModifier


def _key(qtbot: Any, key: Qt.Key, modifier: Mod = Mod.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget() or QApplication.activeWindow(), key, modifier)


def _calls_of_task(server: Any, task_id: int) -> list[dict[str, Any]]:
    with server.client() as api:
        body = api.get("/calls", params={"filter[task][id]": task_id, "page[size]": 50}).json()
    return list(body["data"])


def _callbacks(server: Any, prospect_id: int) -> list[dict[str, Any]]:
    """The prospect's tasks this app made (a reference line ends their note)."""
    with server.client() as api:
        params = {"filter[prospect][id]": prospect_id, "page[size]": 200}
        body = api.get("/tasks", params=params).json()
    return [t for t in body["data"] if ref_of(t["attributes"].get("note"))]


def _state(server: Any, task_id: int) -> str:
    with server.client() as api:
        return str(api.get(f"/tasks/{task_id}").json()["data"]["attributes"]["state"])


@pytest.mark.parametrize("complete", [True, False], ids=["complete-tasks", "leave-to-outreach"])
def test_three_tasks_worked_with_log_and_next(
    qtbot: Any, make_sandbox: Any, make_window: Any, complete: bool
) -> None:
    server = make_sandbox()
    opened = make_window(server, complete_call_task=complete)
    win, queue, clock = opened.win, opened.queue, opened.clock
    qtbot.waitUntil(
        lambda: queue.loaded and not queue.reading and not queue.problem, timeout=15_000
    )
    qtbot.waitUntil(lambda: win.wrapup.disposition.count() > 1)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    due_before = queue.count()
    planned = [i.task_id for i in queue.items()[:3]]
    assert len(planned) == 3

    # The answer to the callback's POST /tasks will be lost, once (Outreach stores the task).
    server.faults(drop_after_commit=1, drop_only="/tasks")
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_F8)
    first = queue.current()
    assert first is not None
    assert first.prospect_id is not None
    worked: list[int] = []
    vendor_ids: list[str] = []
    for n in range(3):
        task = queue.work.current
        assert task == planned[n], "the next task in the list's order"
        qtbot.waitUntil(lambda: win.card.detail is not None and win.card.detail.task is not None)
        assert win.card.detail.task.id == task
        _key(qtbot, Qt.Key.Key_1, Mod.AltModifier)
        clock.advance(15)
        _key(qtbot, Qt.Key.Key_F7)
        qtbot.waitUntil(lambda: phase(win) == "wrapping")
        _key(qtbot, Qt.Key.Key_5)  # "No Answer"
        if n == 0:  # call back tomorrow 9:00 their time, with a note

            def choose_tomorrow() -> None:
                dialog = QApplication.activeModalWidget()
                assert isinstance(dialog, CallbackDialog)
                qtbot.keyClicks(dialog.note_edit, "Ask for Dana")
                qtbot.keyClick(dialog.choices, Qt.Key.Key_1)
                qtbot.keyClick(dialog.choices, Qt.Key.Key_Return)

            QTimer.singleShot(0, choose_tomorrow)
            _key(qtbot, Qt.Key.Key_B, Mod.AltModifier)
            assert win.callback_row.callback is not None
            win.activateWindow()  # back from the dialog (the offscreen platform does not)
            qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
        with qtbot.waitSignal(opened.logbook.callSent, timeout=10_000) as sent:
            _key(qtbot, Qt.Key.Key_Return, Mod.ControlModifier | Mod.ShiftModifier)
        worked.append(task)
        vendor_ids.append(sent.args[0].vendor_call_id)
        if n < 2:
            qtbot.waitUntil(lambda t=task: queue.work.current not in (None, t), timeout=10_000)

    assert [t for t in planned if t in {i.task_id for i in queue.items()}] == []
    # The callback: sent after its call, looked for after the lost answer, in Outreach once.
    qtbot.waitUntil(
        lambda: [e.state for e in opened.outbox.entries(kinds=("callback",))] == ["sent"],
        timeout=30_000,
    )
    (callback,) = _callbacks(server, first.prospect_id)
    (entry,) = opened.outbox.entries(kinds=("callback",))
    assert (int(callback["id"]), ref_of(callback["attributes"]["note"])) == (
        entry.outreach_id,
        entry.ref,
    )
    assert without_ref(callback["attributes"]["note"]) == "Ask for Dana"
    shown = opened.logbook.describe(entry)  # its line in the Outbox view
    assert shown.what.startswith("Callback ")
    assert shown.what.endswith(" their time" if first.time_zone else " your time")
    assert shown.status == f"Callback created (task {entry.outreach_id})"
    assert callback["attributes"]["action"] == "call"
    due = datetime.fromisoformat(callback["attributes"]["dueAt"])
    zone = ZoneInfo(first.time_zone) if first.time_zone else None
    assert due > datetime.now(UTC)
    assert (due.astimezone(zone).hour, due.astimezone(zone).minute) == (9, 0)
    assert by_name(win, "Call tasks due", QLabel).text() == f"{due_before - 3} due"
    for task, vid in zip(worked, vendor_ids, strict=True):
        calls = _calls_of_task(server, task)
        assert [c["attributes"]["vendorCallId"] for c in calls] == [vid], "one call, linked"
    if complete:  # the follow-up completes each task once, after its call is delivered
        for task in worked:
            qtbot.waitUntil(lambda t=task: _state(server, t) == "complete", timeout=15_000)
        qtbot.waitUntil(lambda: all(e.state == "sent" for e in opened.outbox.entries()))
        completions = opened.outbox.entries(kinds=("complete_task",))
        assert sorted(e.outreach_id for e in completions) == sorted(worked), "each once"
    else:  # left to Outreach, which (this sandbox's default) leaves them open
        assert all(_state(server, t) == "incomplete" for t in worked)
        with qtbot.waitSignal(queue.changed, timeout=15_000):
            queue.refresh()  # Outreach still lists them: done here, they stay out of the list
        qtbot.waitUntil(lambda: not queue.reading)
        assert not {i.task_id for i in queue.items()} & set(worked)
