"""Reading JSON:API query parameters: filters, sort, cursor pagination, include, sparse fields.

Unknown `page[...]` and `sort` keys, malformed values and unknown `include` paths are refused
with 400 `badRequest` naming the parameter; other parameters are ignored. Unknown `filter[...]`
keys are refused the same way, or dropped, as the dialect says (`dialer_app.sandbox.dialects`).
`page[after]` is an opaque cursor taken from `links.next`, valid only with the same sort.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dialer_app.core.terms import format_utc

from .dialects import Dialect
from .errors import bad_request
from .resources import BY_TYPE, Filter, ResourceType
from .search import fold, prefix_bounds

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000

_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
CursorKey = tuple[str | int | float | None, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """One filter with its parsed values (ids, exact text, folded text or prefix bounds)."""

    filter: Filter
    values: tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What a list request asks for, checked against its resource type."""

    conditions: tuple[Condition, ...] = ()
    sort: str = "id"
    sort_column: str = "id"
    descending: bool = False
    after: CursorKey | None = None
    size: int = DEFAULT_PAGE_SIZE
    count: bool = False


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """`include=` paths and `fields[type]=` sparse fieldsets of a read."""

    include: tuple[str, ...] = ()
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)


def encode_cursor(sort: str, key: CursorKey) -> str:
    raw = json.dumps([sort, *key], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> CursorKey:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise bad_request(
            "page[after] is not a cursor this server gave out.", "page[after]"
        ) from exc
    if not isinstance(value, list) or len(value) < 2 or value[0] != sort:
        raise bad_request(
            "page[after] belongs to another sort order; follow links.next as given.", "page[after]"
        )
    return tuple(value[1:])


def _key_path(key: str, family: str) -> str | None:
    """`filter[account][id]` → `account.id`; None when `key` is not of `family`."""
    if not key.startswith(family + "["):
        return None
    rest = key[len(family) :]
    parts = _BRACKETS.findall(rest)
    if not parts or "".join(f"[{p}]" for p in parts) != rest or not all(parts):
        raise bad_request(f"{key} is not a well-formed parameter name.", key)
    return ".".join(parts)


def _instant(text: str, param: str) -> str:
    """An ISO 8601 date or date-time in the stored form (`2025-06-02T09:00:00.000Z`)."""
    try:
        when = datetime.fromisoformat(text.strip())
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return format_utc(when)
    except (ValueError, OverflowError) as exc:
        raise bad_request(
            f"{param}: {text!r} is not a date or date-time (ISO 8601, or neginf/inf in a range "
            "A..B).",
            param,
        ) from exc


def _range(raw: str, param: str) -> tuple[str, str]:
    """`A..B` (either end open: `neginf`, `inf`) or one instant → inclusive bounds, "" = open."""
    if ".." not in raw:
        one = _instant(raw, param)
        return one, one
    low, _, high = raw.partition("..")
    if ".." in high:
        raise bad_request(f"{param}: a range is A..B with one '..'.", param)
    return (
        "" if low.strip() == "neginf" else _instant(low, param),
        "" if high.strip() == "inf" else _instant(high, param),
    )


def _phone(raw: str) -> tuple[str, str]:
    """("intl", digits) for a number with its country code (`+`, `00`), else ("national", …)."""
    text = raw.strip()
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if text.startswith("+"):
        return "intl", digits
    if digits.startswith("00"):
        return "intl", digits[2:]
    return "national", digits.lstrip("0")


def _condition(flt: Filter, raw: str, param: str) -> Condition:
    if flt.kind == "ids":
        try:
            ids = tuple(int(v) for v in raw.split(","))
        except ValueError as exc:
            raise bad_request(f"{param} takes integer ids, comma-separated.", param) from exc
        return Condition(flt, ids)
    if flt.kind == "prefix":
        return Condition(flt, prefix_bounds(raw) if raw.strip() else ())
    if flt.kind == "range":
        return Condition(flt, _range(raw, param))
    if flt.kind == "phone":
        return Condition(flt, _phone(raw))
    if flt.kind == "term" and flt.exact_attr:
        return Condition(flt, (fold(raw), raw))
    if flt.kind in ("folded", "term"):
        return Condition(flt, (fold(raw),))
    return Condition(flt, (raw,))


def parse_list_query(
    rtype: ResourceType, params: Mapping[str, str], dialect: Dialect | None = None
) -> ListQuery:
    """Filters, sort, page and count of a list request, in `dialect` (the default one if None)."""
    dialect = dialect or Dialect()
    filters = dialect.filters(rtype)
    conditions: list[Condition] = []
    size = DEFAULT_PAGE_SIZE
    cursor: str | None = None
    for key, raw in params.items():
        if (name := _key_path(key, "filter")) is not None:
            flt = filters.get(name)
            if flt is None and dialect.ignores_unknown_filters():
                continue
            if flt is None:
                known = ", ".join(f"filter[{n.replace('.', '][')}]" for n in filters)
                raise bad_request(
                    f"{key} is not a filter of {rtype.path}; use one of {known}.", key
                )
            conditions.append(_condition(flt, raw, key))
        elif (name := _key_path(key, "page")) is not None:
            if name == "size":
                if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE_SIZE:
                    raise bad_request(f"page[size] must be 1 to {MAX_PAGE_SIZE}.", key)
                size = int(raw)
            elif name == "after":
                cursor = raw
            else:
                raise bad_request(f"{key} is not supported; use page[size] and page[after].", key)
    sort = params.get("sort", "id") or "id"
    descending = sort.startswith("-")
    column = rtype.sorts().get(sort.lstrip("-"))
    if column is None or "," in sort:
        known = ", ".join(rtype.sorts())
        raise bad_request(f"sort must be one of {known} (prefix - for descending).", "sort")
    count = params.get("count", "false")
    if count not in ("true", "false"):
        raise bad_request("count must be true or false.", "count")
    after = decode_cursor(cursor, sort) if cursor is not None else None
    return ListQuery(tuple(conditions), sort, column, descending, after, size, count == "true")


def parse_read_options(rtype: ResourceType, params: Mapping[str, str]) -> ReadOptions:
    """`include` (one level, relationships of `rtype`) and `fields[type]`."""
    include = tuple(p for p in params.get("include", "").split(",") if p)
    for path in include:
        if path not in rtype.relationship_names():
            known = ", ".join(rtype.relationship_names())
            raise bad_request(f"{rtype.type} cannot include {path!r}; use {known}.", "include")
    fields: dict[str, frozenset[str]] = {}
    for key, raw in params.items():
        if (name := _key_path(key, "fields")) is not None:
            if name not in BY_TYPE:
                raise bad_request(f"{key}: there is no resource type {name!r}.", key)
            fields[name] = frozenset(f for f in raw.split(",") if f)
    return ReadOptions(include, fields)
