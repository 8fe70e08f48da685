"""The `call` kind: a logged call, posted to `POST /calls` and found again by `vendorCallId`.

Its `ref` is the call's `vendorCallId`. It may wait for earlier operations that give it what it
links (`ROLES`): a `prospect` created for an unknown caller, the `phoneNumber` added to one, a
`task`; each one's delivered id is linked as that relationship when the call is posted, and the
prospect's is where the call is looked for after a POST of unknown fate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..calls import CallRelationships, NewCall
from .kinds import Delivered, Given, JsonObject, Kind
from .queue import Step

if TYPE_CHECKING:
    from ..outreach.client import OutreachClient
    from .queue import Entry, Needs

ROLES = frozenset({"prospect", "phoneNumber", "task", "opportunity", "sequenceState"})


class CallKind(Kind[NewCall]):
    name = "call"
    label = "Call"
    roles = ROLES
    together = True  # a call is a record of its own: another one's write touches nothing of it

    def check(self, body: JsonObject) -> NewCall:
        return NewCall.from_document(body)

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        return Delivered(await client.post_call(linked(entry.call, given)))

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        found = await client.find_call(entry.vendor_call_id, prospect_of(entry, given))
        return None if found is None else Delivered(found)

    def describe(self, entry: Entry) -> str:
        outcome = _attribute(entry.body, "outcome")
        return f"Call · {outcome}" if outcome else "Call"

    def done(self, entry: Entry) -> str:
        return f"Sent (call {entry.outreach_id})"


def linked(call: NewCall, given: Given) -> NewCall:
    """The call with what earlier operations gave linked in (a new prospect's id, …)."""
    ids = {
        role: op.outreach_id
        for role, op in given.items()
        if role in ROLES and op.outreach_id is not None
    }
    if not ids:
        return call
    current = call.relationships.model_dump()
    relationships = CallRelationships.model_validate(
        {**current, **CallRelationships.link(**ids).model_dump()}
    )
    return call.model_copy(update={"relationships": relationships})


def prospect_of(entry: Entry, given: Given) -> int | None:
    created = given.get("prospect")
    if created is not None and created.outreach_id is not None:
        return created.outreach_id
    return entry.prospect_id


def call_step(call: NewCall, *, summary: str = "", needs: Needs | None = None) -> Step:
    """The step that logs `call` (which must carry its `vendorCallId`)."""
    vendor_id = call.attributes.vendorCallId
    if not vendor_id:
        raise ValueError("a call needs a vendorCallId to enter the outbox")
    prospect = call.relationships.prospect
    return Step(
        "call",
        call.to_document(),
        ref=vendor_id,
        summary=summary,
        prospect_id=prospect.id if prospect else None,
        needs=dict(needs or {}),
    )


def _attribute(body: JsonObject, name: str) -> Any:
    data = body.get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    value = attributes.get(name) if isinstance(attributes, dict) else None
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None
