"""Creating and deleting calls: the app's own contract checks, then Outreach's server-side ones.

A `POST /calls` body is checked by `dialer_app.core.calls.NewCall` (the model the app itself sends
with), so the sandbox refuses exactly what the contract refuses, one 422 error per field. Then
each linked resource must exist, `user` defaults to the token's user, and the stored call gets
the read-only `createdAt`, `updatedAt`, `state` ("completed") and `stateChangedAt`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from dialer_app.core.calls import CallReadAttributes, CallValidationError, NewCall, format_utc

from .errors import (
    JSONAPI_MEDIA_TYPE,
    ErrorObject,
    bad_request,
    payload_too_large,
    unsupported_media_type,
    validation_error,
    validation_failed,
)
from .resources import CALL
from .store import Row, Store

MAX_BODY_BYTES = 1_048_576
CALL_ATTRIBUTES = tuple(
    info.alias or name for name, info in CallReadAttributes.model_fields.items()
)


def check_media_type(content_type: str) -> None:
    """415 unless the body is declared as JSON:API."""
    if content_type.split(";")[0].strip().lower() != JSONAPI_MEDIA_TYPE:
        raise unsupported_media_type(content_type)


def parse_body(body: bytes) -> object:
    """The JSON document of a request body; 400 when it is not JSON, 413 when huge."""
    if len(body) > MAX_BODY_BYTES:
        raise payload_too_large(MAX_BODY_BYTES)
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise bad_request(f"The body is not valid JSON: {exc}.") from exc


def parse_new_call(document: object) -> NewCall:
    """The call the body describes; 422 naming every field that breaks the contract."""
    try:
        return NewCall.from_document(document)
    except CallValidationError as exc:
        raise validation_failed(
            [validation_error(f"{e.field} {e.message}", e.pointer) for e in exc.errors]
        ) from exc


def create_call(store: Store, call: NewCall, user_id: int, now: datetime) -> Row:
    """Store `call` (on the database thread); 422 when it links something that is not there."""
    links: dict[str, int | None] = {}
    errors: list[ErrorObject] = []
    for rel in CALL.to_one:
        ident = getattr(call.relationships, rel.name, None)
        if ident is None:
            links[rel.name] = None
        elif store.exists(ident.type, ident.id):
            links[rel.name] = ident.id
        else:
            pointer = f"/data/relationships/{rel.name}"
            errors.append(
                validation_error(f"There is no {ident.type} with id {ident.id}.", pointer)
            )
    if errors:
        raise validation_failed(errors)
    if links.get("user") is None:
        links["user"] = user_id
    stamp = format_utc(now)
    attrs: dict[str, Any] = dict.fromkeys(CALL_ATTRIBUTES)
    attrs["tags"] = []
    attrs.update(call.attributes.model_dump(by_alias=True, exclude_none=True, mode="json"))
    attrs.update(createdAt=stamp, updatedAt=stamp, state="completed", stateChangedAt=stamp)
    return store.create(CALL, attrs, links)
