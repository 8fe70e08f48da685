"""Outreach's call resource: what the app may write, with Outreach's constraints, and what it reads.

The writable attributes and their limits come from `components.schemas.call` of Outreach's
published OpenAPI document. Read-only attributes (`createdAt`, `updatedAt`, `state`,
`stateChangedAt`, `uid`, `voicemailRecordingUrl`) are parsed from responses but can never be part
of a request: `NewCall` refuses them. Date-times are always sent in UTC with a `Z` suffix and
millisecond precision, as Outreach itself returns them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictBool,
    StrictStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import ErrorDetails

from .jsonapi import FieldError, JsonObject, Resource, ResourceIdentifier, pointer_for
from .terms import (
    DIRECTIONS as DIRECTIONS,
)
from .terms import (
    NOTE_MAX as NOTE_MAX,
)
from .terms import (
    OUTCOMES as OUTCOMES,
)
from .terms import (
    READ_ONLY_ATTRIBUTES as READ_ONLY_ATTRIBUTES,
)
from .terms import (
    SEQUENCE_ACTIONS as SEQUENCE_ACTIONS,
)
from .terms import (
    SHORT_TEXT_MAX as SHORT_TEXT_MAX,
)
from .terms import (
    USER_CALL_TYPES as USER_CALL_TYPES,
)
from .terms import (
    VENDOR_CALL_ID_MAX as VENDOR_CALL_ID_MAX,
)
from .terms import (
    VOICEMAIL_URL_MAX as VOICEMAIL_URL_MAX,
)
from .terms import (  # re-exported: the call's vocabulary lives there, free of pydantic
    CallValidationError as CallValidationError,
)
from .terms import (
    Direction as Direction,
)
from .terms import (
    Outcome as Outcome,
)
from .terms import (
    SequenceAction as SequenceAction,
)
from .terms import (
    UserCallType as UserCallType,
)
from .terms import (
    format_utc as format_utc,
)
from .terms import (
    outcome_for as outcome_for,
)


def _must_be_text_or_datetime(value: object) -> object:
    if isinstance(value, datetime | str):
        return value
    raise ValueError("must be an ISO 8601 date-time string")


def _must_be_aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a time zone (UTC `Z` or an offset)")
    return value.astimezone(UTC)


UtcDateTime = Annotated[
    datetime,
    BeforeValidator(_must_be_text_or_datetime),
    AfterValidator(_must_be_aware),
    PlainSerializer(format_utc, return_type=str, when_used="json"),
]


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http:// or https:// link")
    if not parts.netloc:
        raise ValueError("must be a full link with a host, like https://host/path")
    return value


ShortText = Annotated[StrictStr, Field(max_length=SHORT_TEXT_MAX)]
RecordingUrl = Annotated[StrictStr, Field(max_length=SHORT_TEXT_MAX), AfterValidator(_http_url)]


class CallAttributes(BaseModel):
    """The attributes of a call that a client may write, each optional, each checked."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)

    dialedAt: UtcDateTime | None = None
    answeredAt: UtcDateTime | None = None
    completedAt: UtcDateTime | None = None
    returnedAt: UtcDateTime | None = None
    direction: Direction | None = None
    outcome: Outcome | None = None
    from_: ShortText | None = Field(default=None, alias="from")
    to: ShortText | None = None
    note: Annotated[StrictStr, Field(max_length=NOTE_MAX)] | None = None
    tags: list[StrictStr] | None = None
    sequenceAction: SequenceAction | None = None
    shouldRecordCall: StrictBool | None = None
    recordingUrl: RecordingUrl | None = None
    userCallType: UserCallType | None = None
    externalVendor: ShortText | None = None
    vendorCallId: Annotated[StrictStr, Field(max_length=VENDOR_CALL_ID_MAX)] | None = None

    def wire(self) -> JsonObject:
        """The attributes as sent: Outreach names, UTC date-times, unset fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class CallReadAttributes(CallAttributes):
    """A call's attributes as Outreach returns them, read-only ones included."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    createdAt: UtcDateTime | None = None
    updatedAt: UtcDateTime | None = None
    state: ShortText | None = None
    stateChangedAt: UtcDateTime | None = None
    uid: ShortText | None = None
    voicemailRecordingUrl: Annotated[StrictStr, Field(max_length=VOICEMAIL_URL_MAX)] | None = None


RELATIONSHIP_TYPES: dict[str, str] = {
    "callDisposition": "callDisposition",
    "callPurpose": "callPurpose",
    "opportunity": "opportunity",
    "phoneNumber": "phoneNumber",
    "prospect": "prospect",
    "sequence": "sequence",
    "sequenceState": "sequenceState",
    "sequenceStep": "sequenceStep",
    "task": "task",
    "user": "user",
}


