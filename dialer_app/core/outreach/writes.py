"""Writing prospects and phone numbers: create a prospect, add a number, mark a number bad,
honour "don't call me", and find what this app created before sending it again.

Every write goes through the client's one choke point, never retried there (`send_write`): the
outbox decides, and looks first:

- `find_own_prospect`: the prospect created for an outbox operation, recognised by its
  `externalId` (`bodies.NewProspect.ref`), looked for among the prospects of that first and last
  name and, when a number is given, among the holders of that number.
- `find_phone_number`: the prospect's number, so that attaching it twice is never tried.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..jsonapi import Document, Resource, ResourceIdentifier
from . import errors as e
from .bodies import CallOptOut, NewPhoneNumber, NewProspect, PhoneNumberStatus
from .client import NO_RETRY, PHONE_FIELDS, PROSPECT_FIELDS, OutreachClient, Params
from .models import PhoneNumber, Prospect

OWN_PROSPECT_FIELDS = f"{PROSPECT_FIELDS},externalId"


async def send_write(
    client: OutreachClient,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    params: Params | None = None,
) -> Document:
    """One write through the client's choke point; never retried there."""
    return await client._send_document(method, path, params=params, body=body, retry=NO_RETRY)


def linked(res: Resource, name: str, kind: str) -> ResourceIdentifier | None:
    """What `res` links as `name` when it is linkage to a `kind`; None otherwise (or malformed)."""
    try:
        ident = res.to_one(name)
    except ValidationError:
        return None
    return ident if ident is not None and ident.type == kind else None


def _one(doc: Document, kind: str) -> Resource:
    found = doc.resources()
    if len(found) != 1 or found[0].type != kind:
        raise e.MalformedResponse(f"Outreach answered without the {kind}.")
    return found[0]


async def create_prospect(client: OutreachClient, prospect: NewProspect) -> Prospect:
    """`POST /prospects`; look for it with `find_own_prospect` before sending it again."""
    doc = await send_write(client, "POST", "/prospects", body=prospect.to_document())
    return Prospect.from_resource(_one(doc, "prospect"))


async def add_phone_number(client: OutreachClient, number: NewPhoneNumber) -> PhoneNumber:
    """`POST /phoneNumbers`; Outreach refuses (422) a number the prospect already has."""
    doc = await send_write(client, "POST", "/phoneNumbers", body=number.to_document())
    return PhoneNumber.from_resource(_one(doc, "phoneNumber"))


async def set_phone_number_status(
    client: OutreachClient, phone_id: int, status: str | None
) -> PhoneNumber:
    """`PATCH /phoneNumbers/{id}` with `status` (`bodies.BAD_NUMBER`, or None to clear it)."""
    body = PhoneNumberStatus.make(id=phone_id, status=status).to_document()
    doc = await send_write(client, "PATCH", f"/phoneNumbers/{phone_id}", body=body)
    return PhoneNumber.from_resource(_one(doc, "phoneNumber"))


async def set_call_opt_out(client: OutreachClient, prospect_id: int, opted_out: bool) -> Prospect:
    """`PATCH /prospects/{id}`: the prospect asked not to be called (or may be called again)."""
    body = CallOptOut.make(id=prospect_id, optedOut=opted_out).to_document()
    doc = await send_write(client, "PATCH", f"/prospects/{prospect_id}", body=body)
    return Prospect.from_resource(_one(doc, "prospect"))


async def prospects_named(
    client: OutreachClient, first_name: str, last_name: str, *, limit: int = 50
) -> list[Prospect]:
    """Prospects with this first and last name (case and outer blanks ignored; an empty part
    matches any). Both empty: none."""
    return [Prospect.from_resource(r) for r in await _named(client, first_name, last_name, limit)]


async def _named(client: OutreachClient, first: str, last: str, limit: int) -> list[Resource]:
    wanted = {"firstName": first.strip(), "lastName": last.strip()}
    params: dict[str, str | int] = {f"filter[{k}]": v for k, v in wanted.items() if v}
    if not params:
        return []
    params.update({"fields[prospect]": OWN_PROSPECT_FIELDS, "page[size]": limit})
    doc = await client.read("/prospects", params)
    return [
        r
        for r in doc.resources()
        if r.type == "prospect"
        and all(_same(r.attributes.get(k), v) for k, v in wanted.items() if v)
    ]


def _same(value: object, wanted: str) -> bool:
    return isinstance(value, str) and value.strip().casefold() == wanted.casefold()


async def _holders(client: OutreachClient, number: str, limit: int) -> list[Resource]:
    doc = await client.read(
        "/phoneNumbers",
        {
            "filter[number]": number,
            "include": "prospect",
            "page[size]": limit,
            "fields[phoneNumber]": PHONE_FIELDS,
            "fields[prospect]": OWN_PROSPECT_FIELDS,
        },
    )
    out = []
    for res in doc.resources():
        prospect = doc.find_included(linked(res, "prospect", "prospect"))
        if prospect is not None:
            out.append(prospect)
    return out


async def find_own_prospect(
    client: OutreachClient,
    ref: str,
    first_name: str,
    last_name: str,
    number: str | None = None,
    *,
    limit: int = 100,
) -> Prospect | None:
    """The prospect this app created for operation `ref` (its `externalId`), found by name or
    by `number` (E.164); None when reads do not show it (yet: they may lag writes)."""
    candidates = await _named(client, first_name, last_name, limit)
    if number:
        candidates += await _holders(client, number, limit)
    for res in candidates:
        if res.attributes.get("externalId") == ref:
            return Prospect.from_resource(res)
    return None


def _belongs(res: Resource, prospect_id: int) -> bool:
    """Whether a listed number is the prospect's: its linkage says so, or (when the answer
    carries none) the filter it was asked with does; odd linkage never does."""
    if res.type != "phoneNumber":
        return False
    if "prospect" not in res.relationships:
        return True
    owner = linked(res, "prospect", "prospect")
    return owner is not None and owner.id == prospect_id


async def find_phone_number(
    client: OutreachClient, prospect_id: int, number: str, extension: str = ""
) -> PhoneNumber | None:
    """The prospect's phone number `number` (E.164) with that extension, if it has it."""
    doc = await client.read(
        "/phoneNumbers",
        {
            "filter[prospect][id]": prospect_id,
            "filter[number]": number,
            "fields[phoneNumber]": PHONE_FIELDS,
        },
    )
    for res in doc.resources():
        found = PhoneNumber.from_resource(res)
        if _belongs(res, prospect_id) and (found.number, found.extension) == (number, extension):
            return found
    return None
