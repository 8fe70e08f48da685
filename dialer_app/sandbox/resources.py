"""The JSON:API resource types the sandbox serves: tables, relationships, filters and sorts.

Every type is stored the same way: a table with `id`, the attributes as a JSON object (`attrs`),
one `rel_<name>` column per to-one relationship, and `attr_<name>` columns for the attributes that
can be filtered or sorted on (case-folded where matching is case-insensitive). Adding a type is
adding one `ResourceType` here; the store, the routes and the documents follow from it.

Filters every type gets for free: `filter[id]` and `filter[<toOne>][id]`, both taking one id or a
comma-separated list. Declared attribute filters match exactly; `folded` ones case-insensitively;
`ranged` (date-time) ones take one instant or a range `A..B`, inclusive, where `A` may be
`neginf` and `B` `inf` (`filter[updatedAt]=2025-06-01T00:00:00.000Z..inf`).
Prospects also have search terms (see `dialer_app.sandbox.search`). How unknown filters, name
filters and phone numbers are matched depends on the dialect (`dialer_app.sandbox.dialects`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

FilterKind = Literal["ids", "exact", "folded", "term", "prefix", "range", "phone"]


@dataclass(frozen=True, slots=True)
class ToOne:
    """A to-one relationship stored in column `rel_<name>` of the owning table."""

    name: str
    target: str

    @property
    def column(self) -> str:
        return f"rel_{self.name}"


@dataclass(frozen=True, slots=True)
class ToMany:
    """A to-many relationship: rows of `target` whose to-one `via` points back here."""

    name: str
    target: str
    via: str
    only: tuple[str, str] | None = None  # (attribute column, value) the children must have
    order: str | None = None  # attribute column to order the linkage by, then id


@dataclass(frozen=True, slots=True)
class IndexedAttr:
    """An attribute copied into column `attr_<name>` so it can be filtered or sorted on."""

    name: str
    folded: bool = False
    filterable: bool = True
    sortable: bool = False
    index: bool = True  # worth an index (selective, or sorted on)
    ranged: bool = False  # a date-time: `filter[x]=A..B` (either end `neginf`/`inf`) or one instant

    @property
    def column(self) -> str:
        return f"attr_{self.name}"


@dataclass(frozen=True, slots=True)
class Filter:
    """How `filter[<name>]` is answered."""

    name: str
    kind: FilterKind
    column: str = "id"
    term_kind: str = ""
    exact_attr: str = ""  # a term filter that must also equal this attribute exactly


@dataclass(frozen=True, slots=True)
class ResourceType:
    """One JSON:API type: where it lives, how it links, how it is filtered and sorted."""

    type: str
    path: str
    table: str
    to_one: tuple[ToOne, ...] = ()
    to_many: tuple[ToMany, ...] = ()
    indexed: tuple[IndexedAttr, ...] = ()
    term_filters: Mapping[str, str] = field(default_factory=dict)  # filter name -> term kind
    searchable: bool = False  # has `filter[q]`

    def relationship_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.to_one) + tuple(r.name for r in self.to_many)

    def to_one_named(self, name: str) -> ToOne | None:
        return next((r for r in self.to_one if r.name == name), None)

    def to_many_named(self, name: str) -> ToMany | None:
        return next((r for r in self.to_many if r.name == name), None)

    def filters(self) -> dict[str, Filter]:
        """Every `filter[...]` this type answers, keyed by the dotted name (`account.id`)."""
        out = {"id": Filter("id", "ids")}
        for rel in self.to_one:
            out[f"{rel.name}.id"] = Filter(f"{rel.name}.id", "ids", rel.column)
        for attr in self.indexed:
            if attr.filterable:
                kind: FilterKind = "folded" if attr.folded else "exact"
                if attr.ranged:
                    kind = "range"
                out[attr.name] = Filter(attr.name, kind, attr.column)
        for name, term_kind in self.term_filters.items():
            out[name] = Filter(name, "term", term_kind=term_kind)
        if self.searchable:
            out["q"] = Filter("q", "prefix")
        return out

    def sorts(self) -> dict[str, str]:
        """Sort keys this type accepts, mapped to their column."""
        out = {"id": "id"}
        out.update({a.name: a.column for a in self.indexed if a.sortable})
        return out


def _rels(*pairs: tuple[str, str]) -> tuple[ToOne, ...]:
    return tuple(ToOne(name, target) for name, target in pairs)


USER = ResourceType(
    type="user",
    path="users",
    table="users",
    indexed=(IndexedAttr("email", folded=True),),
)

ACCOUNT = ResourceType(
    type="account",
    path="accounts",
    table="accounts",
    to_one=_rels(("owner", "user")),
    indexed=(IndexedAttr("name", folded=True, sortable=True),),
    to_many=(ToMany("prospects", "prospect", via="account"),),
)

PROSPECT = ResourceType(
    type="prospect",
    path="prospects",
    table="prospects",
    to_one=_rels(("account", "account"), ("owner", "user")),
    to_many=(
        ToMany("phoneNumbers", "phoneNumber", via="prospect", order="attr_order"),
        ToMany(
            "activeSequenceStates", "sequenceState", via="prospect", only=("attr_state", "active")
        ),
    ),
    indexed=(
        IndexedAttr("createdAt", sortable=True, ranged=True),
        IndexedAttr("updatedAt", sortable=True, ranged=True),
    ),
    term_filters={"firstName": "first", "lastName": "last", "emails": "email"},
    searchable=True,
)

PHONE_NUMBER = ResourceType(
    type="phoneNumber",
    path="phoneNumbers",
    table="phone_numbers",
    to_one=_rels(("prospect", "prospect")),
    indexed=(
        IndexedAttr("number"),
        IndexedAttr("phoneType", index=False),
        IndexedAttr("order", sortable=True, index=False),
    ),
)

CALL_DISPOSITION = ResourceType(
    type="callDisposition",
    path="callDispositions",
    table="call_dispositions",
    indexed=(IndexedAttr("name", folded=True), IndexedAttr("order", sortable=True)),
)

CALL_PURPOSE = ResourceType(
    type="callPurpose",
    path="callPurposes",
    table="call_purposes",
    indexed=(IndexedAttr("name", folded=True), IndexedAttr("order", sortable=True)),
)

SEQUENCE = ResourceType(
    type="sequence",
    path="sequences",
    table="sequences",
    to_one=_rels(("owner", "user")),
    to_many=(ToMany("sequenceSteps", "sequenceStep", via="sequence", order="attr_order"),),
    indexed=(IndexedAttr("name", folded=True),),
)

SEQUENCE_STEP = ResourceType(
    type="sequenceStep",
    path="sequenceSteps",
    table="sequence_steps",
    to_one=_rels(("sequence", "sequence"), ("callPurpose", "callPurpose")),
    indexed=(IndexedAttr("stepType"), IndexedAttr("order", sortable=True)),
)

SEQUENCE_STATE = ResourceType(
    type="sequenceState",
    path="sequenceStates",
    table="sequence_states",
    to_one=_rels(
        ("prospect", "prospect"),
        ("sequence", "sequence"),
        ("sequenceStep", "sequenceStep"),
        ("account", "account"),
        ("user", "user"),
    ),
    indexed=(IndexedAttr("state"),),
)

TASK = ResourceType(
    type="task",
    path="tasks",
    table="tasks",
    to_one=_rels(
        ("prospect", "prospect"),
        ("account", "account"),
        ("owner", "user"),
        ("sequence", "sequence"),
        ("sequenceState", "sequenceState"),
        ("sequenceStep", "sequenceStep"),
        ("call", "call"),
    ),
    indexed=(
        IndexedAttr("state"),
        IndexedAttr("taskType"),
        IndexedAttr("dueAt", sortable=True, ranged=True),
    ),
)

CALL = ResourceType(
    type="call",
    path="calls",
    table="calls",
    to_one=_rels(
        ("callDisposition", "callDisposition"),
        ("callPurpose", "callPurpose"),
        ("opportunity", "opportunity"),
        ("phoneNumber", "phoneNumber"),
        ("prospect", "prospect"),
        ("sequence", "sequence"),
        ("sequenceState", "sequenceState"),
        ("sequenceStep", "sequenceStep"),
        ("task", "task"),
        ("user", "user"),
    ),
    indexed=(
        IndexedAttr("createdAt", sortable=True, ranged=True),
        IndexedAttr("updatedAt", sortable=True, ranged=True),
        IndexedAttr("outcome"),
        IndexedAttr("state"),
        IndexedAttr("direction"),
    ),
)

RESOURCE_TYPES: tuple[ResourceType, ...] = (
    USER,
    ACCOUNT,
    PROSPECT,
    PHONE_NUMBER,
    CALL_DISPOSITION,
    CALL_PURPOSE,
    SEQUENCE,
    SEQUENCE_STEP,
    SEQUENCE_STATE,
    TASK,
    CALL,
)
BY_TYPE: dict[str, ResourceType] = {r.type: r for r in RESOURCE_TYPES}
BY_PATH: dict[str, ResourceType] = {r.path: r for r in RESOURCE_TYPES}
