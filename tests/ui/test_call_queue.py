"""The call-task queue through the window, against a real sandbox: the rep's due tasks in the
order a rep works them, one key each to open the next, skip, snooze and reschedule, the saved
list and the card from this computer while Outreach cannot be reached, and the day's count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QListView, QPushButton

from dialer_app.core import settings as s
from dialer_app.core.worklist import day_bounds, ordered
from dialer_app.ui.callback import CallbackDialog
from dialer_app.ui.queue_panel import TaskRole
from tests.support.clock import FakeClock
from tests.support.qt import by_name, phase
from tests.support.writes import every_task

pytestmark = pytest.mark.slow  # each test starts a sandbox of its own and a window


def _key(
    qtbot: Any, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    target = QApplication.focusWidget() or QApplication.activeWindow()
    qtbot.keyClick(target, key, modifier)


def _due_tasks(server: Any, user_id: int) -> list[dict[str, Any]]:
    """The rep's open call tasks due by the end of the local day, as the sandbox holds them."""
    _start, end = day_bounds(datetime.now(UTC))
    with server.client() as api:
        rows = every_task(api, **{"filter[state]": "incomplete"})
    return [
        t
        for t in rows
        if (
            t["attributes"]["action"] == "call"
            or t["attributes"]["taskType"] == "sequence_step_call"
        )
        and (t["relationships"]["owner"]["data"] or {}).get("id") == user_id
        and datetime.fromisoformat(t["attributes"]["dueAt"]) < end
    ]


def _task(server: Any, task_id: int) -> dict[str, Any]:
    with server.client() as api:
        return dict(api.get(f"/tasks/{task_id}").json()["data"])


def _ready(qtbot: Any, opened: Any) -> None:
    queue = opened.queue
    qtbot.waitUntil(
        lambda: queue.loaded and not queue.reading and not queue.problem, timeout=15_000
    )
    opened.win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)


def test_the_list_is_the_reps_due_call_tasks_callable_ones_first(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox()
    opened = make_window(server)
    win, queue = opened.win, opened.queue
    _ready(qtbot, opened)
    user = opened.connection.user
    expected = {int(t["id"]) for t in _due_tasks(server, user.id)}
    assert expected, "the demo rep has work"
    listed = by_name(win, "Call tasks", QListView)
    model = listed.model()
    rows = [model.index(r, 0) for r in range(model.rowCount())]
    got = [model.data(i, TaskRole) for i in rows]
    assert set(got) == expected
    assert got == [i.task_id for i in ordered(queue.items(), opened.clock.now(), 8, 20)]
    assert by_name(win, "Call tasks due", QLabel).text() == f"{len(expected)} due"
    first = model.data(rows[0], Qt.ItemDataRole.AccessibleTextRole)
    assert first.startswith("1. ")
    assert "their time" in first


def test_one_key_each_opens_skips_snoozes_and_reschedules(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox()
    opened = make_window(server)
    win, queue = opened.win, opened.queue
    _ready(qtbot, opened)
    order = [i.task_id for i in queue.items()]
    assert len(order) >= 4

    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_F8)
    assert queue.work.current == order[0]
    first = queue.work.get(order[0])
    assert win.desk.card is not None
    assert win.desk.card.id == first.prospect_id
    qtbot.waitUntil(lambda: win.card.detail is not None)
    assert win.card.detail.task is not None
    assert win.card.detail.task.id == order[0]

    _key(qtbot, Qt.Key.Key_F9)  # skip: to the end, the next one opens
    assert queue.work.current == order[1]
    assert [i.task_id for i in queue.items()][-1] == order[0]

    snoozed = order[1]
    before = datetime.fromisoformat(_task(server, snoozed)["attributes"]["dueAt"])
    with qtbot.waitSignal(queue.told, timeout=10_000) as told:
        _key(qtbot, Qt.Key.Key_F10)
    assert "snoozed" in told.args[0]
    after = datetime.fromisoformat(_task(server, snoozed)["attributes"]["dueAt"])
    assert after >= max(before, datetime.now(UTC) - timedelta(minutes=1)) + timedelta(hours=23)
    assert snoozed not in [i.task_id for i in queue.items()]
    assert queue.work.current == order[2]

    moved = queue.current()
    assert moved is not None

    def choose_tomorrow() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, CallbackDialog)
        qtbot.keyClick(dialog.choices, Qt.Key.Key_1)
        qtbot.keyClick(dialog.choices, Qt.Key.Key_Return)

    QTimer.singleShot(0, choose_tomorrow)
    with qtbot.waitSignal(queue.told, timeout=10_000) as told:
        _key(qtbot, Qt.Key.Key_F11)
    assert "moved" in told.args[0]
    due = datetime.fromisoformat(_task(server, moved.task_id)["attributes"]["dueAt"])
    local = due.astimezone(ZoneInfo(moved.time_zone)) if moved.time_zone else due.astimezone()
    assert (local.hour, local.minute) == (9, 0)
    assert local.weekday() < 5
    assert due > datetime.now(UTC)
    assert moved.task_id not in [i.task_id for i in queue.items()]
    assert queue.work.current == order[3]
    assert by_name(win, "Call tasks due", QLabel).text() == f"{len(order) - 2} due"


