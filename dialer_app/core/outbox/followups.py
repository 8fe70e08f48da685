"""Follow-ups: what a logged call brings after it, each an operation that needs the call.

Today one kind: `complete_task` — once the call is delivered, mark the call task it was logged
against complete in Outreach (the rep's setting "mark the call task complete", decided when the
call is logged). The task is read before every attempt (`look_first`): one already complete —
by Outreach itself, by another app, or by this one before a crash — is not completed again, so
a sequence never moves on twice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..calls import NewCall
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


class CompleteTaskKind(Kind):
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

    def _task(self, entry: Entry) -> tuple[int, str]:
        payload = entry.payload
        if isinstance(payload, tuple):
            return payload
        return self.check(entry.body)

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        task, action = self._task(entry)
        await client.mark_task_complete(task, action)
        return Delivered(task)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        task, _action = self._task(entry)
        return Delivered(task) if await client.task_state(task) == "complete" else None

    def describe(self, entry: Entry) -> str:
        try:
            task, action = self._task(entry)
        except ValueError:
            return "Mark the call's task complete"
        how = ACTION_WORDS.get(action, "")
        return f"Mark task {task} complete" + (f" ({how})" if how else "")

    def done(self, entry: Entry) -> str:
        return "Task completed"


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
