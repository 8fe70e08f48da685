"""`POST /tasks` and `DELETE /tasks/{id}`: a task for a rep, such as a callback.

Writable attributes (`TASK_WRITES`): `action` (`action_item`, `call`, `email`, `in_person`),
`dueAt`, `autoskipAt` (date-times), `note` (≤ 65,535), `opportunityAssociation`
(`recent_created`, `recent_updated`, `noop`). Read-only ones (`state`, `taskType`, `completed`,
`completedAt`, `scheduledAt`, `createdAt`, `updatedAt`, `stateChangedAt`, …) get 422.

Writable relationships: `owner` (a user; defaults to the token's user) and `subject` (the
prospect or account the task is about). `prospect` and `account` are read-only in the spec: a
body that links them gets 422 saying to link the `subject` instead. A prospect subject becomes
the task's `prospect`, and its account the task's `account`; an account subject its `account`.
This sandbox does not render `subject` back (it is write-only here: read `prospect`/`account`).
`taskPriority`, `taskPurpose`, `taskDisposition`, `taskTheme` and `team` link types this
sandbox's org has none of, so any id is refused as missing.

A new task needs an `action` (422 otherwise); `dueAt` defaults to now. As the spec says, tasks
created through the API are `manual` tasks; a new one is `incomplete`, with `scheduledAt` equal
to `dueAt` (as the seed's are).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dialer_app.core.terms import format_utc

from .attributes import DateTime, Text, Write, WriteSpec, require, write_errors
from .errors import validation_failed
from .resources import PROSPECT, TASK
from .store import Row, Store

ACTIONS = ("action_item", "call", "email", "in_person")
_SUBJECT_HINT = "; link it as the task's subject instead"
_READ_ONLY_RELATIONSHIPS = [
    "call",
    "calls",
    "completer",
    "creator",
    "defaultPluginMapping",
    "mailing",
    "mailings",
    "opportunity",
    "prospectAccount",
    "prospectContacts",
    "prospectOwner",
    "prospectPhoneNumbers",
    "prospectStage",
    "sequence",
    "sequenceSequenceSteps",
    "sequenceState",
    "sequenceStateSequenceStep",
    "sequenceStateSequenceStepOverrides",
    "sequenceStateStartingTemplate",
    "sequenceStep",
    "sequenceStepOverrideTemplates",
    "sequenceTemplate",
    "sequenceTemplateTemplate",
    "template",
]

TASK_WRITES = WriteSpec(
    type="task",
    attributes={
        "action": Text(choices=ACTIONS),
        "autoskipAt": DateTime(),
        "dueAt": DateTime(),
        "note": Text(65_535),
        "opportunityAssociation": Text(choices=("recent_created", "recent_updated", "noop")),
    },
    read_only=frozenset(
        [
            "compiledSequenceTemplateHtml",
            "completed",
            "completedAt",
            "createdAt",
            "scheduledAt",
            "state",
            "stateChangedAt",
            "taskType",
            "updatedAt",
        ]
    ),
    relationships={
        "owner": ("user",),
        "subject": ("account", "opportunity", "prospect"),
        "taskPriority": ("taskPriority",),
        "taskPurpose": ("taskPurpose",),
        "taskDisposition": ("taskDisposition",),
        "taskTheme": ("taskTheme",),
        "team": ("team",),
    },
    read_only_relationships={
        "prospect": _SUBJECT_HINT,
        "account": _SUBJECT_HINT,
        **dict.fromkeys(_READ_ONLY_RELATIONSHIPS, ""),
    },
)


def create_task(store: Store, write: Write, user_id: int, now: datetime) -> Row:
    """Store a new task (on the database thread); 422 naming every member at fault."""
    errors = write_errors(store, write)
    if write.attributes.get("action") is None:
        detail = f"action is required: one of {', '.join(ACTIONS)}"
        require(errors, "/data/attributes/action", detail)
    if errors:
        raise validation_failed(errors)
    stamp = format_utc(now)
    due = write.attributes.get("dueAt") or stamp
    attrs: dict[str, Any] = {
        "action": write.attributes["action"],
        "taskType": "manual",
        "state": "incomplete",
        "completed": False,
        "completedAt": None,
        "dueAt": due,
        "scheduledAt": due,
        "autoskipAt": write.attributes.get("autoskipAt"),
        "note": write.attributes.get("note"),
        "opportunityAssociation": write.attributes.get("opportunityAssociation"),
        "createdAt": stamp,
        "updatedAt": stamp,
        "stateChangedAt": stamp,
    }
    links: dict[str, int | None] = {"owner": user_id}
    if "owner" in write.links:
        owner = write.links["owner"]
        links["owner"] = None if owner is None else owner[1]
    subject = write.links.get("subject")
    if subject is not None and subject[0] == "prospect":
        prospect = store.get(PROSPECT, subject[1])
        links["prospect"] = subject[1]
        links["account"] = prospect.links.get("account") if prospect is not None else None
    elif subject is not None and subject[0] == "account":
        links["account"] = subject[1]
    return store.create(TASK, attrs, links)


def delete_task(store: Store, rid: int) -> bool:
    """Remove a task (on the database thread); False when there is no such task."""
    return store.delete(TASK, rid)
