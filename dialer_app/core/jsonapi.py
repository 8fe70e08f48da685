"""JSON:API 1.0 documents as Outreach speaks them: resources, linkage, errors, field errors.

Outreach identifies resources by integer ids (`{"type": "prospect", "id": 12}`), sends and expects
`application/vnd.api+json`, and reports failures as an error document whose errors may carry a
`source.pointer` (`/data/attributes/note`) naming the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from .terms import FieldError as FieldError  # re-exported

MEDIA_TYPE = "application/vnd.api+json"

JsonObject = dict[str, Any]


class ResourceIdentifier(BaseModel):
    """Linkage to one resource: `{"type": "prospect", "id": 12}`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: StrictStr
    id: StrictInt


class Resource(BaseModel):
    """One resource object of a document, attributes left as plain JSON for typed models to read."""

    model_config = ConfigDict(extra="ignore")

    type: StrictStr
    id: StrictInt
    attributes: JsonObject = Field(default_factory=dict)
    relationships: JsonObject = Field(default_factory=dict)
    links: JsonObject = Field(default_factory=dict)

    def to_one(self, name: str) -> ResourceIdentifier | None:
        """The linkage of the to-one relationship `name`, or None when absent or empty."""
        rel = self.relationships.get(name)
        if not isinstance(rel, Mapping):
            return None
        data = rel.get("data")
        if not isinstance(data, Mapping):
            return None
        return ResourceIdentifier.model_validate(data)

    def to_many(self, name: str) -> list[ResourceIdentifier]:
        """The linkage of the to-many relationship `name` (empty when absent)."""
        rel = self.relationships.get(name)
        if not isinstance(rel, Mapping):
            return []
        data = rel.get("data")
        if not isinstance(data, list):
            return []
        return [ResourceIdentifier.model_validate(item) for item in data]


class Document(BaseModel):
    """A top-level data document: one resource or a page of them, plus included resources."""

    model_config = ConfigDict(extra="ignore")

    data: Resource | list[Resource] | None = None
    included: list[Resource] = Field(default_factory=list)
    links: JsonObject = Field(default_factory=dict)
    meta: JsonObject = Field(default_factory=dict)

    def resources(self) -> list[Resource]:
        """The primary data as a list, whatever its cardinality."""
        if self.data is None:
            return []
        if isinstance(self.data, Resource):
            return [self.data]
        return list(self.data)

    def find_included(self, ident: ResourceIdentifier | None) -> Resource | None:
        """The included resource that `ident` points at, if the server included it."""
        if ident is None:
            return None
        for res in self.included:
            if res.type == ident.type and res.id == ident.id:
                return res
        return None

    @property
    def next_url(self) -> str | None:
        """The cursor link to the next page, or None on the last page."""
        nxt = self.links.get("next")
        return nxt if isinstance(nxt, str) and nxt else None


class ErrorSource(BaseModel):
    """Where an error comes from: a JSON pointer into the request body, or a query parameter."""

    model_config = ConfigDict(extra="ignore")

    pointer: str | None = None
    parameter: str | None = None


class ErrorObject(BaseModel):
    """One entry of an error document."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    status: str | None = None
    title: str | None = None
    detail: str | None = None
    source: ErrorSource | None = None

    @property
    def field(self) -> str | None:
        """The attribute or relationship the error names through its pointer, if any."""
        if self.source is None or not self.source.pointer:
            return None
        return field_from_pointer(self.source.pointer)

    @property
    def message(self) -> str:
        """The most specific human text the error carries."""
        return self.detail or self.title or self.id or "Unknown error"


class ErrorDocument(BaseModel):
    """`{"errors": [...]}` — what Outreach answers instead of data when a request fails."""

    model_config = ConfigDict(extra="ignore")

    errors: list[ErrorObject]

    @classmethod
    def parse(cls, body: bytes | str | Mapping[str, Any]) -> ErrorDocument:
        """Read an error document; raise ValueError when the body is not one."""
        try:
            raw = json.loads(body) if isinstance(body, bytes | str) else body
            return cls.model_validate(raw)
        except (ValueError, ValidationError) as exc:
            raise ValueError(f"not a JSON:API error document: {exc}") from None

    def encode(self) -> JsonObject:
        """The wire form, leaving out empty members."""
        return self.model_dump(mode="json", exclude_none=True)

    def field_errors(self) -> list[FieldError]:
        """The errors that point at a field, as field errors."""
        out = []
        for err in self.errors:
            if err.source is not None and err.source.pointer and err.field:
                out.append(FieldError(err.source.pointer, err.field, err.message))
        return out


def field_from_pointer(pointer: str) -> str:
    """`/data/attributes/note` → `note`; `/data/relationships/prospect/data/id` → `prospect`."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/") if p]
    for container in ("attributes", "relationships"):
        if container in parts:
            idx = parts.index(container)
            if idx + 1 < len(parts):
                return parts[idx + 1]
    return parts[-1] if parts else ""


def pointer_for(loc: Sequence[str | int]) -> str:
    """A JSON pointer into a request document for a location inside its `data` member."""
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "/" + "/".join(["data", *escaped])


def error_document(errors: Sequence[ErrorObject]) -> JsonObject:
    """Encode error objects as an error document."""
    return ErrorDocument(errors=list(errors)).encode()
