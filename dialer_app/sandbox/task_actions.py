"""`POST /tasks/{id}/actions/snooze` and `.../reschedule`: move a task's due time.

As the spec describes them, with `actionParams` in the query (`actionParams[dueAt]=…`):

- **snooze** (optional `dueAt`, `markAsUrgent`): without `dueAt`, the task falls due a day later
  than now or its current `dueAt`, whichever is later; with `dueAt`, at that time.
  `markAsUrgent` must be `true` or `false` when given (this sandbox keeps no urgency).
- **reschedule** (required `dueAt`): the task falls due at `dueAt`.

`dueAt` is an ISO 8601 date-time with a time zone. The answer (200) is the task, with `dueAt`,
`scheduledAt` and `updatedAt` changed. Refusals: 404 for a task that does not exist; 422 for a
completed task (on `/data/attributes/state`, as `markComplete` answers) and for a missing or
unreadable parameter (`source.parameter`, e.g. `actionParams[dueAt]`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from dialer_app.core.terms import format_utc

from .attributes import parse_date_time
from .errors import ApiError, ErrorObject, validation_error, validation_failed
from .resources import TASK
from .store import Row, Store

DUE_PARAM = "actionParams[dueAt]"
URGENT_PARAM = "actionParams[markAsUrgent]"
SNOOZE = timedelta(days=1)


def _parameter_error(param: str, detail: str) -> ApiError:
    error = ErrorObject("validationError", "Validation Error", detail, parameter=param)
    return validation_failed([error])


def due_param(params: Mapping[str, str], required: bool) -> datetime | None:
    """`actionParams[dueAt]` as an aware UTC datetime; 422 when missing (if required) or bad."""
    raw = params.get(DUE_PARAM)
    if raw is None:
        if required:
            raise _parameter_error(DUE_PARAM, f"{DUE_PARAM} is required: the new due time")
        return None
    try:
        return parse_date_time(raw)
    except ValueError as exc:
        raise _parameter_error(DUE_PARAM, f"{DUE_PARAM} {exc}") from None


def check_urgent_param(params: Mapping[str, str]) -> None:
    raw = params.get(URGENT_PARAM)
    if raw is not None and raw not in ("true", "false"):
        raise _parameter_error(URGENT_PARAM, f"{URGENT_PARAM} must be true or false")


def _open_task(store: Store, task_id: int) -> Row | None:
    task = store.get(TASK, task_id)
    if task is not None and task.attrs.get("state") == "complete":
        error = validation_error("The task is already complete.", "/data/attributes/state")
        raise validation_failed([error])
    return task


def _move(store: Store, task: Row, due: datetime, now: datetime) -> Row:
    stamp = format_utc(due)
    attrs = {**task.attrs, "dueAt": stamp, "scheduledAt": stamp, "updatedAt": format_utc(now)}
    moved = replace(task, attrs=attrs)
    store.update(moved)
    return moved


def snooze(store: Store, task_id: int, due: datetime | None, now: datetime) -> Row | None:
    """The snoozed task (on the database thread); None when there is no such task."""
    task = _open_task(store, task_id)
    if task is None:
        return None
    if due is None:
        try:
            current = parse_date_time(task.attrs.get("dueAt"))
        except ValueError:
            current = now
        try:
            due = max(now, current) + SNOOZE
        except OverflowError:
            error = validation_error(
                "dueAt cannot move past the year 9999.", "/data/attributes/dueAt"
            )
            raise validation_failed([error]) from None
    return _move(store, task, due, now)


def reschedule(store: Store, task_id: int, due: datetime, now: datetime) -> Row | None:
    """The rescheduled task (on the database thread); None when there is no such task."""
    task = _open_task(store, task_id)
    return None if task is None else _move(store, task, due, now)