def test_a_snooze_outreach_refuses_puts_the_task_back_and_says_why(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox()
    opened = make_window(server)
    win, queue = opened.win, opened.queue
    _ready(qtbot, opened)
    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_F8)
    task = queue.work.current
    with server.client() as api:  # completed meanwhile, elsewhere
        done = api.post(f"/tasks/{task}/actions/markComplete")
        assert done.status_code == 200, done.text
    with qtbot.waitSignal(queue.told, timeout=10_000) as told:
        by_name(win, "Snooze task", QPushButton).click()
    assert "was not snoozed" in told.args[0]
    assert "already complete" in told.args[0]
    assert task in [i.task_id for i in queue.items()], "back in the list"
    assert "was not snoozed" in win.log_message.text()


def test_without_outreach_the_saved_list_and_the_card_from_this_computer(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox()
    opened = make_window(server, outbox_name="offline")
    win, queue, lookup = opened.win, opened.queue, opened.lookup
    _ready(qtbot, opened)
    qtbot.waitUntil(lambda: lookup.index is not None and len(lookup.index) > 0, timeout=30_000)
    items = queue.items()
    assert queue._cache is not None
    assert queue._cache.path.exists()

    server.faults(error_rate=1.0, error_statuses=[502])
    with qtbot.waitSignal(queue.changed, timeout=20_000):
        queue.refresh()
    qtbot.waitUntil(lambda: not queue.reading, timeout=20_000)
    state = by_name(win, "Call tasks list state", QLabel)
    assert state.text().startswith("Saved list from ")
    assert "could not be reached" in state.text()
    assert [i.task_id for i in queue.items()] == [i.task_id for i in items]

    def numbers(item: Any) -> tuple[Any, ...]:
        kept = lookup.index.get(item.prospect_id)
        return kept.phone_numbers if kept is not None else ()

    indexed = next(i for i in items if numbers(i))
    with qtbot.waitSignal(lookup.prospectFailed, timeout=20_000):
        win._open_task(indexed.task_id)
    qtbot.waitUntil(lambda: win.card.detail is not None, timeout=5_000)
    assert win.card.detail.prospect.id == indexed.prospect_id
    assert win.card.detail.task is not None
    assert win.card.detail.task.id == indexed.task_id
    # Dial and log with Outreach away: the call waits in the outbox, linked to its task.
    _key(qtbot, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert phase(win) == "ringing"
    assert opened.handed, "the number went to the softphone"
    _key(qtbot, Qt.Key.Key_F7)
    qtbot.waitUntil(lambda: phase(win) == "wrapping")
    win.wrapup.disposition.setCurrentIndex(5)
    with qtbot.waitSignal(opened.logbook.callQueued, timeout=5_000) as queued:
        _key(qtbot, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert queued.args[0].call.relationships.task.id == indexed.task_id
    assert indexed.task_id not in [i.task_id for i in queue.items()]

    # The app started again while Outreach is away: the saved list, at once.
    from dialer_app.services.queue import CallQueue

    again = CallQueue(
        queue._runner,
        s.Settings(),
        client=lambda: None,
        user=lambda: None,
        cache=queue._cache,
    )
    assert again.loaded
    assert again.source_text().startswith("Saved list from ")
    assert {i.task_id for i in again.items()} == {i.task_id for i in queue.items()}


def test_todays_count_and_the_goal_in_the_status_bar(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox()
    settings = s.Settings()
    settings.set(s.DAILY_CALL_GOAL, 40)
    # Midday of today: the two minutes the call takes never carry it into tomorrow (run just
    # before midnight, "today" had moved on by the time the call was counted).
    midday = day_bounds(datetime.now(UTC))[0] + timedelta(hours=12)
    opened = make_window(server, settings=settings, clock=FakeClock(midday))
    win, queue = opened.win, opened.queue
    _ready(qtbot, opened)
    label = by_name(win, "Today's calls", QLabel)
    start = queue.today.calls
    assert label.text() == f"Today {start}/40"

    with qtbot.waitSignal(opened.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_F8)
    win.call.dial.click()
    opened.clock.advance(5)
    win.call.answered.click()
    opened.clock.advance(125)
    win.call.hang_up.click()
    win.wrapup.disposition.setCurrentIndex(1)
    with qtbot.waitSignal(opened.logbook.callSent, timeout=10_000):
        win.log_button.click()
    assert label.text() == f"Today {start + 1}/40"
    assert "talk time" in label.toolTip()

    with server.client() as api:  # a call logged elsewhere today (another computer)
        body = {
            "data": {
                "type": "call",
                "attributes": {"outcome": "Answered", "dialedAt": datetime.now(UTC).isoformat()},
                "relationships": {
                    "user": {"data": {"type": "user", "id": opened.connection.user.id}}
                },
            }
        }
        made = api.post("/calls", json=body, headers={"Content-Type": "application/vnd.api+json"})
        assert made.status_code == 201, made.text
    with qtbot.waitSignal(queue.todayChanged, timeout=15_000):
        queue.refresh()
    qtbot.waitUntil(lambda: label.text() == f"Today {start + 2}/40", timeout=10_000)
    assert queue.today.reconciled
