"""The desk's vocabulary: a call's phases, what a call knows, what the window must do."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..phone import pretty_with_extension
from ..session import CallTimes
from ..terms import Direction
from ..text import isolate

FORM_KEYS = (
    "disposition_id",
    "purpose_id",
    "tags",
    "note",
    "sequence_action",
    "recording_url",
    "should_record",
    "callback_at",  # a callback asked for at wrap-up: when (UTC, ISO 8601) and its note
    "callback_note",
)


class Phase(enum.Enum):
    RINGING = "ringing"
    LIVE = "live"
    ENDED = "ended"
    WRAPPING = "wrapping"
    QUEUED = "queued"
    DISCARDED = "discarded"


ACTIVE = frozenset({Phase.RINGING, Phase.LIVE})
OVER = frozenset({Phase.ENDED, Phase.WRAPPING})
FINAL = frozenset({Phase.QUEUED, Phase.DISCARDED})


class DeskDataError(ValueError):
    """Saved desk data that cannot be read back; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Who:
    """A prospect, as far as a call needs to know."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class NewWho:
    """A prospect the outbox is creating for a call (operation `ref`): its id comes once
    Outreach has created it (`CallDesk.prospect_created`)."""

    ref: str
    name: str


@dataclass(frozen=True, slots=True)
class Phone:
    """One of a prospect's numbers (E.164) and its extension."""

    id: int
    number: str
    extension: str = ""


@dataclass(frozen=True, slots=True)
class Links:
    """What a prospect's card says a call with them belongs to: the open call task, the
    sequence, its state and step."""

    task_id: int | None = None
    sequence_id: int | None = None
    sequence_state_id: int | None = None
    sequence_step_id: int | None = None

    @property
    def in_sequence(self) -> bool:
        return self.task_id is not None or self.sequence_state_id is not None


# -- what the window must do ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LookUp:
    """Find who has this number (E.164); answer with `number_found`. With an extension, the
    one person whose number has it among those sharing the line is who has it."""

    number: str
    extension: str = ""


@dataclass(frozen=True, slots=True)
class Load:
    """Load this prospect's card; answer with `prospect_loaded`."""

    prospect_id: int


@dataclass(frozen=True, slots=True)
class HandOff:
    """Hand this link to the softphone."""

    uri: str


@dataclass(frozen=True, slots=True)
class Pop:
    """A call is coming in: show the window without taking the keyboard."""

    number: str
    extension: str = ""


@dataclass(frozen=True, slots=True)
class StartWrapUp:
    """The call in the wrap-up form has just ended: the rep's next keys go to the form."""


Effect = LookUp | Load | HandOff | Pop | StartWrapUp


@dataclass
class Reply:
    """What an input did: a line for the rep (`say`), or why it was refused (`error`), and
    what the window must do."""

    say: str = ""
    error: str = ""
    effects: list[Effect] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.error


# -- the calls ------------------------------------------------------------------------------


@dataclass
class DeskCall:
    """One call. Read it; only the desk changes it."""

    id: str  # the app's own id, sent as vendorCallId
    direction: Direction
    phase: Phase = Phase.RINGING
    prospect: Who | None = None
    new_prospect: NewWho | None = None  # being created by the outbox (then `prospect` is None)
    reassigned: bool = False
    number: str = ""  # E.164, "" when unknown
    extension: str = ""
    phone_number_id: int | None = None
    number_ref: str = ""  # the outbox operation adding `number` to the prospect: its id to come
    unknown: bool = False  # its number was looked up and nobody has it
    softphone_id: str = ""
    times: CallTimes = field(default_factory=CallTimes)
    end_unknown: bool = False  # it ended while the app was not running
    reason: str = ""  # why it ended, when the softphone said
    far_ringing: bool = False  # an outbound call the far end is ringing
    links: Links | None = None  # None until the prospect's card was read
    form: dict[str, Any] = field(default_factory=dict)
    origin: str = ""  # how it started, when that is worth telling
    candidates: tuple[int, ...] = ()  # prospects sharing its number, for the rep to pick
    anchor: tuple[datetime, float] | None = field(default=None, compare=False)
    start_mono: float | None = field(default=None, compare=False)

    @property
    def active(self) -> bool:
        return self.phase in ACTIVE

    @property
    def over(self) -> bool:
        return self.phase in OVER

    @property
    def final(self) -> bool:
        return self.phase in FINAL

    @property
    def has_prospect(self) -> bool:
        """Whether the call knows who it was with: a prospect, or one being created."""
        return self.prospect is not None or self.new_prospect is not None

    @property
    def needs(self) -> dict[str, str]:
        """What the logged call waits for from earlier outbox operations: `prospect` (the
        operation creating its prospect), `phoneNumber` (the one adding its number)."""
        out = {}
        if self.new_prospect is not None:
            out["prospect"] = self.new_prospect.ref
        if self.number_ref:
            out["phoneNumber"] = self.number_ref
        return out

    @property
    def number_text(self) -> str:
        """The number for display, with its extension; "" when unknown."""
        return pretty_with_extension(self.number, self.extension) if self.number else ""

    @property
    def who(self) -> str:
        """Who the call is with, for a sentence: the prospect (isolated when written right to
        left), else the number, else "an unknown number"."""
        if self.prospect is not None:
            return isolate(self.prospect.name)
        if self.new_prospect is not None:
            return isolate(self.new_prospect.name)
        return self.number_text or "an unknown number"

    @property
    def outcome(self) -> str:
        return self.times.outcome

    def status(self) -> str:
        """One line: where the call stands."""
        if self.phase is Phase.RINGING:
            if self.direction == "inbound":
                return "Incoming call"
            return "Ringing…" if self.far_ringing else "Dialing…"
        if self.phase is Phase.LIVE:
            return "Connected"
        if self.phase in OVER:
            if self.end_unknown and self.times.completed_at is None:
                return f"Ended at an unknown time (the app stopped) — {self.outcome}"
            reason = f" ({self.reason})" if self.reason else ""
            return f"Ended — {self.outcome}{reason}"
        return "Logged" if self.phase is Phase.QUEUED else "Discarded"


@dataclass
class Logged:
    """A call the rep logged, as the card lists it until Outreach's own list has it."""

    id: str
    prospect_id: int | None
    at: datetime | None
    outcome: str
    disposition_id: int | None
    direction: Direction
    task_id: int | None
    state: str = "queued"  # then "sent" or "refused"
    outreach_id: int | None = None
    prospect_ref: str = ""  # its prospect was being created by this operation when logged


# -- the form -------------------------------------------------------------------------------


def clean_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """A wrap-up form with only the fields the app knows, each of its type."""
    out: dict[str, Any] = {}
    for key in ("disposition_id", "purpose_id"):
        value = form.get(key)
        out[key] = value if isinstance(value, int) and not isinstance(value, bool) else None
    for key in ("tags", "note", "sequence_action", "recording_url", "callback_at", "callback_note"):
        value = form.get(key)
        out[key] = value if isinstance(value, str) else ""
    out["should_record"] = form.get("should_record") is True
    return out


def has_text(form: Mapping[str, Any]) -> bool:
    return any(v for k, v in form.items() if k in FORM_KEYS)
