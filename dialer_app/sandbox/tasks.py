"""`POST /tasks/{id}/actions/markComplete`: complete a task and move its sequence state on.

The task becomes `state: "complete"`, `completed: true`, with `completedAt`. For a sequence step
task, `actionParams[completionAction]` decides the sequence state: `finish_no_reply` and
`finish_replied` finish it; anything else (or nothing) advances it to the sequence's next step,
finishing it after the last. `actionParams[completionNote]` is accepted and not stored.
A task that is already complete gets 422.

In the dialect where calls complete tasks (`dialer_app.sandbox.dialects`), a stored call with a
`task` and a `sequenceAction` completes that task the same way, with the completion action its
sequence action implies (`Finish`, `Finish - No Reply` → `finish_no_reply`; `Finish - Replied` →
`finish_replied`; `Advance` → advance), unless the task is already complete.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from dialer_app.core.calls import format_utc

from .errors import validation_error, validation_failed
from .query import parse_list_query
from .resources import SEQUENCE_STATE, SEQUENCE_STEP, TASK
from .store import Row, Store

FINISHING = ("finish_no_reply", "finish_replied")
COMPLETION_OF_SEQUENCE_ACTION = {
    "Advance": "",
    "Finish": "finish_no_reply",
    "Finish - No Reply": "finish_no_reply",
    "Finish - Replied": "finish_replied",
}


def _next_step(store: Store, sequence_id: int, order: int) -> int | None:
    query = parse_list_query(
        SEQUENCE_STEP, {"filter[sequence][id]": str(sequence_id), "page[size]": "1000"}
    )
    later = [r for r in store.page(SEQUENCE_STEP, query).rows if r.attrs.get("order", 0) > order]
    return min(later, key=lambda r: r.attrs["order"]).id if later else None


def _move_sequence_state(store: Store, state_id: int, action: str, stamp: str) -> None:
    state = store.get(SEQUENCE_STATE, state_id)
    if state is None or state.attrs.get("state") != "active":
        return
    links = dict(state.links)
    attrs = {**state.attrs, "updatedAt": stamp, "callCompletedAt": stamp}
    step = store.get(SEQUENCE_STEP, links["sequenceStep"] or 0)
    following = None
    if action not in FINISHING and step is not None and links["sequence"] is not None:
        following = _next_step(store, links["sequence"], int(step.attrs.get("order", 0)))
    if following is None:
        attrs.update(state="finished", stateChangedAt=stamp)
    else:
        links["sequenceStep"] = following
    store.update(replace(state, attrs=attrs, links=links))


def mark_complete(store: Store, task_id: int, action: str, now: datetime) -> Row | None:
    """The completed task (on the database thread); None when there is no such task."""
    task = store.get(TASK, task_id)
    if task is None:
        return None
    if task.attrs.get("state") == "complete":
        error = validation_error("The task is already complete.", "/data/attributes/state")
        raise validation_failed([error])
    stamp = format_utc(now)
    attrs = {
        **task.attrs,
        "state": "complete",
        "completed": True,
        "completedAt": stamp,
        "stateChangedAt": stamp,
        "updatedAt": stamp,
    }
    done = replace(task, attrs=attrs)
    store.update(done)
    state_id = task.links.get("sequenceState")
    if state_id is not None:
        _move_sequence_state(store, state_id, action, stamp)
    return done


def complete_task_of_call(store: Store, call: Row, now: datetime) -> Row | None:
    """The task `call` completed (on the database thread); None when it completes none."""
    task_id = call.links.get("task")
    action = call.attrs.get("sequenceAction")
    if task_id is None or action not in COMPLETION_OF_SEQUENCE_ACTION:
        return None
    task = store.get(TASK, task_id)
    if task is None or task.attrs.get("state") == "complete":
        return None
    return mark_complete(store, task_id, COMPLETION_OF_SEQUENCE_ACTION[action], now)
