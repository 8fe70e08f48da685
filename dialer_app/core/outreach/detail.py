"""Everything the prospect card shows, read in parallel: account, numbers, sequence, task, calls."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from ..jsonapi import Document, Resource
from .client import PHONE_FIELDS, PROSPECT_FIELDS, OutreachClient
from .errors import MalformedResponse
from .models import PhoneNumber, Prospect

CALL_FIELDS = "dialedAt,answeredAt,completedAt,createdAt,outcome,direction,note,callDisposition"
LAST_CALLS = 5


def _text(res: Resource | None, name: str) -> str:
    value = res.attributes.get(name) if res is not None else None
    return value if isinstance(value, str) else ""


def _int(res: Resource | None, name: str) -> int | None:
    value = res.attributes.get(name) if res is not None else None
    return value if isinstance(value, int) else None


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class SequenceInfo:
    """An active sequence state: which sequence, which step."""

    state_id: int
    sequence_id: int | None
    sequence_name: str
    step_id: int | None
    step_order: int | None
    step_type: str

    @property
    def label(self) -> str:
        step = f"step {self.step_order}" if self.step_order else "current step"
        kind = f" ({self.step_type.replace('_', ' ')})" if self.step_type else ""
        return f"{self.sequence_name or 'Sequence'} — {step}{kind}"


@dataclass(frozen=True, slots=True)
class CallTask:
    """An open call task for the prospect."""

    id: int
    due_at: datetime | None
    note: str
    sequence_id: int | None
    sequence_state_id: int | None
    sequence_step_id: int | None


@dataclass(frozen=True, slots=True)
class PastCall:
    """One of the prospect's last calls."""

    id: int
    at: datetime | None
    outcome: str
    disposition: str
    direction: str


@dataclass(frozen=True, slots=True)
class ProspectDetail:
    """What the card shows about a prospect."""

    prospect: Prospect
    account: str
    sequences: tuple[SequenceInfo, ...]
    task: CallTask | None
    last_calls: tuple[PastCall, ...]

    @property
    def sequence(self) -> SequenceInfo | None:
        """The sequence the call belongs to: the task's, else the first active one."""
        if self.task is not None:
            for seq in self.sequences:
                if seq.state_id == self.task.sequence_state_id:
                    return seq
        return self.sequences[0] if self.sequences else None


async def load_prospect_detail(
    client: OutreachClient, prospect_id: int, dispositions: Mapping[int, str] | None = None
) -> ProspectDetail:
    """Read the card's data with five parallel requests (sparse fieldsets keep them small)."""
    pid = {"filter[prospect][id]": prospect_id}
    prospect_doc, phones_doc, states_doc, tasks_doc, calls_doc = await asyncio.gather(
        client.read(
            f"/prospects/{prospect_id}",
            {"include": "account", "fields[prospect]": PROSPECT_FIELDS + ",account"},
        ),
        client.read("/phoneNumbers", {**pid, "fields[phoneNumber]": PHONE_FIELDS}),
        client.read(
            "/sequenceStates",
            {**pid, "filter[state]": "active", "include": "sequence,sequenceStep"},
        ),
        client.read(
            "/tasks",
            {**pid, "filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"},
        ),
        client.read(
            "/calls",
            {**pid, "sort": "-createdAt", "page[size]": LAST_CALLS, "fields[call]": CALL_FIELDS},
        ),
    )
    found = prospect_doc.resources()
    if len(found) != 1:
        raise MalformedResponse(f"Outreach returned no prospect {prospect_id}.")
    prospect_res = found[0]
    numbers = tuple(
        sorted(
            (PhoneNumber.from_resource(r) for r in phones_doc.resources()),
            key=lambda n: (n.phone_type != "work", n.phone_type != "mobile", n.id),
        )
    )
    account = prospect_doc.find_included(prospect_res.to_one("account"))
    return ProspectDetail(
        prospect=Prospect.from_resource(prospect_res, numbers),
        account=_text(account, "name"),
        sequences=tuple(_sequences(states_doc)),
        task=_first_task(tasks_doc),
        last_calls=tuple(_past_call(r, dispositions or {}) for r in calls_doc.resources()),
    )


def _sequences(doc: Document) -> list[SequenceInfo]:
    out = []
    for state in doc.resources():
        seq_id, step_id = state.to_one("sequence"), state.to_one("sequenceStep")
        seq, step = doc.find_included(seq_id), doc.find_included(step_id)
        out.append(
            SequenceInfo(
                state_id=state.id,
                sequence_id=seq_id.id if seq_id else None,
                sequence_name=_text(seq, "name"),
                step_id=step_id.id if step_id else None,
                step_order=_int(step, "order"),
                step_type=_text(step, "stepType"),
            )
        )
    return out


def _first_task(doc: Document) -> CallTask | None:
    tasks = []
    for res in doc.resources():
        links = [res.to_one(n) for n in ("sequence", "sequenceState", "sequenceStep")]
        tasks.append(
            CallTask(
                id=res.id,
                due_at=_time(res.attributes.get("dueAt")),
                note=_text(res, "note"),
                sequence_id=links[0].id if links[0] else None,
                sequence_state_id=links[1].id if links[1] else None,
                sequence_step_id=links[2].id if links[2] else None,
            )
        )
    if not tasks:
        return None
    return min(tasks, key=lambda t: (t.due_at is None, t.due_at or datetime.max, t.id))


def _past_call(res: Resource, dispositions: Mapping[int, str]) -> PastCall:
    a = res.attributes
    disp = res.to_one("callDisposition")
    return PastCall(
        id=res.id,
        at=_time(a.get("dialedAt")) or _time(a.get("answeredAt")) or _time(a.get("createdAt")),
        outcome=_text(res, "outcome"),
        disposition=dispositions.get(disp.id, "") if disp else "",
        direction=_text(res, "direction"),
    )
