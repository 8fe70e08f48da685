"""Turning stored rows into JSON:API documents: linkage, sparse fieldsets, `included`.

Runs on the database thread (it reads to-many linkage and included resources).
`fields[type]` names attributes and relationships alike; unknown names are ignored.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .query import ReadOptions
from .resources import BY_TYPE, ResourceType
from .store import Row, Store

JsonObject = dict[str, Any]


class DocumentBuilder:
    """Renders rows of one request; `api_root` is the absolute `.../api/v2` for `links`."""

    def __init__(self, store: Store, api_root: str, options: ReadOptions) -> None:
        self._store = store
        self._root = api_root.rstrip("/")
        self._options = options

    def _wanted(self, rtype: ResourceType, name: str) -> bool:
        fields = self._options.fields.get(rtype.type)
        return fields is None or name in fields

    def _to_many(
        self, rtype: ResourceType, rows: Sequence[Row], force: tuple[str, ...] = ()
    ) -> dict[str, dict[int, list[int]]]:
        ids = [r.id for r in rows]
        return {
            rel.name: self._store.linkage(rel, ids)
            for rel in rtype.to_many
            if rows and (self._wanted(rtype, rel.name) or rel.name in force)
        }

    def render(self, rtype: ResourceType, rows: Sequence[Row]) -> list[JsonObject]:
        """Resource objects for `rows`, with linkage and `links.self`."""
        return self._render(rtype, rows, self._to_many(rtype, rows))

    def _render(
        self, rtype: ResourceType, rows: Sequence[Row], many: dict[str, dict[int, list[int]]]
    ) -> list[JsonObject]:
        fields = self._options.fields.get(rtype.type)
        out = []
        for row in rows:
            attrs = (
                row.attrs if fields is None else {k: v for k, v in row.attrs.items() if k in fields}
            )
            rels: JsonObject = {}
            for one in rtype.to_one:
                if fields is None or one.name in fields:
                    rid = row.links.get(one.name)
                    data = None if rid is None else {"type": one.target, "id": rid}
                    rels[one.name] = {"data": data}
            for rel in rtype.to_many:
                if fields is None or rel.name in fields:
                    ids = many.get(rel.name, {}).get(row.id, [])
                    rels[rel.name] = {"data": [{"type": rel.target, "id": i} for i in ids]}
            out.append(
                {
                    "type": rtype.type,
                    "id": row.id,
                    "attributes": attrs,
                    "relationships": rels,
                    "links": {"self": f"{self._root}/{rtype.path}/{row.id}"},
                }
            )
        return out

    def document(
        self, rtype: ResourceType, rows: Sequence[Row]
    ) -> tuple[list[JsonObject], list[JsonObject]]:
        """`(data, included)` for `rows` and the request's `include` paths."""
        many = self._to_many(rtype, rows, force=self._options.include)
        data = self._render(rtype, rows, many)
        wanted: dict[str, set[int]] = {}
        for path in self._options.include:
            if (one := rtype.to_one_named(path)) is not None:
                ids = {rid for row in rows if (rid := row.links.get(path)) is not None}
                wanted.setdefault(one.target, set()).update(ids)
            elif (rel := rtype.to_many_named(path)) is not None:
                ids = {i for children in many[path].values() for i in children}
                wanted.setdefault(rel.target, set()).update(ids)
        included: list[JsonObject] = []
        for type_name, ids in wanted.items():
            target = BY_TYPE.get(type_name)
            if target is None:  # linked to a type the sandbox does not store
                continue
            if target.type == rtype.type:
                ids -= {row.id for row in rows}
            included += self.render(target, self._store.get_many(target, ids))
        return data, included
