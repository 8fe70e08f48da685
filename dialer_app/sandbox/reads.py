"""Read endpoints' work on the database thread: one resource, or a page of a filtered list."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .documents import DocumentBuilder, JsonObject
from .query import Condition, CursorKey, ListQuery, ReadOptions
from .resources import Filter, ResourceType
from .store import Store

NOTHING: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class ListResult:
    data: list[JsonObject]
    included: list[JsonObject]
    next_key: CursorKey | None
    count: int | None


def read_list(
    store: Store,
    rtype: ResourceType,
    query: ListQuery,
    options: ReadOptions,
    api_root: str,
    hidden: frozenset[int] = NOTHING,
) -> ListResult:
    """A page of the list; rows in `hidden` (not readable yet: read lag) are left out."""
    page = store.page(rtype, query)
    rows = [row for row in page.rows if row.id not in hidden] if hidden else page.rows
    count = page.count
    if count is not None and hidden:
        only_hidden = Condition(Filter("id", "ids"), tuple(sorted(hidden)))
        also = replace(query, conditions=(*query.conditions, only_hidden), after=None, size=1)
        count -= store.page(rtype, also).count or 0
    data, included = DocumentBuilder(store, api_root, options).document(rtype, rows)
    return ListResult(data, included, page.next_key, count)


def read_one(
    store: Store,
    rtype: ResourceType,
    rid: int,
    options: ReadOptions,
    api_root: str,
    hidden: frozenset[int] = NOTHING,
) -> tuple[JsonObject, list[JsonObject]] | None:
    row = None if rid in hidden else store.get(rtype, rid)
    if row is None:
        return None
    data, included = DocumentBuilder(store, api_root, options).document(rtype, [row])
    return data[0], included
