"""Checking a JSON:API write body (POST or PATCH) against what a client may write on its type.

Each writable type declares (`WriteSpec`) its writable attributes with their kind — text with
Outreach's maximum length or a closed list of values, a date-time, a date, a boolean, an integer,
a number, a list of text — its read-only attributes, and its writable to-one relationships with
the types each may link. Every attribute may be `null`, as the spec says of all of them.

A body is refused with 422 `validationError`, one error per member at fault, each with
`source.pointer`:

- `data` missing or not an object, `data.type` not the type's, on PATCH `data.id` not the id of
  the URL (`/data/id`; JSON:API would say 409, Outreach documents only 422 for these routes);
- an attribute the type does not have, a read-only one ("is read-only and cannot be sent"), or a
  value of the wrong kind, too long, or outside its values;
- a relationship the type does not have or that a client cannot write, linkage that is not
  `{"data": {"type": ..., "id": ...}}` or `{"data": null}`, or a type the relationship cannot link.

Whether each linked resource exists is checked afterwards, on the database thread, and reported
with the body's other faults, all in one answer (`write_errors`). Date-times need a time zone
and are stored in Outreach's form, UTC with milliseconds (`2026-03-02T15:00:00.000Z`); dates as
`YYYY-MM-DD`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from dialer_app.core.terms import format_utc

from .errors import ErrorObject, validation_error, validation_failed
from .store import Store

MAX_INT = 2**63 - 1  # SQLite's largest integer, and so the largest id


class Kind:
    """How one attribute's value is checked; `check` returns the value to store."""

    def check(self, value: object) -> object:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Text(Kind):
    """Text of at most `max_length` characters (None: no limit), or one of `choices`."""

    max_length: int | None = 255
    choices: tuple[str, ...] = ()

    def check(self, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("must be text")
        if self.choices and value not in self.choices:
            raise ValueError(f"must be one of {', '.join(map(repr, self.choices))}")
        if self.max_length is not None and len(value) > self.max_length:
            raise ValueError(f"must be at most {self.max_length:,} characters")
        return value


@dataclass(frozen=True, slots=True)
class DateTime(Kind):
    """An ISO 8601 date-time with a time zone; stored in UTC with milliseconds."""

    def check(self, value: object) -> object:
        return format_utc(parse_date_time(value))


@dataclass(frozen=True, slots=True)
class Date(Kind):
    """A calendar date, `YYYY-MM-DD`."""

    def check(self, value: object) -> object:
        if not isinstance(value, str):
            raise ValueError("must be a date like 2026-03-02")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("must be a date like 2026-03-02") from None


@dataclass(frozen=True, slots=True)
class Bool(Kind):
    def check(self, value: object) -> object:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value


@dataclass(frozen=True, slots=True)
class Integer(Kind):
    def check(self, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not -MAX_INT - 1 <= value <= MAX_INT:
            raise ValueError("is too large")
        return value


@dataclass(frozen=True, slots=True)
class Number(Kind):
    def check(self, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError("must be a number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        if isinstance(value, int) and abs(value) > MAX_INT:
            raise ValueError("is too large")
        return value


@dataclass(frozen=True, slots=True)
class TextList(Kind):
    """A list of text, each item at most `max_length` characters."""

    max_length: int | None = None

    def check(self, value: object) -> object:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of text")
        if self.max_length is not None and any(len(v) > self.max_length for v in value):
            raise ValueError(f"must hold items of at most {self.max_length:,} characters")
        return list(value)


def parse_date_time(value: object) -> datetime:
    """An aware UTC datetime from ISO 8601 text; ValueError saying what is wrong."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time with a time zone")
    try:
        when = datetime.fromisoformat(value)
        if when.tzinfo is None or when.utcoffset() is None:
            raise ValueError("naive")
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            "must be an ISO 8601 date-time with a time zone, like 2026-03-02T15:00:00Z"
        ) from None


@dataclass(frozen=True, slots=True)
class WriteSpec:
    """What a client may write on one resource type."""

    type: str
    attributes: Mapping[str, Kind]
    read_only: frozenset[str] = frozenset()
    relationships: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    read_only_relationships: Mapping[str, str] = field(default_factory=dict)  # name -> hint
    # relationships the spec lets a client write that this sandbox does not take here
    unsupported_relationships: Mapping[str, str] = field(default_factory=dict)  # name -> hint
    patterned: tuple[tuple[re.Pattern[str], Kind], ...] = ()  # e.g. custom1..custom150

    def kind_of(self, name: str) -> Kind | None:
        found = self.attributes.get(name)
        if found is None:
            found = next((k for p, k in self.patterned if p.fullmatch(name)), None)
        return found


Link = tuple[str, int]


@dataclass(frozen=True, slots=True)
class Write:
    """A read body: the attributes (stored form) and to-one links given, and its faults."""

    attributes: dict[str, object]
    links: dict[str, Link | None]
    errors: list[ErrorObject] = field(default_factory=list)


def parse_write(spec: WriteSpec, document: object, member_id: int | None = None) -> Write:
    """The body's attributes and links, and a 422 error for each member at fault (422 at once
    when there is no `data` object). `member_id` is the URL's id of a PATCH: the body must then
    carry the same `data.id`.
    """
    data = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(data, Mapping):
        detail = "data: the body must be a JSON:API document with a data object"
        raise validation_failed([validation_error(detail, "/data")])
    errors: list[ErrorObject] = []
    if data.get("type") != spec.type:
        errors.append(validation_error(f"type must be {spec.type!r}", "/data/type"))
    if member_id is not None:
        given = data.get("id")
        # Outreach writes ids as integers; JSON:API as strings: both name the resource.
        if isinstance(given, bool) or str(given) != str(member_id):
            errors.append(
                validation_error(f"id must be {member_id}, the id in the URL", "/data/id")
            )
    attributes = data.get("attributes", {})
    relationships = data.get("relationships", {})
    out_attrs: dict[str, object] = {}
    out_links: dict[str, Link | None] = {}
    if not isinstance(attributes, Mapping):
        errors.append(validation_error("attributes must be an object", "/data/attributes"))
    else:
        for name, value in attributes.items():
            pointer = f"/data/attributes/{_escape(str(name))}"
            problem = _attribute_problem(spec, str(name), value, out_attrs)
            if problem is not None:
                errors.append(validation_error(f"{name} {problem}", pointer))
    if not isinstance(relationships, Mapping):
        errors.append(validation_error("relationships must be an object", "/data/relationships"))
    else:
        for name, value in relationships.items():
            pointer = f"/data/relationships/{_escape(str(name))}"
            problem = _link_problem(spec, str(name), value, out_links)
            if problem is not None:
                errors.append(validation_error(f"{name} {problem}", pointer))
    return Write(out_attrs, out_links, errors)


def _attribute_problem(
    spec: WriteSpec, name: str, value: object, out: dict[str, object]
) -> str | None:
    if name in spec.read_only:
        return "is read-only and cannot be sent"
    kind = spec.kind_of(name)
    if kind is None:
        return f"is not a {spec.type} attribute Outreach accepts"
    if value is None:
        out[name] = None
        return None
    try:
        out[name] = kind.check(value)
    except ValueError as exc:
        return str(exc)
    return None


def _link_problem(
    spec: WriteSpec, name: str, value: object, out: dict[str, Link | None]
) -> str | None:
    if name in spec.read_only_relationships:
        return f"is read-only and cannot be sent{spec.read_only_relationships[name]}"
    if name in spec.unsupported_relationships:
        return f"is not written through a {spec.type} here{spec.unsupported_relationships[name]}"
    targets = spec.relationships.get(name)
    if targets is None:
        return f"is not a relationship a client can write on a {spec.type}"
    data = value.get("data", ...) if isinstance(value, Mapping) else ...
    if data is None:
        out[name] = None
        return None
    wanted = "must be linkage like {'data': {'type': ..., 'id': ...}} or {'data': null}"
    if not isinstance(data, Mapping) or set(data) - {"type", "id"}:
        return wanted
    kind, rid = data.get("type"), data.get("id")
    if not isinstance(kind, str) or kind not in targets:
        return f"must link {' or '.join(repr(t) for t in targets)}"
    if isinstance(rid, str) and rid.isascii() and rid.isdigit():
        rid = int(rid)  # JSON:API writes ids as strings
    if isinstance(rid, bool) or not isinstance(rid, int) or rid < 1:
        return "must link an integer id"
    out[name] = (kind, rid)
    return None


def write_errors(store: Store, write: Write) -> list[ErrorObject]:
    """The body's faults and one per link to a resource that does not exist (database thread)."""
    errors = list(write.errors)
    for name, link in write.links.items():
        if link is None:
            continue
        kind, rid = link
        if rid > MAX_INT or not store.exists(kind, rid):
            detail = f"{name} links a {kind} that does not exist (id {rid})"
            errors.append(validation_error(detail, f"/data/relationships/{_escape(name)}"))
    return errors


def require(errors: list[ErrorObject], pointer: str, detail: str) -> None:
    """Add "is required" for `pointer` unless an error already names it."""
    if all(e.pointer != pointer for e in errors):
        errors.append(validation_error(detail, pointer))


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")
