"""Request bodies the app writes besides calls: a task, a prospect, a phone number, changes.

Each model holds what the app sends, checked against Outreach's limits (`components.schemas` of
its OpenAPI document: `task`, `prospect`, `phoneNumber`) before anything goes out.
`Model.make(...)` builds one or raises `BodyError`, whose `errors` name each field with the JSON
pointer Outreach's 422 would use; `to_document()` is the JSON:API body. Date-times are sent in
UTC with a `Z` and milliseconds.

A task has no vendor id, so the app recognises its own by a reference line it appends to the
note (`ref_line`, `ref_of`): `Dialer Companion ref <ref>`, where `<ref>` is the id of the outbox
operation that creates it. A prospect it creates carries that id in `externalId` (a writable
field meant for ids of external systems) with `externalSource` "Dialer Companion".
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails

from ..calls import UtcDateTime
from ..jsonapi import FieldError, JsonObject
from ..terms import NOTE_MAX, SHORT_TEXT_MAX
from .models import BAD_NUMBER as BAD_NUMBER  # re-exported: the status this app writes

APP_NAME = "Dialer Companion"
REF_PREFIX = f"{APP_NAME} ref "
REF_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_REF_LINE = re.compile(rf"(?:^|\n){re.escape(REF_PREFIX)}({REF_PATTERN.pattern})\s*\Z")
E164_PATTERN = re.compile(r"\+[1-9][0-9]{3,14}")

TaskAction = Literal["action_item", "call", "email", "in_person"]
PhoneType = Literal["mobile", "work", "home", "voip", "other"]
PHONE_TYPES: tuple[PhoneType, ...] = ("mobile", "work", "home", "voip", "other")


class BodyError(ValueError):
    """A body the app was about to send breaks Outreach's contract; `errors` say where."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors) or "invalid request body")
        self.errors = errors


def ref_line(ref: str) -> str:
    """The line that marks a note as written by this app for operation `ref`."""
    if not REF_PATTERN.fullmatch(ref):
        raise ValueError("a reference is 1 to 64 letters, digits, '-' or '_'")
    return f"{REF_PREFIX}{ref}"


def note_with_ref(note: str | None, ref: str) -> str:
    """`note`, then a blank line and the reference line (only the line when there is no note)."""
    text = (note or "").rstrip()
    return f"{text}\n\n{ref_line(ref)}" if text else ref_line(ref)


def ref_of(note: object) -> str | None:
    """The reference on the note's last line, if this app wrote one there."""
    if not isinstance(note, str):
        return None
    found = _REF_LINE.search(note)
    return found.group(1) if found else None


def without_ref(note: str) -> str:
    """The note as the rep wrote it: without the reference line."""
    found = _REF_LINE.search(note)
    return note[: found.start()].rstrip() if found else note


def _e164(value: str) -> str:
    if not E164_PATTERN.fullmatch(value):
        raise ValueError("must be an E.164 number like +14155550123")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Id = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
ShortText = Annotated[StrictStr, Field(max_length=SHORT_TEXT_MAX)]
E164 = Annotated[StrictStr, AfterValidator(_e164)]
Email = Annotated[StrictStr, Field(max_length=SHORT_TEXT_MAX), AfterValidator(_not_blank)]


