"""`POST /phoneNumbers`, `PATCH /phoneNumbers/{id}`, `DELETE /phoneNumbers/{id}`.

Writable: `number`, `rawNumber`, `countryCode`, `extension` (text ≤ 255), `phoneType` (`mobile`,
`work`, `home`, `voip`, `other`, as the spec lists them), `order` (a whole number), `status`, and
the `prospect` relationship. Read-only: `createdAt`, `updatedAt`, `statusChangedAt`.

How this sandbox answers what the contract leaves open:

- **Numbers.** Outreach stores `number` in E.164 and converts what it is given "as best it can",
  with the owner's default country, else +1 (Outreach's help on phone number formatting). So a
  number that is not E.164 is accepted when it can be read as a phone number — with the
  `countryCode` given (an ISO region such as `GB`), else as a US number — and stored as E.164;
  `rawNumber` keeps the text as written unless one is given, and an extension written in the
  number (`+1 212 555 0123 ext. 45`) becomes `extension` unless one is given. Text that is no
  phone number at all (letters, too few or too many digits for the country) gets 422 on
  `/data/attributes/number`. `countryCode` defaults to the number's region.
- **One number once per prospect.** The same E.164 number with the same extension twice on one
  prospect gets 422 on `/data/attributes/number`. The same number on different prospects is
  fine (a company's main line), as is the same main line with another extension.
- **`status`.** The spec types it as free text (≤ 255) and lists no values. This sandbox takes
  `null` (no status) or one of `STATUSES`: `bad` (a rep found it wrong or dead), `valid`,
  `invalid`, `unknown` (what a number check records); any other value gets 422, so an app that
  sends a word of its own is caught in tests. The app itself sends only `bad` and `null`.
  Changing it stamps `statusChangedAt`.
- A new number needs `number` and a `prospect` (422 otherwise); `phoneType` defaults to `other`
  and `order` to after the prospect's other numbers.

Every change keeps the prospect's phone arrays (`workPhones`, `mobilePhones`, `homePhones`,
`voipPhones`, `otherPhones`) equal to its numbers, in order, and stamps its `updatedAt`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import phonenumbers

from dialer_app.core.terms import format_utc

from .attributes import Integer, Text, Write, WriteSpec, require, write_errors
from .errors import ErrorObject, validation_error, validation_failed
from .query import parse_list_query
from .resources import PHONE_NUMBER, PROSPECT
from .store import Row, Store

PHONE_TYPES = ("mobile", "work", "home", "voip", "other")
STATUSES = ("bad", "valid", "invalid", "unknown")
DEFAULT_REGION = "US"  # Outreach's fallback when the owner has no default country
ARRAYS = {t: f"{t}Phones" for t in PHONE_TYPES}  # phoneType -> the prospect's array

PHONE_NUMBER_WRITES = WriteSpec(
    type="phoneNumber",
    attributes={
        "number": Text(),
        "rawNumber": Text(),
        "countryCode": Text(),
        "extension": Text(),
        "phoneType": Text(choices=PHONE_TYPES),
        "order": Integer(),
        "status": Text(choices=STATUSES),
    },
    read_only=frozenset({"createdAt", "updatedAt", "statusChangedAt"}),
    relationships={"prospect": ("prospect",)},
)


def normalise(text: str, country: str | None) -> tuple[str, str | None, str | None]:
    """`(E.164, extension written in it, region)` of a number as written; ValueError if none."""
    region = country.upper() if country and country.upper() in _REGIONS else DEFAULT_REGION
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise ValueError("is not a phone number") from None
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("is not a possible phone number (too few or too many digits)")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    found = phonenumbers.region_code_for_number(
        parsed
    ) or phonenumbers.region_code_for_country_code(parsed.country_code or 0)
    return e164, parsed.extension or None, None if found == "ZZ" else found


_REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)


def numbers_of(store: Store, prospect_id: int) -> list[Row]:
    """The prospect's phone numbers, in their order."""
    query = parse_list_query(
        PHONE_NUMBER, {"filter[prospect][id]": str(prospect_id), "page[size]": "1000"}
    )
    rows = store.page(PHONE_NUMBER, query).rows
    return sorted(rows, key=lambda r: (r.attrs.get("order") or 0, r.id))


def sync_prospect_arrays(store: Store, prospect_id: int, stamp: str) -> None:
    """Rewrite the prospect's phone arrays from its numbers; stamp its `updatedAt`."""
    prospect = store.get(PROSPECT, prospect_id)
    if prospect is None:
        return
    arrays: dict[str, list[str]] = {name: [] for name in ARRAYS.values()}
    for row in numbers_of(store, prospect_id):
        name = ARRAYS.get(str(row.attrs.get("phoneType")), "otherPhones")
        if row.attrs.get("number"):
            arrays[name].append(str(row.attrs["number"]))
    store.update(replace(prospect, attrs={**prospect.attrs, **arrays, "updatedAt": stamp}))


