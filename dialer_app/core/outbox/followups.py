"""Follow-ups: what a logged call brings after it, each an operation that needs the call.

- `complete_task` — once the call is delivered, mark the call task it was logged against
  complete in Outreach (the rep's setting "mark the call task complete", decided when the call
  is logged). The task is read before every attempt (`look_first`): one already complete — by
  Outreach itself, by another app, or by this one before a crash — is not completed again, so a
  sequence never moves on twice.
- `callback` — once the call is delivered, a new call task for the rep about the prospect, due
  when the rep asked (`POST /tasks`). A task has no vendor id: the note carries this app's
  reference line with the operation's `ref`, and after a POST whose answer was lost the
  prospect's tasks are searched for it (`find_own_task`) before it is ever sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..callbacks import describe as describe_time
from ..calls import NewCall
from ..outreach.bodies import NewTask
from ..outreach.tasks import create_call_task, find_own_task
from .kinds import Delivered, Given, JsonObject, Kind
from .queue import After, Step

if TYPE_CHECKING:
    from ..outreach.client import OutreachClient
    from .queue import Entry

# Outreach's `completionAction` for the call's `sequenceAction` (`markComplete` finishes the
# sequence state for these two and advances it for anything else).
COMPLETION_ACTIONS = {
    "Finish": "finish_no_reply",
    "Finish - No Reply": "finish_no_reply",
    "Finish - Replied": "finish_replied",
}
ACTION_WORDS = {"finish_no_reply": "finish, no reply", "finish_replied": "finish, replied"}


class CompleteTaskKind(Kind[tuple[int, str]]):
    name = "complete_task"
    label = "Task completion"
    roles = frozenset({"call"})
    look_first = True

    def check(self, body: JsonObject) -> tuple[int, str]:
        task, action = body.get("task"), body.get("completionAction", "")
        if not isinstance(task, int) or isinstance(task, bool) or task <= 0:
            raise ValueError("no task id")
        if not isinstance(action, str):
            raise ValueError("the completion action is not text")
        return task, action

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        task, action = self.read(entry)
        await client.mark_task_complete(task, action)
        return Delivered(task)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        task, _action = self.read(entry)
        return Delivered(task) if await client.task_state(task) == "complete" else None

    def describe(self, entry: Entry) -> str:
        try:
            task, action = self.read(entry)
        except ValueError:
            return "Mark the call's task complete"
        how = ACTION_WORDS.get(action, "")
        return f"Mark task {task} complete" + (f" ({how})" if how else "")

    def done(self, entry: Entry) -> str:
        return "Task completed"


class CallbackKind(Kind[NewTask]):
    """A callback the rep asked for at wrap-up. Body: `prospect` (id), `dueAt` (ISO, aware),
    `note` (the rep's words), `owner` (the rep's user id, or null: the token's user), `zone`
    (the prospect's time zone, for the Outbox view only)."""

    name = "callback"
    label = "Callback"
    roles = frozenset({"call"})

    def check(self, body: JsonObject) -> NewTask:
        note = body.get("note") or None
        return NewTask.make(
            prospect=body.get("prospect"),
            dueAt=body.get("dueAt"),
            note=note,
            owner=body.get("owner"),
            ref="r" * 32,  # an operation's ref (a uuid's hex): checked here, so the note fits
        )

    def _task(self, entry: Entry) -> NewTask:
        return self.read(entry).model_copy(update={"ref": entry.ref})

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        created = await create_call_task(client, self._task(entry))
        return Delivered(created.id)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        task = self._task(entry)
        found = await find_own_task(client, task.prospect, entry.ref, owner_id=task.owner)
        return None if found is None else Delivered(found.id)

    def describe(self, entry: Entry) -> str:
        due, zone = entry.body.get("dueAt"), entry.body.get("zone")
        try:
            at = datetime.fromisoformat(due) if isinstance(due, str) else None
        except ValueError:
            at = None
        if at is None or at.tzinfo is None:
            return "Callback"
        return f"Callback {describe_time(at, zone if isinstance(zone, str) else '')}"

    def done(self, entry: Entry) -> str:
        return "Callback created" + (f" (task {entry.outreach_id})" if entry.outreach_id else "")


def callback_step(
    prospect_id: int,
    due_at: datetime,
    note: str = "",
    *,
    owner_id: int | None = None,
    zone: str = "",
    summary: str = "",
    after: int | After | None = None,
) -> Step:
    """The step that creates a callback once the call (`after`: by default the first step of
    the same submission) is delivered; ValueError when it could not be sent as it is."""
    if due_at.tzinfo is None:
        raise ValueError("a callback time needs its time zone")
    body: JsonObject = {
        "prospect": prospect_id,
        "dueAt": due_at.isoformat(),
        "note": note,
        "owner": owner_id,
        "zone": zone,
    }
    CallbackKind().check(body)  # refused now, not set aside later
    return Step(
        "callback",
        body,
        summary=summary,
        prospect_id=prospect_id,
        needs={"call": After(0) if after is None else after},
    )


def follow_ups(call: NewCall, *, summary: str = "", complete_task: bool = False) -> list[Step]:
    """The steps that follow `call` (the first step of the same submission)."""
    task = call.relationships.task
    if not complete_task or task is None:
        return []
    prospect = call.relationships.prospect
    action = COMPLETION_ACTIONS.get(call.attributes.sequenceAction or "", "")
    return [
        Step(
            "complete_task",
            {"task": task.id, "completionAction": action},
            summary=summary,
            prospect_id=prospect.id if prospect else None,
            needs={"call": After(0)},
        )
    ]
