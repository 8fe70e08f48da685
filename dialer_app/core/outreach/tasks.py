"""Call tasks: the rep's queue, callbacks, snooze, reschedule, complete, and finding our own.

- `due_call_tasks`: the rep's open call tasks due by a time (and, if asked, from a time), each
  with its prospect (time zone included), sequence and step, ordered by due time. It asks
  `GET /tasks` with the filters the spec allows — `filter[owner][id]`, `filter[state]=incomplete`,
  `filter[dueAt]=A..B`, `sort=dueAt`, `include=prospect,sequence,sequenceStep` — and checks each
  of them again on what comes back (a server may ignore a filter or not sort). A call task is
  one whose `action` is `call` (callbacks: `taskType` `manual`) or whose `taskType` is
  `sequence_step_call`; `action` is not filterable, so other tasks are dropped here.
- `create_call_task` (`POST /tasks`), `snooze_task`, `reschedule_task`, `complete_task` (the
  task actions) — none retried here: the outbox decides.
- `find_own_task`: the task this app created for an outbox operation, recognised by the
  reference line at the end of its note (`bodies.ref_of`): a task has no vendor id, and `note`
  is not filterable, so it is looked for among the prospect's tasks.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..jsonapi import Document, Resource
from ..terms import format_utc
from . import errors as e
from .bodies import NewTask, ref_of, without_ref
from .client import PROSPECT_FIELDS, OutreachClient
from .models import Prospect
from .writes import linked, send_write

CALL_ACTION = "call"
CALL_TASK_TYPES = frozenset({"sequence_step_call"})
OPEN_STATES = frozenset({"incomplete"})
QUEUE_INCLUDE = "prospect,sequence,sequenceStep"
TASK_FIELDS = (
    "action,taskType,state,dueAt,note,completedAt,prospect,account,owner,sequence,"
    "sequenceState,sequenceStep"
)
QUEUE_PAGE = 200
MAX_PAGES = 50


def _text(attrs: Mapping[str, object], name: str) -> str:
    value = attrs.get(name)
    return value if isinstance(value, str) else ""


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _link_id(res: Resource, name: str, kind: str) -> int | None:
    ident = linked(res, name, kind)
    return ident.id if ident is not None else None


@dataclass(frozen=True, slots=True)
class Task:
    """A task as Outreach returns it."""

    id: int
    action: str
    task_type: str
    state: str
    due_at: datetime | None
    note: str
    prospect_id: int | None = None
    owner_id: int | None = None
    sequence_id: int | None = None
    sequence_state_id: int | None = None
    sequence_step_id: int | None = None
    completed_at: datetime | None = None

    @property
    def is_call(self) -> bool:
        return self.action == CALL_ACTION or self.task_type in CALL_TASK_TYPES

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def ref(self) -> str | None:
        """The outbox operation that created it, if this app did."""
        return ref_of(self.note)

    @property
    def rep_note(self) -> str:
        """The note without this app's reference line."""
        return without_ref(self.note)

    @classmethod
    def from_resource(cls, res: Resource) -> Task:
        a = res.attributes
        return cls(
            id=res.id,
            action=_text(a, "action"),
            task_type=_text(a, "taskType"),
            state=_text(a, "state"),
            due_at=_time(a.get("dueAt")),
            note=_text(a, "note"),
            prospect_id=_link_id(res, "prospect", "prospect"),
            owner_id=_link_id(res, "owner", "user"),
            sequence_id=_link_id(res, "sequence", "sequence"),
            sequence_state_id=_link_id(res, "sequenceState", "sequenceState"),
            sequence_step_id=_link_id(res, "sequenceStep", "sequenceStep"),
            completed_at=_time(a.get("completedAt")),
        )


@dataclass(frozen=True, slots=True)
class QueuedTask:
    """One entry of the rep's queue: the task, its prospect, its sequence and step."""

    task: Task
    prospect: Prospect | None
    sequence_name: str = ""
    step_order: int | None = None
    step_type: str = ""
    step_name: str = ""

    @property
    def time_zone(self) -> str:
        """The prospect's IANA time zone ("" when unknown)."""
        return self.prospect.time_zone if self.prospect is not None else ""


def _queued(doc: Document, res: Resource) -> QueuedTask:
    task = Task.from_resource(res)
    prospect, sequence, step = (
        doc.find_included(linked(res, name, name))
        for name in ("prospect", "sequence", "sequenceStep")
    )
    order = step.attributes.get("order") if step is not None else None
    return QueuedTask(
        task=task,
        prospect=Prospect.from_resource(prospect) if prospect is not None else None,
        sequence_name=_text(sequence.attributes, "name") if sequence is not None else "",
        step_order=order if isinstance(order, int) and not isinstance(order, bool) else None,
        step_type=_text(step.attributes, "stepType") if step is not None else "",
        step_name=_text(step.attributes, "displayName") if step is not None else "",
    )


