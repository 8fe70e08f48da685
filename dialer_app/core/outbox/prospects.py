"""Prospect writes a call brings: create a prospect, add a number, mark a number bad, record
"don't call me" — each an operation of the outbox, with the guarantees of any other.

- `create_prospect`: `POST /prospects` with the operation's `ref` as `externalId`. After a
  write of unknown fate (a lost answer, an app killed while it was out) the sender looks for the
  prospect by that reference among the prospects of that name before it ever sends it again, so
  a retry never creates a second prospect.
- `add_phone_number`: `POST /phoneNumbers` to a prospect — an existing one, or the one a
  `create_prospect` operation it needs (role `prospect`) created. The prospect's numbers are
  read before every send (`look_first`): a number they have already (added by this app before a
  crash, or by someone else) is taken as it is, never posted twice.
- `phone_status`: `PATCH /phoneNumbers/{id}` `status` ("bad", or none to clear it).
- `call_opt_out`: `PATCH /prospects/{id}` `callOptedOut` / `callsOptStatus`.

The last two set a value: sending them twice does no harm (`idempotent`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..outreach import writes
from ..outreach.bodies import BAD_NUMBER, NewPhoneNumber, NewProspect
from ..phone import pretty_with_extension
from .kinds import Delivered, Given, JsonObject, Kind
from .queue import After, Step

if TYPE_CHECKING:
    from ..outreach.client import OutreachClient
    from .queue import Entry, Needs


def _id(value: object, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise ValueError(f"no {what} id")
    return value


def _text(body: JsonObject, name: str) -> str:
    value = body.get(name, "")
    if not isinstance(value, str):
        raise ValueError(f"{name} is not text")
    return value


def _name(prospect: NewProspect) -> str:
    return f"{prospect.firstName or ''} {prospect.lastName or ''}".strip()


class CreateProspectKind(Kind[NewProspect]):
    name = "create_prospect"
    label = "New prospect"

    def check(self, body: JsonObject) -> NewProspect:
        fields = body.get("prospect")
        if not isinstance(fields, dict):
            raise ValueError("no prospect")
        prospect = NewProspect.make(**fields)
        if not prospect.ref:
            raise ValueError("a new prospect needs its reference")
        return prospect

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        created = await writes.create_prospect(client, self.read(entry))
        return Delivered(created.id)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        prospect = self.read(entry)
        number = _text(entry.body, "number") or None
        found = await writes.find_own_prospect(
            client,
            prospect.ref or entry.ref,
            prospect.firstName or "",
            prospect.lastName or "",
            number,
        )
        return None if found is None else Delivered(found.id)

    def describe(self, entry: Entry) -> str:
        try:
            return f"Create prospect {_name(self.read(entry))}"
        except ValueError:
            return "Create a prospect"

    def done(self, entry: Entry) -> str:
        return f"Created (prospect {entry.outreach_id})"


@dataclass(frozen=True, slots=True)
class NumberToAdd:
    prospect: int | None  # None: the prospect the `prospect` operation creates
    number: str
    extension: str
    phone_type: str
    raw: str

    def body(self, prospect: int) -> NewPhoneNumber:
        return NewPhoneNumber.make(
            prospect=prospect,
            number=self.number,
            phoneType=self.phone_type,
            extension=self.extension or None,
            rawNumber=self.raw or None,
        )


class AddNumberKind(Kind[NumberToAdd]):
    name = "add_phone_number"
    label = "New number"
    roles = frozenset({"prospect"})
    look_first = True  # a number the prospect has already is never posted again

    def check(self, body: JsonObject) -> NumberToAdd:
        prospect = body.get("prospect")
        found = NumberToAdd(
            None if prospect is None else _id(prospect, "prospect"),
            _text(body, "number"),
            _text(body, "extension"),
            _text(body, "phoneType") or "work",
            _text(body, "rawNumber"),
        )
        found.body(found.prospect or 1)  # the number and its type, checked as they will be sent
        return found

    def _prospect(self, entry: Entry, given: Given) -> int:
        created = given.get("prospect")
        if created is not None and created.outreach_id is not None:
            return created.outreach_id
        number = self.read(entry)
        if number.prospect is None:
            raise ValueError("the number has no prospect to go to")
        return number.prospect

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        number = self.read(entry)
        added = await writes.add_phone_number(client, number.body(self._prospect(entry, given)))
        return Delivered(added.id)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        number = self.read(entry)
        found = await writes.find_phone_number(
            client, self._prospect(entry, given), number.number, number.extension
        )
        return None if found is None else Delivered(found.id)

    def describe(self, entry: Entry) -> str:
        try:
            number = self.read(entry)
        except ValueError:
            return "Add a number to a prospect"
        return f"Add {pretty_with_extension(number.number, number.extension)} to a prospect"

    def done(self, entry: Entry) -> str:
        return f"Added (number {entry.outreach_id})"


class PhoneStatusKind(Kind[tuple[int, str | None]]):
    name = "phone_status"
    label = "Number status"
    idempotent = True

    def check(self, body: JsonObject) -> tuple[int, str | None]:
        status = body.get("status")
        if status is not None and status != BAD_NUMBER:
            raise ValueError("a number is marked bad, or not")
        return _id(body.get("phoneNumber"), "phone number"), status

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        phone, status = self.read(entry)
        changed = await writes.set_phone_number_status(client, phone, status)
        return Delivered(changed.id)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        return None  # idempotent: sent again instead

    def describe(self, entry: Entry) -> str:
        try:
            _phone, status = self.read(entry)
        except ValueError:
            return "Mark a number"
        label = _text(entry.body, "label") if isinstance(entry.body.get("label"), str) else ""
        what = "bad" if status else "good again"
        return f"Mark {label or 'a number'} {what}"

    def done(self, entry: Entry) -> str:
        return "Marked"


class CallOptOutKind(Kind[tuple[int, bool]]):
    name = "call_opt_out"
    label = "Call opt-out"
    idempotent = True

    def check(self, body: JsonObject) -> tuple[int, bool]:
        opted = body.get("optedOut")
        if not isinstance(opted, bool):
            raise ValueError("optedOut is not true or false")
        return _id(body.get("prospect"), "prospect"), opted

    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        prospect, opted = self.read(entry)
        changed = await writes.set_call_opt_out(client, prospect, opted)
        return Delivered(changed.id)

    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        return None  # idempotent: sent again instead

    def describe(self, entry: Entry) -> str:
        try:
            _prospect, opted = self.read(entry)
        except ValueError:
            return "Call opt-out"
        return "Asked not to be called" if opted else "May be called again"

    def done(self, entry: Entry) -> str:
        return "Recorded"


# -- steps ------------------------------------------------------------------------------------


def create_prospect_steps(
    prospect: NewProspect,
    *,
    number: str = "",
    extension: str = "",
    phone_type: str = "work",
    raw_number: str = "",
    number_ref: str = "",
    summary: str = "",
) -> list[Step]:
    """Create `prospect` (the operation's ref is `prospect.ref`), then add `number` to them
    (operation `number_ref`) when there is one."""
    if not prospect.ref:
        raise ValueError("a new prospect needs its reference")
    fields = prospect.model_dump(exclude_defaults=True)
    body: JsonObject = {"prospect": fields, "number": number}
    steps = [Step("create_prospect", body, ref=prospect.ref, summary=summary or _name(prospect))]
    if number:
        steps.append(
            add_number_step(
                None,
                number,
                extension=extension,
                phone_type=phone_type,
                raw_number=raw_number,
                ref=number_ref,
                summary=summary or _name(prospect),
                needs={"prospect": After(0)},
            )
        )
    return steps


def add_number_step(
    prospect_id: int | None,
    number: str,
    *,
    extension: str = "",
    phone_type: str = "work",
    raw_number: str = "",
    ref: str = "",
    summary: str = "",
    needs: Needs | None = None,
) -> Step:
    body: JsonObject = {
        "prospect": prospect_id,
        "number": number,
        "extension": extension,
        "phoneType": phone_type,
        "rawNumber": raw_number,
    }
    return Step(
        "add_phone_number",
        body,
        ref=ref,
        summary=summary,
        prospect_id=prospect_id,
        needs=dict(needs or {}),
    )


def phone_status_step(
    prospect_id: int, phone_id: int, *, bad: bool, label: str = "", ref: str = "", summary: str = ""
) -> Step:
    body: JsonObject = {"phoneNumber": phone_id, "status": BAD_NUMBER if bad else None}
    if label:
        body["label"] = label
    return Step("phone_status", body, ref=ref, summary=summary, prospect_id=prospect_id)


def call_opt_out_step(
    prospect_id: int, *, opted_out: bool, ref: str = "", summary: str = ""
) -> Step:
    body: JsonObject = {"prospect": prospect_id, "optedOut": opted_out}
    return Step("call_opt_out", body, ref=ref, summary=summary, prospect_id=prospect_id)