def _same_line(a: dict[str, Any], number: str, extension: str | None) -> bool:
    return a.get("number") == number and (a.get("extension") or None) == (extension or None)


def _duplicate(store: Store, prospect_id: int, number: str, ext: str | None, own: int) -> bool:
    return any(
        r.id != own and _same_line(r.attrs, number, ext) for r in numbers_of(store, prospect_id)
    )


def _normalised_attrs(attrs: dict[str, Any], given: dict[str, object]) -> list[ErrorObject]:
    """Fill in `number` (E.164), `rawNumber`, `extension`, `countryCode` in place."""
    if "number" not in given:
        return []
    raw = given["number"]
    if raw is None:
        return [validation_error("number cannot be null", "/data/attributes/number")]
    try:
        e164, extension, region = normalise(str(raw), attrs.get("countryCode"))
    except ValueError as exc:
        return [validation_error(f"number {exc}", "/data/attributes/number")]
    attrs["number"] = e164
    if "rawNumber" not in given:
        attrs["rawNumber"] = raw
    if "extension" not in given and extension:
        attrs["extension"] = extension
    if not attrs.get("countryCode") and region:
        attrs["countryCode"] = region
    return []


def create_phone_number(store: Store, write: Write, now: datetime) -> Row:
    """Store a new number (on the database thread); 422 when the body cannot be one."""
    errors = write_errors(store, write)
    link = write.links.get("prospect")
    if link is None:
        detail = "prospect is required: a phone number belongs to a prospect"
        require(errors, "/data/relationships/prospect", detail)
    if "number" not in write.attributes:
        require(errors, "/data/attributes/number", "number is required")
    stamp = format_utc(now)
    attrs: dict[str, Any] = {
        "number": None,
        "rawNumber": None,
        "countryCode": None,
        "extension": None,
        "phoneType": "other",
        "order": None,
        "status": None,
        "statusChangedAt": None,
        **write.attributes,
        "createdAt": stamp,
        "updatedAt": stamp,
    }
    errors += _normalised_attrs(attrs, write.attributes)
    if errors:
        raise validation_failed(errors)
    assert link is not None
    prospect_id = link[1]
    if _duplicate(store, prospect_id, attrs["number"], attrs["extension"], own=0):
        raise validation_failed([_duplicate_error(prospect_id)])
    if attrs["phoneType"] is None:
        attrs["phoneType"] = "other"
    if attrs["order"] is None:
        orders = [r.attrs.get("order") or 0 for r in numbers_of(store, prospect_id)]
        attrs["order"] = max(orders, default=0) + 1
    if attrs["status"] is not None:
        attrs["statusChangedAt"] = stamp
    row = store.create(PHONE_NUMBER, attrs, {"prospect": prospect_id})
    sync_prospect_arrays(store, prospect_id, stamp)
    return row


def update_phone_number(store: Store, rid: int, write: Write, now: datetime) -> Row | None:
    """Apply a PATCH (on the database thread); None when there is no such number."""
    row = store.get(PHONE_NUMBER, rid)
    if row is None:
        return None
    errors = write_errors(store, write)
    if "prospect" in write.links and write.links["prospect"] is None:
        detail = "prospect cannot be null: a phone number belongs to a prospect"
        errors.append(validation_error(detail, "/data/relationships/prospect"))
    stamp = format_utc(now)
    attrs: dict[str, Any] = {**row.attrs, **write.attributes, "updatedAt": stamp}
    errors += _normalised_attrs(attrs, write.attributes)
    if errors:
        raise validation_failed(errors)
    before = row.links.get("prospect")
    link = write.links.get("prospect")
    prospect_id = link[1] if link is not None else before
    if prospect_id is not None and _duplicate(
        store, prospect_id, attrs["number"], attrs.get("extension"), own=rid
    ):
        raise validation_failed([_duplicate_error(prospect_id)])
    if attrs.get("phoneType") is None:
        attrs["phoneType"] = "other"
    if "status" in write.attributes and write.attributes["status"] != row.attrs.get("status"):
        attrs["statusChangedAt"] = stamp
    updated = replace(row, attrs=attrs, links={**row.links, "prospect": prospect_id})
    store.update(updated)
    for pid in {before, prospect_id} - {None}:
        assert pid is not None
        sync_prospect_arrays(store, pid, stamp)
    return updated


def delete_phone_number(store: Store, rid: int, now: datetime) -> bool:
    """Remove a number (on the database thread); False when there is no such number."""
    row = store.get(PHONE_NUMBER, rid)
    if row is None:
        return False
    store.delete(PHONE_NUMBER, rid)
    prospect_id = row.links.get("prospect")
    if prospect_id is not None:
        sync_prospect_arrays(store, prospect_id, format_utc(now))
    return True


def _duplicate_error(prospect_id: int) -> ErrorObject:
    detail = f"number is already one of prospect {prospect_id}'s numbers, with the same extension"
    return validation_error(detail, "/data/attributes/number")
