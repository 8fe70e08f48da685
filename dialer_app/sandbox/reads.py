"""Read endpoints' work on the database thread: one resource, or a page of a filtered list."""

from __future__ import annotations

from dataclasses import dataclass

from .documents import DocumentBuilder, JsonObject
from .query import CursorKey, ListQuery, ReadOptions
from .resources import ResourceType
from .store import Store


@dataclass(frozen=True, slots=True)
class ListResult:
    data: list[JsonObject]
    included: list[JsonObject]
    next_key: CursorKey | None
    count: int | None


def read_list(
    store: Store, rtype: ResourceType, query: ListQuery, options: ReadOptions, api_root: str
) -> ListResult:
    page = store.page(rtype, query)
    data, included = DocumentBuilder(store, api_root, options).document(rtype, page.rows)
    return ListResult(data, included, page.next_key, page.count)


def read_one(
    store: Store, rtype: ResourceType, rid: int, options: ReadOptions, api_root: str
) -> tuple[JsonObject, list[JsonObject]] | None:
    row = store.get(rtype, rid)
    if row is None:
        return None
    data, included = DocumentBuilder(store, api_root, options).document(rtype, [row])
    return data[0], included
