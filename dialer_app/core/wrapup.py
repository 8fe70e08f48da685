"""From a timed call and the rep's wrap-up form to the call Outreach will store."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import APP_NAME
from .session import CallTimes
from .terms import CallValidationError, FieldError

if TYPE_CHECKING:
    from .calls import NewCall as NewCall


@dataclass(frozen=True, slots=True)
class WrapUp:
    """What the rep filled in after the call. Text is raw: `compose_call` checks it."""

    disposition_id: int | None = None
    purpose_id: int | None = None
    tags: tuple[str, ...] = ()
    note: str = ""
    sequence_action: str = ""
    outcome: str = ""
    should_record: bool | None = None
    recording_url: str = ""

    @classmethod
    def from_form(cls, form: Mapping[str, Any]) -> WrapUp:
        """The wrap-up in a saved form (what the window's form holds, as drafts keep it)."""

        def number(key: str) -> int | None:
            value = form.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        def text(key: str) -> str:
            value = form.get(key)
            return value if isinstance(value, str) else ""

        return cls(
            disposition_id=number("disposition_id"),
            purpose_id=number("purpose_id"),
            tags=tuple(t.strip() for t in text("tags").split(",") if t.strip()),
            note=text("note"),
            sequence_action=text("sequence_action"),
            should_record=True if form.get("should_record") is True else None,
            recording_url=text("recording_url"),
        )


@dataclass(frozen=True, slots=True)
class CallContext:
    """Who and what the call was with."""

    prospect_id: int | None = None
    user_id: int | None = None
    phone_number_id: int | None = None
    to_number: str = ""
    from_number: str = ""
    task_id: int | None = None
    sequence_id: int | None = None
    sequence_state_id: int | None = None
    sequence_step_id: int | None = None


def new_vendor_call_id() -> str:
    """The app's own id for a call, sent as `vendorCallId` (≤ 63 characters)."""
    return str(uuid.uuid4())


def compose_call(
    times: CallTimes,
    wrap: WrapUp,
    ctx: CallContext,
    *,
    vendor_call_id: str,
    end_unknown: bool = False,
) -> NewCall:
    """The call to post; raise CallValidationError naming each field that is wrong.

    `end_unknown`: the call ended while the app was not running (restored after a crash): it
    is logged without `completedAt` rather than with a made-up one.
    """
    if times.dialed_at is None and times.answered_at is None:
        raise CallValidationError(
            [FieldError("/data/attributes/dialedAt", "dialedAt", "Dial or answer a call first.")]
        )
    if times.completed_at is None and not end_unknown:
        raise CallValidationError(
            [FieldError("/data/attributes/completedAt", "completedAt", "Hang up before logging.")]
        )
    if wrap.sequence_action and not (ctx.task_id or ctx.sequence_state_id):
        raise CallValidationError(
            [
                FieldError(
                    "/data/attributes/sequenceAction",
                    "sequenceAction",
                    "This prospect has no active sequence or call task.",
                )
            ]
        )
    tags = [t.strip() for t in wrap.tags if t.strip()]
    attributes: dict[str, Any] = {
        "direction": times.direction,
        "dialedAt": times.dialed_at,
        "answeredAt": times.answered_at,
        "completedAt": times.completed_at,
        "outcome": wrap.outcome or times.outcome,
        "note": wrap.note or None,
        "tags": tags or None,
        "sequenceAction": wrap.sequence_action or None,
        "shouldRecordCall": wrap.should_record,
        "recordingUrl": wrap.recording_url.strip() or None,
        "externalVendor": APP_NAME,
        "vendorCallId": vendor_call_id,
    }
    outbound = times.direction == "outbound"
    if ctx.to_number or ctx.from_number:
        attributes["to" if outbound else "from"] = ctx.to_number or None
        attributes["from" if outbound else "to"] = ctx.from_number or None
    relationships = {
        name: {"data": {"type": name, "id": rid}}
        for name, rid in (
            ("prospect", ctx.prospect_id),
            ("user", ctx.user_id),
            ("phoneNumber", ctx.phone_number_id),
            ("callDisposition", wrap.disposition_id),
            ("callPurpose", wrap.purpose_id),
            ("task", ctx.task_id),
            ("sequence", ctx.sequence_id),
            ("sequenceState", ctx.sequence_state_id),
            ("sequenceStep", ctx.sequence_step_id),
        )
        if rid is not None
    }
    body = {
        "data": {
            "type": "call",
            "attributes": {k: v for k, v in attributes.items() if v is not None},
            "relationships": relationships,
        }
    }
    from .calls import NewCall  # the models load on the first call, not with the window

    call = NewCall.from_document(body)
    try:
        call.attributes.model_dump(mode="json")
    except ValueError as exc:  # pragma: no cover - from_document already validated
        raise CallValidationError([FieldError("/data", "data", str(exc))]) from None
    return call