class _Body(BaseModel):
    """A request body: frozen, strict, unknown fields refused; `POINTERS` maps field → pointer."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    POINTERS: ClassVar[dict[str, str]] = {}

    @classmethod
    def make(cls, **values: Any) -> Self:
        """The body, or `BodyError` naming every field at fault."""
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise BodyError(cls._field_errors(exc.errors())) from None

    @classmethod
    def _pointer(cls, name: str) -> str:
        return cls.POINTERS.get(name, f"/data/attributes/{name}")

    @classmethod
    def _field_errors(cls, details: list[ErrorDetails]) -> list[FieldError]:
        out: list[FieldError] = []
        seen: set[str] = set()
        for err in details:
            message = _message(err)
            if err["loc"]:
                name = str(err["loc"][0])
            else:  # a check of the whole body: its message starts with the field it is about
                name, _, message = message.partition(" ")
            pointer = cls._pointer(name)
            if pointer in seen:
                continue
            seen.add(pointer)
            out.append(FieldError(pointer, name, message))
        return out


def _message(err: ErrorDetails) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "extra_forbidden":
        return "is not a field of this body"
    if kind == "missing":
        return "is required"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length', 0):,} characters"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}"
    if kind in ("value_error", "assertion_error"):
        inner = ctx.get("error")
        return str(inner) if inner is not None else err["msg"]
    if kind.startswith("datetime"):
        return "must be a date-time with a time zone"
    if kind in ("greater_than_equal", "less_than_equal", "int_type", "int_parsing"):
        return "must be the id of an existing resource"
    return str(err["msg"])


def _link(kind: str, rid: int | None) -> JsonObject:
    return {"data": None if rid is None else {"type": kind, "id": rid}}


def _document(kind: str, attributes: JsonObject, relationships: JsonObject) -> JsonObject:
    data: JsonObject = {"type": kind, "attributes": attributes}
    if relationships:
        data["relationships"] = relationships
    return {"data": data}


def _patch(kind: str, rid: int, attributes: JsonObject) -> JsonObject:
    return {"data": {"type": kind, "id": rid, "attributes": attributes}}


class NewTask(_Body):
    """A task for a rep about a prospect (a callback is a `call` task), linked as its subject.

    `ref` (the outbox operation's id) is appended to the note as this app's reference line.
    """

    POINTERS: ClassVar[dict[str, str]] = {
        "prospect": "/data/relationships/subject",
        "owner": "/data/relationships/owner",
        "ref": "/data/attributes/note",
    }

    prospect: Id
    dueAt: UtcDateTime
    action: TaskAction = "call"
    note: StrictStr | None = None
    owner: Id | None = None
    ref: StrictStr | None = None

    @model_validator(mode="after")
    def _note_fits(self) -> Self:
        if self.ref is not None and not REF_PATTERN.fullmatch(self.ref):
            raise ValueError("ref must be 1 to 64 letters, digits, '-' or '_'")
        if len(self.wire_note() or "") > NOTE_MAX:
            room = NOTE_MAX - (len(note_with_ref("x", self.ref)) - 1 if self.ref else 0)
            raise ValueError(f"note must be at most {room:,} characters")
        return self

    def wire_note(self) -> str | None:
        """The note as sent: with the reference line when there is a `ref`."""
        return note_with_ref(self.note, self.ref) if self.ref else self.note

    def to_document(self) -> JsonObject:
        attributes: JsonObject = {
            "action": self.action,
            "dueAt": self.model_dump(mode="json")["dueAt"],
        }
        note = self.wire_note()
        if note is not None:
            attributes["note"] = note
        relationships = {"subject": _link("prospect", self.prospect)}
        if self.owner is not None:
            relationships["owner"] = _link("user", self.owner)
        return _document("task", attributes, relationships)


class NewProspect(_Body):
    """A prospect to create (a caller nobody knew). It needs a first or a last name.

    `ref` (the outbox operation's id) is sent as `externalId`, with `externalSource` set to
    the app's name, so that the app can recognise the prospect it created.
    """

    POINTERS: ClassVar[dict[str, str]] = {
        "owner": "/data/relationships/owner",
        "account": "/data/relationships/account",
        "ref": "/data/attributes/externalId",
    }

    firstName: ShortText | None = None
    lastName: ShortText | None = None
    title: ShortText | None = None
    company: StrictStr | None = None
    emails: tuple[Email, ...] = ()
    timeZone: ShortText | None = None
    tags: tuple[StrictStr, ...] = ()
    owner: Id | None = None
    account: Id | None = None
    ref: ShortText | None = None

    @model_validator(mode="after")
    def _has_a_name(self) -> Self:
        if not (self.firstName or "").strip() and not (self.lastName or "").strip():
            raise ValueError("firstName is required: a prospect needs a first or a last name")
        return self

    def to_document(self) -> JsonObject:
        fields = ("firstName", "lastName", "title", "company", "timeZone")
        attributes: JsonObject = {
            name: getattr(self, name) for name in fields if getattr(self, name) is not None
        }
        if self.emails:
            attributes["emails"] = list(self.emails)
        if self.tags:
            attributes["tags"] = list(self.tags)
        if self.ref is not None:
            attributes["externalId"] = self.ref
            attributes["externalSource"] = APP_NAME
        relationships: JsonObject = {}
        if self.owner is not None:
            relationships["owner"] = _link("user", self.owner)
        if self.account is not None:
            relationships["account"] = _link("account", self.account)
        return _document("prospect", attributes, relationships)


class NewPhoneNumber(_Body):
    """A number to add to a prospect, already in E.164 (normalise it first: `core.phone`)."""

    POINTERS: ClassVar[dict[str, str]] = {"prospect": "/data/relationships/prospect"}

    prospect: Id
    number: E164
    phoneType: PhoneType = "work"
    extension: ShortText | None = None
    rawNumber: ShortText | None = None
    countryCode: ShortText | None = None

    def to_document(self) -> JsonObject:
        names = ("number", "phoneType", "extension", "rawNumber", "countryCode")
        attributes = {n: getattr(self, n) for n in names if getattr(self, n) not in (None, "")}
        return _document("phoneNumber", attributes, {"prospect": _link("prospect", self.prospect)})


class PhoneNumberStatus(_Body):
    """A phone number's new `status` (`BAD_NUMBER`, or None to clear it)."""

    id: Id
    status: ShortText | None

    def to_document(self) -> JsonObject:
        return _patch("phoneNumber", self.id, {"status": self.status})


class CallOptOut(_Body):
    """Whether the prospect asked not to be called: sent as both `callOptedOut` and
    `callsOptStatus`, which Outreach keeps for orgs without and with granular opt-outs."""

    id: Id
    optedOut: StrictBool

    def to_document(self) -> JsonObject:
        status = "opted_out" if self.optedOut else "opted_in"
        return _patch(
            "prospect", self.id, {"callOptedOut": self.optedOut, "callsOptStatus": status}
        )