async def due_call_tasks(
    client: OutreachClient,
    owner_id: int,
    due_by: datetime,
    *,
    due_from: datetime | None = None,
    limit: int = 500,
) -> list[QueuedTask]:
    """The rep's open call tasks due by `due_by` (and from `due_from`), soonest first.

    At most `limit` tasks, read in pages of `QUEUE_PAGE`; a next link that repeats, or more than
    `MAX_PAGES` pages, ends the list.
    """
    low = "neginf" if due_from is None else format_utc(due_from)
    params: dict[str, str | int] = {
        "filter[owner][id]": owner_id,
        "filter[state]": "incomplete",
        "filter[dueAt]": f"{low}..{format_utc(due_by)}",
        "sort": "dueAt",
        "include": QUEUE_INCLUDE,
        "fields[task]": TASK_FIELDS,
        "fields[prospect]": PROSPECT_FIELDS,
        "page[size]": min(QUEUE_PAGE, max(limit, 1)),
    }
    out: dict[int, QueuedTask] = {}
    doc = await client.read("/tasks", params)
    seen: set[str] = set()
    pages = 1
    while True:
        for res in doc.resources():
            item = _queued(doc, res)
            task = item.task
            if not (task.is_call and task.is_open and task.due_at is not None):
                continue
            if task.owner_id not in (None, owner_id) or task.due_at > due_by:
                continue
            if due_from is not None and task.due_at < due_from:
                continue
            out.setdefault(task.id, item)
        following = doc.next_url
        if following is None or following in seen or len(out) >= limit or pages >= MAX_PAGES:
            break
        seen.add(following)
        pages += 1
        doc = await client.read(following)
    ordered = sorted(out.values(), key=lambda q: (q.task.due_at or due_by, q.task.id))
    return ordered[:limit]


def _one_task(doc: Document) -> Task:
    found = doc.resources()
    if len(found) != 1 or found[0].type != "task":
        raise e.MalformedResponse("Outreach answered without the task.")
    return Task.from_resource(found[0])


async def get_task(client: OutreachClient, task_id: int) -> Task:
    """One task (read with the read retry policy)."""
    return _one_task(await client.read(f"/tasks/{task_id}", {"fields[task]": TASK_FIELDS}))


async def create_call_task(client: OutreachClient, task: NewTask) -> Task:
    """`POST /tasks` — never retried here: look for it with `find_own_task` before resending."""
    return _one_task(await send_write(client, "POST", "/tasks", body=task.to_document()))


async def _action(
    client: OutreachClient, task_id: int, action: str, params: dict[str, str | int]
) -> Task:
    path = f"/tasks/{task_id}/actions/{action}"
    return _one_task(await send_write(client, "POST", path, params=params or None))


async def snooze_task(client: OutreachClient, task_id: int, until: datetime | None = None) -> Task:
    """Snooze: due at `until`, or (None) a day after now or its due time, whichever is later."""
    params: dict[str, str | int] = {}
    if until is not None:
        params["actionParams[dueAt]"] = format_utc(until)
    return await _action(client, task_id, "snooze", params)


async def reschedule_task(client: OutreachClient, task_id: int, due_at: datetime) -> Task:
    """Reschedule: due at `due_at`."""
    return await _action(client, task_id, "reschedule", {"actionParams[dueAt]": format_utc(due_at)})


async def complete_task(client: OutreachClient, task_id: int, completion_action: str = "") -> Task:
    """Mark complete; `completion_action` `finish_no_reply` or `finish_replied` finish a
    sequence step task's sequence, empty advances it. Refused (422) when already complete."""
    params: dict[str, str | int] = {}
    if completion_action:
        params["actionParams[completionAction]"] = completion_action
    return await _action(client, task_id, "markComplete", params)


async def find_own_task(
    client: OutreachClient, prospect_id: int, ref: str, *, owner_id: int | None = None
) -> Task | None:
    """The prospect's task whose note carries the reference `ref`, in any state; None if none
    (yet: Outreach's reads may lag its writes)."""
    params: dict[str, str | int] = {
        "filter[prospect][id]": prospect_id,
        "fields[task]": TASK_FIELDS,
    }
    if owner_id is not None:
        params["filter[owner][id]"] = owner_id
    async for res in client.paginate("/tasks", params):
        task = Task.from_resource(res)
        if task.ref == ref and task.prospect_id in (None, prospect_id):
            return task
    return None