class CallRelationships(BaseModel):
    """The ten writable to-one relationships of a call, each `None` or linkage of its own type.

    On the wire each is `{"data": {"type": ..., "id": ...}}`; in Python it is the identifier itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    callDisposition: ResourceIdentifier | None = None
    callPurpose: ResourceIdentifier | None = None
    opportunity: ResourceIdentifier | None = None
    phoneNumber: ResourceIdentifier | None = None
    prospect: ResourceIdentifier | None = None
    sequence: ResourceIdentifier | None = None
    sequenceState: ResourceIdentifier | None = None
    sequenceStep: ResourceIdentifier | None = None
    task: ResourceIdentifier | None = None
    user: ResourceIdentifier | None = None

    @model_validator(mode="before")
    @classmethod
    def _unwrap_linkage(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            return value
        out: dict[str, object] = {}
        for name, rel in value.items():
            if isinstance(rel, Mapping) and "data" in rel:
                out[name] = rel["data"]
            elif isinstance(rel, ResourceIdentifier) or rel is None:
                out[name] = rel
            else:
                out[name] = _BadLinkage(rel)
        return out

    @field_validator("*")
    @classmethod
    def _type_matches(
        cls, ident: ResourceIdentifier | None, info: ValidationInfo
    ) -> ResourceIdentifier | None:
        expected = RELATIONSHIP_TYPES[str(info.field_name)]
        if ident is not None and ident.type != expected:
            raise ValueError(f"must link a {expected!r}, not a {ident.type!r}")
        return ident

    @model_serializer(mode="plain")
    def _wrap_linkage(self) -> JsonObject:
        out: JsonObject = {}
        for name in RELATIONSHIP_TYPES:
            ident: ResourceIdentifier | None = getattr(self, name)
            if ident is not None:
                out[name] = {"data": {"type": ident.type, "id": ident.id}}
        return out

    @classmethod
    def link(cls, **ids: int | None) -> CallRelationships:
        """Build linkage from ids: `CallRelationships.link(prospect=12, callDisposition=3)`."""
        return cls.model_validate(
            {
                name: None
                if rid is None
                else ResourceIdentifier(type=RELATIONSHIP_TYPES[name], id=rid)
                for name, rid in ids.items()
            }
        )


class _BadLinkage:
    """Marks a relationship value that is not `{"data": ...}` so validation names it."""

    def __init__(self, raw: object) -> None:
        self.raw = raw


class NewCall(BaseModel):
    """A call to create: writable attributes plus relationship linkage."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    attributes: CallAttributes = Field(default_factory=CallAttributes)
    relationships: CallRelationships = Field(default_factory=CallRelationships)

    def to_document(self) -> JsonObject:
        """The JSON:API request body for `POST /calls`."""
        data: JsonObject = {"type": "call", "attributes": self.attributes.wire()}
        rels = self.relationships.model_dump(mode="json")
        if rels:
            data["relationships"] = rels
        return {"data": data}

    @classmethod
    def from_document(cls, doc: object) -> NewCall:
        """Read and check a `POST /calls` body; raise CallValidationError naming every bad field."""
        errors: list[FieldError] = []
        data = doc.get("data") if isinstance(doc, Mapping) else None
        if not isinstance(data, Mapping):
            raise CallValidationError(
                [FieldError("/data", "data", "the body must be a JSON:API document with data")]
            )
        if data.get("type") != "call":
            errors.append(FieldError("/data/type", "type", "must be 'call'"))
        attributes = data.get("attributes", {})
        relationships = data.get("relationships", {})
        for name, value in (("attributes", attributes), ("relationships", relationships)):
            if not isinstance(value, Mapping):
                errors.append(FieldError(f"/data/{name}", name, "must be an object"))
        if errors:
            raise CallValidationError(errors)
        attrs: CallAttributes | None = None
        rels: CallRelationships | None = None
        try:
            attrs = CallAttributes.model_validate(attributes)
        except ValidationError as exc:
            errors.extend(_field_errors("attributes", exc.errors()))
        try:
            rels = CallRelationships.model_validate(relationships)
        except ValidationError as exc:
            errors.extend(_field_errors("relationships", exc.errors()))
        if errors or attrs is None or rels is None:
            raise CallValidationError(errors)
        return cls(attributes=attrs, relationships=rels)


class Call(BaseModel):
    """A call as stored in Outreach."""

    model_config = ConfigDict(frozen=True)

    id: int
    attributes: CallReadAttributes
    relationships: dict[str, ResourceIdentifier | None]

    @classmethod
    def from_resource(cls, res: Resource) -> Call:
        """Read a call from a JSON:API resource object."""
        rels = {name: res.to_one(name) for name in RELATIONSHIP_TYPES}
        return cls(
            id=res.id,
            attributes=CallReadAttributes.model_validate(res.attributes),
            relationships=rels,
        )

    def link_id(self, name: str) -> int | None:
        """The id linked by relationship `name`, if any."""
        ident = self.relationships.get(name)
        return None if ident is None else ident.id


def _field_errors(container: str, details: list[ErrorDetails]) -> list[FieldError]:
    out: list[FieldError] = []
    seen: set[str] = set()
    for err in details:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        name = str(loc[0]) if loc else ""
        if not name:
            continue
        pointer = pointer_for([container, name])
        if pointer in seen:  # a union reports each branch: one message per field is enough
            continue
        seen.add(pointer)
        out.append(FieldError(pointer, name, _message(name, err)))
    return out


def _message(name: str, err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        if name in READ_ONLY_ATTRIBUTES:
            return "is read-only and cannot be sent"
        return "is not a call attribute Outreach accepts"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length', 0):,} characters"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind in ("string_type",):
        return "must be text"
    if kind in ("bool_type",):
        return "must be true or false"
    if kind in ("list_type",):
        return "must be a list of text"
    if kind == "value_error":
        inner = ctx.get("error")
        return str(inner) if inner is not None else err["msg"]
    if kind.startswith("datetime"):
        return "must be an ISO 8601 date-time with a time zone"
    if kind in ("model_type", "model_attributes_type", "is_instance_of", "dict_type"):
        return "must be linkage like {'data': {'type': ..., 'id': ...}} or {'data': null}"
    if kind in ("int_type", "int_parsing"):
        return "must link an integer id"
    return err["msg"]
