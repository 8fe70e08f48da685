"""`POST /prospects` and `PATCH /prospects/{id}`: every attribute the spec lets a client write.

Writable attributes, with the spec's kinds and limits, are `PROSPECT_WRITES` (`custom1` to
`custom150` included); read-only ones (`name`, `createdAt`, `updatedAt`, `callsOptedAt`,
`emailsOptedAt`, counts, scores, inferred time zones, …) get 422. Relationships a client may write
and this sandbox stores: `owner` (a user) and `account`; `stage` and `persona` link types this
sandbox's org has none of, so any id is refused as missing; the to-many ones (`phoneNumbers`,
…) and `trashedByAccount` are refused with 422 saying so (numbers are added with
`POST /phoneNumbers` or the phone arrays).

Server-side rules, as Outreach applies them or as this sandbox answers an open question:

- `name` is "first last"; `owner` defaults to the token's user; `company` defaults to the linked
  account's name (the spec: "if associated with an account, this is the name of the account").
- **Opt-outs.** `callOptedOut` (true/false) and `callsOptStatus` (`opted_in`, `opted_out` or
  null; the spec's string "null" is taken as null) are both writable and kept in step: setting
  one sets the other (`callOptedOut` is true exactly when the status is `opted_out`; false turns
  an `opted_out` status into `opted_in`), a body that sets them to disagreeing values gets 422 on
  `callOptedOut`, and a change stamps the read-only `callsOptedAt`. The same holds for
  `emailOptedOut` / `emailsOptStatus` / `emailsOptedAt`.
- **Emails are unique** among prospects **[open]** (Outreach de-duplicates prospects by email): an
  address another prospect has gets 422 on `/data/attributes/emails/<i>`; repeats in one list are
  dropped.
- **Phone arrays** (`workPhones`, `mobilePhones`, `homePhones`, `voipPhones`, `otherPhones`) are
  views of the prospect's phone numbers: writing one makes that type's numbers exactly the list
  (numbers read as `POST /phoneNumbers` reads them, `dialer_app.sandbox.phone_writes`; 422 on
  `/data/attributes/<array>/<i>` for text that is no phone number or a number the prospect has
  under another type).
- A changed name, email or company is found by the search (`filter[q]`, name and email filters)
  at once.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from dialer_app.core.terms import format_utc

from .attributes import (
    Bool,
    Date,
    DateTime,
    Integer,
    Number,
    Text,
    TextList,
    Write,
    WriteSpec,
    write_errors,
)
from .errors import ErrorObject, validation_error, validation_failed
from .phone_writes import ARRAYS, normalise, numbers_of, sync_prospect_arrays
from .query import parse_list_query
from .resources import ACCOUNT, PHONE_NUMBER, PROSPECT
from .store import Row, Store

OPT_STATUSES = ("opted_in", "opted_out")
_SHORT = [
    "addressCity",
    "addressCountry",
    "addressState",
    "addressStreet",
    "addressStreet2",
    "addressZip",
    "angelListUrl",
    "campaignName",
    "degree",
    "eventName",
    "externalId",
    "externalOwner",
    "externalSource",
    "facebookUrl",
    "firstName",
    "gender",
    "githubUsername",
    "googlePlusUrl",
    "lastName",
    "linkedInId",
    "middleName",
    "nickname",
    "occupation",
    "preferredContact",
    "quoraUrl",
    "region",
    "school",
    "sharingTeamId",
    "source",
    "stackOverflowId",
    "timeZone",
    "title",
    "twitterUsername",
]
_LONG_URLS = ["githubUrl", "linkedInUrl", "stackOverflowUrl", "twitterUrl"]
_NOTES = [
    "personalNote1",
    "personalNote2",
    "specialties",
    "websiteUrl1",
    "websiteUrl2",
    "websiteUrl3",
]
_LISTS = ["emails", "tags", "homePhones", "mobilePhones", "otherPhones", "voipPhones", "workPhones"]

PROSPECT_WRITES = WriteSpec(
    type="prospect",
    attributes={
        **{name: Text(255) for name in _SHORT},
        **{name: Text(1000) for name in _LONG_URLS},
        **{name: Text(65_535) for name in _NOTES},
        **{name: TextList() for name in _LISTS},
        **{name: DateTime() for name in ("addedAt", "availableAt", "trashedAt")},
        **{name: Date() for name in ("dateOfBirth", "graduationDate", "jobStartDate")},
        **{name: Bool() for name in ("callOptedOut", "emailOptedOut", "optedOut")},
        "company": Text(None),
        "callsOptStatus": Text(choices=(*OPT_STATUSES, "null")),
        "emailsOptStatus": Text(choices=(*OPT_STATUSES, "null")),
        "linkedInConnections": Integer(),
        "score": Number(),
    },
    patterned=((re.compile(r"custom([1-9]|[1-9][0-9]|1[0-4][0-9]|150)"), Text(32_000)),),
    read_only=frozenset(
        [
            "callsOptedAt",
            "clickCount",
            "contactHistogram",
            "createdAt",
            "emailsOptedAt",
            "engagedAt",
            "engagedScore",
            "linkedInSlug",
            "name",
            "openCount",
            "optedOutAt",
            "replyCount",
            "timeZoneIana",
            "timeZoneInferred",
            "touchedAt",
            "updatedAt",
        ]
    ),
    relationships={
        "owner": ("user",),
        "account": ("account",),
        "persona": ("persona",),
        "stage": ("stage",),
    },
    unsupported_relationships={
        "phoneNumbers": "; add numbers with POST /phoneNumbers or the phone arrays",
        **dict.fromkeys(
            [
                "assignedTeams",
                "assignedUsers",
                "emailAddresses",
                "favorites",
                "opportunities",
                "opportunityProspectRoles",
                "trashedByAccount",
            ],
            "",
        ),
    },
    read_only_relationships={
        name: ""
        for name in [
            "activeSequenceStates",
            "batches",
            "calls",
            "creator",
            "defaultPluginMapping",
            "mailings",
            "sequenceStates",
            "tasks",
            "updater",
        ]
    },
)
# (flag, status, stamp) pairs kept in step
OPT_PAIRS = (
    ("callOptedOut", "callsOptStatus", "callsOptedAt"),
    ("emailOptedOut", "emailsOptStatus", "emailsOptedAt"),
)
DEFAULTS: dict[str, Any] = {
    "firstName": None,
    "lastName": None,
    "title": None,
    "company": None,
    "emails": [],
    "timeZone": None,
    **{name: [] for name in ARRAYS.values()},
    "callOptedOut": False,
    "callsOptStatus": None,
    "callsOptedAt": None,
    "emailOptedOut": False,
    "emailsOptStatus": None,
    "emailsOptedAt": None,
    "optedOut": False,
    "tags": [],
}


def _opt_outs(
    before: dict[str, Any], given: dict[str, object], stamp: str
) -> tuple[dict[str, Any], list[ErrorObject]]:
    """The opt-out attributes after `given`, and an error where flag and status disagree."""
    out: dict[str, Any] = {}
    errors: list[ErrorObject] = []
    for flag, status, at in OPT_PAIRS:
        new_status = given.get(status, before.get(status))
        if new_status == "null":
            new_status = None
        if flag in given and status in given:
            wanted = given[flag]
            if wanted is None:
                wanted = new_status == "opted_out"
            if wanted != (new_status == "opted_out"):
                detail = f"{flag} must agree with {status} ({flag} is true exactly when opted_out)"
                errors.append(validation_error(detail, f"/data/attributes/{flag}"))
                continue
        elif flag in given:
            if given[flag]:
                new_status = "opted_out"
            elif new_status == "opted_out":
                new_status = "opted_in"
        out[status] = new_status
        out[flag] = new_status == "opted_out"
        if new_status != before.get(status):
            out[at] = stamp
    return out, errors


def _emails(store: Store, given: object, own: int) -> tuple[list[str], list[ErrorObject]]:
    """The list without repeats, and an error for each address another prospect has."""
    emails: list[str] = []
    errors: list[ErrorObject] = []
    for index, email in enumerate(given if isinstance(given, list) else []):
        if email in emails:
            continue
        emails.append(email)
        if not email.strip():
            continue
        query = parse_list_query(PROSPECT, {"filter[emails]": email, "page[size]": "2"})
        others = [r.id for r in store.page(PROSPECT, query).rows if r.id != own]
        if others:
            detail = f"emails: {email!r} is already the email of prospect {others[0]}"
            errors.append(validation_error(detail, f"/data/attributes/emails/{index}"))
    return emails, errors


Line = tuple[str, str | None, str]  # (E.164, extension, as written)


def _arrays(given: dict[str, object]) -> tuple[dict[str, list[Line]], list[ErrorObject]]:
    """Each phone array given, read as numbers; errors for items that are no phone number."""
    out: dict[str, list[Line]] = {}
    errors: list[ErrorObject] = []
    for phone_type, name in ARRAYS.items():
        if name not in given:
            continue
        lines: list[Line] = []
        items = given[name]
        for index, text in enumerate(items if isinstance(items, list) else []):
            try:
                e164, extension, _region = normalise(text, None)
            except ValueError as exc:
                errors.append(validation_error(f"{name} {exc}", f"/data/attributes/{name}/{index}"))
                continue
            if all((e164, extension) != (n, x) for n, x, _raw in lines):
                lines.append((e164, extension, text))
        out[phone_type] = lines
    return out, errors


def _array_conflicts(
    store: Store, prospect_id: int, arrays: dict[str, list[Line]]
) -> list[ErrorObject]:
    """A number written under one type that the prospect keeps under another."""
    errors = []
    kept = [r for r in numbers_of(store, prospect_id) if r.attrs.get("phoneType") not in arrays]
    taken: dict[tuple[str, str | None], str] = {
        (str(r.attrs.get("number")), r.attrs.get("extension") or None): str(
            r.attrs.get("phoneType")
        )
        for r in kept
    }
    for phone_type, lines in arrays.items():
        for index, (e164, extension, _raw) in enumerate(lines):
            other = taken.get((e164, extension))
            name = ARRAYS[phone_type]
            if other is None:
                taken[(e164, extension)] = phone_type
            elif other != phone_type:
                detail = f"{name} has a number the prospect already has as a {other} number"
                errors.append(validation_error(detail, f"/data/attributes/{name}/{index}"))
    return errors


def _write_arrays(
    store: Store, prospect_id: int, arrays: dict[str, list[Line]], stamp: str
) -> None:
    if not arrays:
        return
    existing = numbers_of(store, prospect_id)
    order = max((r.attrs.get("order") or 0 for r in existing), default=0)
    for phone_type, lines in arrays.items():
        mine = [r for r in existing if r.attrs.get("phoneType") == phone_type]
        wanted = {(n, x) for n, x, _raw in lines}
        for row in mine:
            if (row.attrs.get("number"), row.attrs.get("extension") or None) not in wanted:
                store.delete(PHONE_NUMBER, row.id)
        have = {(r.attrs.get("number"), r.attrs.get("extension") or None) for r in mine}
        for e164, extension, raw in lines:
            if (e164, extension) in have:
                continue
            order += 1
            region = _region_of(e164)
            attrs = {
                "number": e164,
                "rawNumber": raw,
                "countryCode": region,
                "extension": extension,
                "phoneType": phone_type,
                "order": order,
                "status": None,
                "statusChangedAt": None,
                "createdAt": stamp,
                "updatedAt": stamp,
            }
            store.create(PHONE_NUMBER, attrs, {"prospect": prospect_id})
    sync_prospect_arrays(store, prospect_id, stamp)


def _region_of(e164: str) -> str | None:
    return normalise(e164, None)[2]


def _name(attrs: dict[str, Any]) -> str:
    return " ".join(str(attrs[k]) for k in ("firstName", "lastName") if attrs.get(k)).strip()


def _links(store: Store, write: Write, before: dict[str, int | None]) -> dict[str, int | None]:
    links = dict(before)
    for name in ("owner", "account"):
        if name in write.links:
            link = write.links[name]
            links[name] = None if link is None else link[1]
    return links


def _account_name(store: Store, account_id: int | None) -> str | None:
    account = store.get(ACCOUNT, account_id) if account_id is not None else None
    name = account.attrs.get("name") if account is not None else None
    return name if isinstance(name, str) else None


def create_prospect(store: Store, write: Write, user_id: int, now: datetime) -> Row:
    """Store a new prospect (on the database thread); 422 naming every member at fault."""
    stamp = format_utc(now)
    errors = write_errors(store, write)
    emails, email_errors = _emails(store, write.attributes.get("emails"), own=0)
    arrays, array_errors = _arrays(write.attributes)
    opt_outs, opt_errors = _opt_outs(DEFAULTS, write.attributes, stamp)
    errors += email_errors + array_errors + opt_errors
    if not errors:
        errors += _array_conflicts(store, 0, arrays)  # id 0: a prospect with no numbers yet
    if errors:
        raise validation_failed(errors)
    given = {k: v for k, v in write.attributes.items() if k not in ARRAYS.values()}
    attrs: dict[str, Any] = {**DEFAULTS, **given, "emails": emails}
    for name in ("emails", "tags"):
        if attrs[name] is None:
            attrs[name] = []
    attrs.update(opt_outs)
    links = _links(store, write, {"account": None, "owner": user_id})
    if attrs.get("company") is None:
        attrs["company"] = _account_name(store, links["account"])
    attrs.update(name=_name(attrs), createdAt=stamp, updatedAt=stamp)
    row = store.create(PROSPECT, attrs, links)
    _write_arrays(store, row.id, arrays, stamp)
    return store.get(PROSPECT, row.id) or row


def update_prospect(store: Store, rid: int, write: Write, now: datetime) -> Row | None:
    """Apply a PATCH (on the database thread); None when there is no such prospect."""
    row = store.get(PROSPECT, rid)
    if row is None:
        return None
    stamp = format_utc(now)
    errors = write_errors(store, write)
    emails: list[str] = []
    email_errors: list[ErrorObject] = []
    if "emails" in write.attributes:
        emails, email_errors = _emails(store, write.attributes["emails"], own=rid)
    arrays, array_errors = _arrays(write.attributes)
    opt_outs, opt_errors = _opt_outs(row.attrs, write.attributes, stamp)
    errors += email_errors + array_errors + opt_errors
    if not errors:
        errors += _array_conflicts(store, rid, arrays)
    if errors:
        raise validation_failed(errors)
    given = {k: v for k, v in write.attributes.items() if k not in ARRAYS.values()}
    attrs: dict[str, Any] = {**row.attrs, **given, "updatedAt": stamp}
    if "emails" in write.attributes:
        attrs["emails"] = emails
    for name in ("emails", "tags"):
        if attrs.get(name) is None:
            attrs[name] = []
    attrs.update(opt_outs)
    links = _links(store, write, dict(row.links))
    if "account" in write.links and "company" not in write.attributes:
        attrs["company"] = _account_name(store, links["account"]) or attrs.get("company")
    attrs["name"] = _name(attrs)
    store.update_many(PROSPECT, [replace(row, attrs=attrs, links=links)], terms=True)
    _write_arrays(store, rid, arrays, stamp)
    return store.get(PROSPECT, rid)
