"""The call's vocabulary — its enumerations, limits, date-time form and field errors — without
pydantic, so the window can be built and painted before the models are imported.

`dialer_app.core.calls` validates with these; everything here is re-exported there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Direction = Literal["inbound", "outbound"]
Outcome = Literal["Answered", "Not Answered"]
SequenceAction = Literal["Advance", "Finish", "Finish - No Reply", "Finish - Replied"]
UserCallType = Literal["bridge", "voip"]

DIRECTIONS: tuple[Direction, ...] = ("inbound", "outbound")
OUTCOMES: tuple[Outcome, ...] = ("Answered", "Not Answered")
SEQUENCE_ACTIONS: tuple[SequenceAction, ...] = (
    "Advance",
    "Finish",
    "Finish - No Reply",
    "Finish - Replied",
)
USER_CALL_TYPES: tuple[UserCallType, ...] = ("bridge", "voip")

NOTE_MAX = 65_535
SHORT_TEXT_MAX = 255
VENDOR_CALL_ID_MAX = 63
VOICEMAIL_URL_MAX = 1_024

READ_ONLY_ATTRIBUTES = frozenset(
    {"createdAt", "updatedAt", "state", "stateChangedAt", "uid", "voicemailRecordingUrl"}
)


def format_utc(value: datetime) -> str:
    """`2023-09-25T18:06:38.000Z`: UTC, milliseconds, `Z` — the form Outreach uses."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def outcome_for(answered_at: datetime | None) -> Outcome:
    """The outcome a call's timestamps imply: answered when it has an `answeredAt`."""
    return "Answered" if answered_at is not None else "Not Answered"


@dataclass(frozen=True, slots=True)
class FieldError:
    """A problem with one field of a request body, located by its JSON pointer."""

    pointer: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class CallValidationError(ValueError):
    """A call document broke the contract; `errors` names each field and what is wrong."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors) or "invalid call")
        self.errors = errors
