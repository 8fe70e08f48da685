"""The call desk: every call the phone has seen, each on its own, until it is logged or discarded.

Inputs are what the softphone reports (`softphone`), what the rep does (`dial`, `answer`,
`hang_up`, `open_prospect`, `discard`, `reassign`, `switch`…) and what lookups answer
(`number_found`, `prospect_loaded`). Each returns a `Reply`: what to tell the rep, and what the
window must do (look a number up, load a card, hand a link to the softphone). What to show is
read off the desk (`phone_call`, `current`, `open_calls`, `waiting`…). No Qt, no I/O; the clock
is injected.

Each call goes

    ringing ──▶ live ──▶ ended ──▶ wrapping ──▶ queued
       └────────────────────┘          └─────▶ discarded  (undone within UNDO_SECONDS)

`ringing` is any call not answered yet (dialling out, or ringing in); `ended` is a call that
waits for its wrap-up; `wrapping` one the rep has had in the wrap-up form. An ended call can
always be discarded, and logged once it has a prospect (assigning one is always possible). A
call restored after a crash while ringing or live comes back ended, at an unknown time.

A call keeps its prospect: the one it was dialled with, or the one its number (or the rep,
during the call) identified. Opening another prospect never moves a call; `reassign` does, and
only when asked.

Timestamps: a call's first event reads the wall clock once; its later ones are that anchor plus
monotonic time, so a wall-clock jump mid-call can neither reorder nor stretch the call.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from .clock import Clock
from .phone import clean_extension, pretty_with_extension, with_extension
from .session import CallTimes
from .terms import CallValidationError, Direction, FieldError
from .uri import dial_uri
from .wrapup import CallContext, WrapUp, compose_call, new_vendor_call_id

if TYPE_CHECKING:
    from .calls import NewCall
    from .softphone.events import CallEvent

UNDO_SECONDS = 8.0
RECENT_END_SECONDS = 120.0  # an "ended" repeated this long after the call ended is a duplicate
LATE_ANSWER_SECONDS = 5.0  # an id-less "answered" this soon after its call ended is late
LOGGED_KEPT = 50
FORM_KEYS = (
    "disposition_id",
    "purpose_id",
    "tags",
    "note",
    "sequence_action",
    "recording_url",
    "should_record",
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
    """Find who has this number (E.164); answer with `number_found`."""

    number: str


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
    reassigned: bool = False
    number: str = ""  # E.164, "" when unknown
    extension: str = ""
    phone_number_id: int | None = None
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
    def number_text(self) -> str:
        """The number for display, with its extension; "" when unknown."""
        return pretty_with_extension(self.number, self.extension) if self.number else ""

    @property
    def who(self) -> str:
        """Who the call is with: the prospect, else the number, else "an unknown number"."""
        if self.prospect is not None:
            return self.prospect.name
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


class CallDesk:
    """Every call the phone has seen, and the prospect card the rep is on."""

    def __init__(self, clock: Clock, *, new_id: Callable[[], str] = new_vendor_call_id) -> None:
        self.clock = clock
        self._new_id = new_id
        self.calls: list[DeskCall] = []
        self.current_id: str | None = None  # the call in the wrap-up form
        self.card: Who | None = None  # the prospect on the card: Dial calls them
        self.card_armed = True  # False while the rep searches for someone else
        self.card_number = ""  # a number being looked up for the card
        self.spare_form: dict[str, Any] = {}  # typed before any call: the next call takes it
        self.logged: list[Logged] = []
        self.worked_tasks: set[int] = set()
        self.revision = 0  # bumped on every change worth saving
        self._phones: dict[int, tuple[Phone, ...]] = {}
        self._links: dict[int, Links] = {}
        self._undo: list[tuple[str, float]] = []  # (discarded call, undo deadline, monotonic)
        self._ended: deque[tuple[str, str, float]] = deque(maxlen=32)  # (softphone id, number, t)

    # -- reading ----------------------------------------------------------------------------

    def get(self, call_id: str | None) -> DeskCall | None:
        return next((c for c in self.calls if c.id == call_id), None) if call_id else None

    @property
    def current(self) -> DeskCall | None:
        """The call the wrap-up form is for."""
        return self.get(self.current_id)

    @property
    def open_calls(self) -> list[DeskCall]:
        """Every call not logged or discarded, oldest first."""
        return [c for c in self.calls if not c.final]

    @property
    def active_calls(self) -> list[DeskCall]:
        return [c for c in self.calls if c.active]

    @property
    def phone_call(self) -> DeskCall | None:
        """The call Answered and Hang up act on: the newest ringing or live one, else the
        call in the wrap-up."""
        active = self.active_calls
        return active[-1] if active else self.current

    @property
    def waiting(self) -> list[DeskCall]:
        """Ended calls other than the one in the wrap-up: still to wrap up."""
        return [c for c in self.calls if c.over and c.id != self.current_id]

    @property
    def dial_target(self) -> Who | None:
        """Who Dial calls: the card's prospect, unless the rep is searching for someone else."""
        return self.card if self.card_armed else None

    def undo_left(self) -> float:
        """Seconds left to undo the last discard (0: nothing to undo)."""
        self._expire()
        if not self._undo:
            return 0.0
        return max(0.0, self._undo[-1][1] - self.clock.monotonic())

    @property
    def last_discarded(self) -> DeskCall | None:
        return self.get(self._undo[-1][0]) if self._undo else None

    def elapsed(self, call: DeskCall) -> timedelta | None:
        """Time since the call's first event, frozen once it ended; None when its end is
        unknown."""
        t = call.times
        start = t.dialed_at or t.answered_at
        if call.active and call.start_mono is not None:
            return timedelta(seconds=max(0.0, self.clock.monotonic() - call.start_mono))
        if t.completed_at is None:
            return None if call.end_unknown else timedelta(0)
        return max(timedelta(0), t.completed_at - start) if start else timedelta(0)

    def summary(self) -> str:
        """The other calls in a few words: "1 call to wrap up", "2 calls to wrap up, 1 ringing"."""
        waiting = len(self.waiting)
        others = [c for c in self.active_calls if c is not self.phone_call]
        parts = []
        if waiting:
            parts.append(f"{waiting} call{'s' if waiting != 1 else ''} to wrap up")
        if others:
            parts.append(f"{len(others)} more on the phone")
        return ", ".join(parts)

    def links_for(self, prospect_id: int) -> Links | None:
        return self._links.get(prospect_id)

    @property
    def is_empty(self) -> bool:
        """Nothing worth saving: no open call, no card, nothing typed."""
        return not self.open_calls and self.card is None and not _has_text(self.spare_form)

    # -- the rep's keys ---------------------------------------------------------------------

    def dial(self, phone: Phone | None = None, *, scheme: str = "none") -> Reply:
        """Dial (the key): a new outbound call with the card's prospect (none while the rep
        searches for someone else). With `phone`, one of the card's numbers was clicked: the
        call is with the card's prospect, and the number goes to the softphone."""
        self._expire()
        busy = self.active_calls
        if busy:
            return Reply(
                error=f"A call with {busy[-1].who} is in progress: hang it up before dialling."
            )
        who = self.card if phone is not None else self.dial_target
        call = self._new_call("outbound", Phase.RINGING)
        reply = Reply()
        if phone is not None:
            call.number, call.extension = phone.number, clean_extension(phone.extension)
            call.phone_number_id = phone.id if who is not None else None
            if scheme != "none":
                reply.effects.append(HandOff(dial_uri(scheme, phone.number, call.extension)))
        if who is not None:
            self._identify(call, who, reply)
        else:
            reply.say = "Timing a call with no prospect: assign one before logging it."
        return self._changed(reply)

    def answer(self) -> Reply:
        """Answered: the ringing call is answered; with none ringing, an inbound call starts."""
        self._expire()
        call = self._newest_active()
        if call is None:
            call = self._new_call("inbound", Phase.LIVE, answered=True)
            reply = Reply()
            who = self.dial_target
            if who is not None:
                self._identify(call, who, reply)
            return self._changed(reply)
        if call.phase is Phase.LIVE:
            return Reply(error=f"The call with {call.who} is already answered.")
        self._answer(call)
        return self._changed(Reply())

    def hang_up(self) -> Reply:
        """Hang up: the ringing or live call ends. A restored call whose end is unknown gets
        its end now (the rep kept talking while the app was away)."""
        self._expire()
        call = self._newest_active()
        if call is not None:
            return self._changed(self._end(call))
        current = self.current
        if current is not None and current.end_unknown and current.times.completed_at is None:
            self._set_end(current, self._stamp_after(current))
            return self._changed(Reply(say=f"The call with {current.who} ended now."))
        return Reply(error="No call is running.")

    def open_prospect(self, who: Who) -> Reply:
        """The rep opened a prospect (a match, a link). It goes on the card; no call moves.
        A ringing or live call that does not know its prospect yet is with them."""
        self._expire()
        self.card, self.card_armed, self.card_number = who, True, ""
        reply = Reply(effects=[Load(who.id)])
        call = self._newest_active()
        if call is not None and call.prospect is None:
            self._identify(call, who, reply)
            reply.say = f"The call in progress is with {who.name}."
        return self._changed(reply)

    def open_number(self, number: str) -> Reply:
        """A link to a number was opened: look it up for the card (no call starts)."""
        self._expire()
        self.card, self.card_armed, self.card_number = None, True, number
        return self._changed(Reply(effects=[LookUp(number)]))

    def search_edited(self, text: str) -> Reply:
        """The rep is typing a search: until they pick someone, Dial calls no one on the card."""
        armed = not text.strip()
        if self.card is None or armed == self.card_armed:
            return Reply()
        self.card_armed = armed
        return self._changed(Reply())

    def set_form(self, form: Mapping[str, Any]) -> None:
        """The wrap-up form as the rep left it: the current call's, or the next call's."""
        clean = clean_form(form)
        current = self.current
        if current is not None:
            if current.form != clean:
                current.form = clean
                self.revision += 1
        elif self.spare_form != clean:
            self.spare_form = clean
            self.revision += 1

    @property
    def form(self) -> dict[str, Any]:
        """What the wrap-up form shows."""
        current = self.current
        return clean_form(current.form if current is not None else self.spare_form)

    def switch(self, call_id: str) -> Reply:
        """Put this call in the wrap-up form (and its prospect on the card)."""
        self._expire()
        call = self.get(call_id)
        if call is None or call.final:
            return Reply(error="That call is no longer open.")
        return self._changed(self._make_current(call))

    def step(self, delta: int = 1) -> Reply:
        """The next (or previous) open call into the wrap-up form."""
        self._expire()
        calls = self.open_calls
        if not calls:
            return Reply(error="No call to switch to.")
        ids = [c.id for c in calls]
        at = ids.index(self.current_id) if self.current_id in ids else -1
        nxt = calls[(at + delta) % len(calls)]
        if nxt.id == self.current_id:
            return Reply(error=f"The call with {nxt.who} is the only one.")
        return self._changed(self._make_current(nxt))

    def compose(self, *, user_id: int | None = None) -> NewCall:
        """The call in the wrap-up, ready for the outbox; raise CallValidationError naming what
        is wrong. The call stays open until `queued` says the outbox has it."""
        call = self.current
        if call is None:
            raise CallValidationError(
                [
                    FieldError(
                        "/data/attributes/dialedAt", "dialedAt", "Dial or answer a call first."
                    )
                ]
            )
        if call.active:
            raise CallValidationError(
                [
                    FieldError(
                        "/data/attributes/completedAt", "completedAt", "Hang up before logging."
                    )
                ]
            )
        if call.prospect is None:
            raise CallValidationError(
                [
                    FieldError(
                        "/data/relationships/prospect",
                        "prospect",
                        f"Who was the call with {call.who} with? Open the prospect and assign "
                        "the call, or discard it.",
                    )
                ]
            )
        links = call.links or Links()
        ctx = CallContext(
            prospect_id=call.prospect.id,
            user_id=user_id,
            phone_number_id=call.phone_number_id,
            to_number=with_extension(call.number, call.extension) if call.number else "",
            task_id=links.task_id,
            sequence_id=links.sequence_id,
            sequence_state_id=links.sequence_state_id,
            sequence_step_id=links.sequence_step_id,
        )
        return compose_call(
            call.times,
            WrapUp.from_form(call.form),
            ctx,
            vendor_call_id=call.id,
            end_unknown=call.end_unknown,
        )

    def queued(self, call_id: str) -> Reply:
        """The outbox has the call: it is logged, once; the next call comes to the wrap-up."""
        call = self.get(call_id)
        if call is None or call.final:
            return Reply()
        call.phase = Phase.QUEUED
        links = call.links or Links()
        disposition = WrapUp.from_form(call.form).disposition_id
        self.logged.append(
            Logged(
                id=call.id,
                prospect_id=call.prospect.id if call.prospect else None,
                at=call.times.dialed_at or call.times.answered_at,
                outcome=call.outcome,
                disposition_id=disposition,
                direction=call.direction,
                task_id=links.task_id,
            )
        )
        del self.logged[:-LOGGED_KEPT]
        if links.task_id is not None:
            self.worked_tasks.add(links.task_id)
        self.calls.remove(call)
        reply = Reply()
        if self.current_id == call.id:
            self.current_id = None
            self._next_current(reply)
        return self._changed(reply)

    def sent(self, call_id: str, outreach_id: int) -> None:
        """Outreach stored a logged call under `outreach_id`."""
        for logged in self.logged:
            if logged.id == call_id:
                logged.state, logged.outreach_id = "sent", outreach_id
                self.revision += 1

    def refused(self, call_id: str) -> None:
        """Outreach refused a logged call; it waits in the outbox for the rep."""
        for logged in self.logged:
            if logged.id == call_id:
                logged.state = "refused"
                self.revision += 1

    def discard(self, call_id: str | None = None) -> Reply:
        """Throw an ended call away, on purpose (undone within UNDO_SECONDS)."""
        self._expire()
        call = self.get(call_id or self.current_id)
        if call is None or call.final:
            return Reply(error="No call to discard.")
        if call.active:
            return Reply(
                error=f"The call with {call.who} is still on: hang up before discarding it."
            )
        call.phase = Phase.DISCARDED
        self._undo.append((call.id, self.clock.monotonic() + UNDO_SECONDS))
        reply = Reply(say=f"Call with {call.who} discarded.")
        if self.current_id == call.id:
            self.current_id = None
            self._next_current(reply)
        return self._changed(reply)

    def undo_discard(self) -> Reply:
        """Bring the last discarded call back into the wrap-up, as it was."""
        self._expire()
        if not self._undo:
            return Reply(error="Nothing to undo: a discard can be undone for a few seconds.")
        call_id, _deadline = self._undo.pop()
        call = self.get(call_id)
        if call is None:  # pragma: no cover - expired calls leave _undo with them
            return Reply(error="Nothing to undo.")
        call.phase = Phase.WRAPPING
        reply = self._make_current(call)
        reply.say = f"Call with {call.who} is back."
        return self._changed(reply)

    def reassign(self, call_id: str | None = None) -> Reply:
        """ "Wrong person": the call (the one in the wrap-up by default) is with the prospect
        on the card from now on."""
        self._expire()
        call = self.get(call_id or self.current_id)
        who = self.card
        if call is None or call.final:
            return Reply(error="No call to assign.")
        if who is None:
            return Reply(error="Open the prospect the call was with first.")
        if call.prospect is not None and call.prospect.id == who.id:
            return Reply(error=f"The call is already with {who.name}.")
        before = call.who
        reply = Reply()
        call.reassigned = True
        call.phone_number_id = None
        call.links = None
        self._identify(call, who, reply)
        reply.say = f"The call with {before} is now with {who.name}."
        return self._changed(reply)

    def tick(self) -> bool:
        """Let time pass (a discard's undo expires); True when something changed."""
        before = len(self.calls)
        self._expire()
        return len(self.calls) != before

    # -- what the softphone and the lookups say ---------------------------------------------

    def softphone(self, event: CallEvent) -> Reply:
        """What the softphone reported: hook commands or Baresip, duplicated, late, with or
        without call ids."""
        self._expire()
        call = self._match(event)
        if call is None:
            return self._start_from(event)
        reply = Reply()
        if event.call_id and not call.softphone_id:
            call.softphone_id = event.call_id
            self.revision += 1
        if event.number and not call.number:
            call.number = event.number
            self.revision += 1
            if call.prospect is None:
                self._find(call, reply)
        if event.extension and not call.extension and event.number == call.number:
            call.extension = event.extension
            self.revision += 1
        kind = event.kind
        if kind == "ringing" and call.phase is Phase.RINGING and call.direction == "outbound":
            if not call.far_ringing:
                call.far_ringing = True
                self.revision += 1
        elif kind == "answered":
            if call.phase is Phase.RINGING:
                self._answer(call)
            elif call.over and call.times.answered_at is None and not call.end_unknown:
                completed = call.times.completed_at
                call.times = replace(call.times, answered_at=completed)
                reply.say = (
                    f"The softphone said the call with {call.who} was answered after it ended: "
                    "it counts as answered."
                )
        elif kind == "ended":
            if call.active:
                reply = self._end(call, event.reason, reply)
            elif call.over and call.end_unknown and call.times.completed_at is None:
                self._set_end(call, self._stamp_after(call))
                reply.say = f"The call with {call.who} ended now."
        return self._changed(reply)

    def number_found(self, number: str, found: Iterable[Who]) -> Reply:
        """Who has `number`: a call from or to it that knows no prospect takes the only one;
        the card shows them."""
        whos = list(found)
        reply = Reply()
        for call in self.open_calls:
            if call.prospect is not None or call.number != number:
                continue
            if len(whos) == 1:
                self._identify(call, whos[0], reply)
            else:
                call.candidates = tuple(w.id for w in whos)
            self.revision += 1
        if self.card_number == number:
            self.card_number = ""
            label = pretty_with_extension(number)
            if len(whos) == 1:
                self.card, self.card_armed = whos[0], True
                reply.effects.append(Load(whos[0].id))
            elif not whos:
                reply.say = f"No prospect has the number {label}."
            else:
                reply.say = f"{len(whos)} prospects have the number {label}: pick one."
            self.revision += 1
        return reply

    def number_failed(self, number: str) -> None:
        if self.card_number == number:
            self.card_number = ""
            self.revision += 1

    def prospect_loaded(self, who: Who, phones: Iterable[Phone], links: Links) -> Reply:
        """A prospect's card was read: their numbers and what a call with them belongs to."""
        self._phones[who.id] = tuple(phones)
        self._links[who.id] = links
        if self.card is not None and self.card.id == who.id:
            self.card = who
        for call in self.open_calls:
            if call.prospect is not None and call.prospect.id == who.id:
                call.prospect = who
                call.links = self._working_links(links)
                self._match_phone(call)
        return self._changed(Reply())

    # -- saving and restoring ---------------------------------------------------------------

    def to_data(self) -> dict[str, Any]:
        """Everything to put the desk back as it is (JSON-ready). Logged and discarded calls
        are done with and left out."""
        return {
            "calls": [_call_data(c) for c in self.calls if not c.final],
            "current": self.current_id,
            "card": _who_data(self.card),
            "card_armed": self.card_armed,
            "spare_form": clean_form(self.spare_form),
        }

    @classmethod
    def from_data(
        cls,
        data: Mapping[str, Any],
        clock: Clock,
        *,
        is_logged: Callable[[str], bool] = lambda _id: False,
        new_id: Callable[[], str] = new_vendor_call_id,
    ) -> CallDesk:
        """The desk `to_data` saved. A call that was ringing or live when the app stopped is
        ended at an unknown time; a call the outbox already has is done with. Raise
        DeskDataError when the data cannot be a desk."""
        desk = cls(clock, new_id=new_id)
        try:
            calls = [_call_from(c) for c in _list(data, "calls")]
            desk.card = _who_from(data.get("card"))
            desk.card_armed = _bool(data.get("card_armed", True), "card_armed")
            desk.spare_form = clean_form(_dict(data.get("spare_form", {}), "spare_form"))
            current = data.get("current")
            if current is not None and not isinstance(current, str):
                raise DeskDataError("current must be a call id")
        except (TypeError, ValueError, KeyError) as exc:
            raise DeskDataError(str(exc)) from None
        seen: set[str] = set()
        for call in calls:
            if call.id in seen:
                raise DeskDataError(f"call {call.id!r} is saved twice")
            seen.add(call.id)
            if is_logged(call.id):
                continue  # logged just before the app stopped
            if call.active:
                call.phase = Phase.WRAPPING if call.id == current else Phase.ENDED
                call.end_unknown = True
                call.far_ringing = False
            desk.calls.append(call)
        desk.current_id = current if desk.get(current) is not None else None
        if desk.current_id is None:
            desk._next_current(Reply())
        return desk

    def resume(self) -> Reply:
        """What to ask for again after a restore: who the calls without a prospect are, and
        the cards of the prospects the calls are with."""
        reply = Reply()
        wanted: list[Effect] = []
        for call in self.open_calls:
            if call.prospect is None and call.number:
                wanted.append(LookUp(call.number))
            elif call.prospect is not None and call.links is None:
                wanted.append(Load(call.prospect.id))
        if self.card is not None:
            wanted.append(Load(self.card.id))
        for effect in wanted:
            if effect not in reply.effects:
                reply.effects.append(effect)
        return reply

    # -- internals --------------------------------------------------------------------------

    def _changed(self, reply: Reply) -> Reply:
        self.revision += 1
        return reply

    def _new_call(self, direction: Direction, phase: Phase, *, answered: bool = False) -> DeskCall:
        mono = self.clock.monotonic()
        now = self.clock.now()
        call = DeskCall(
            id=self._new_id(),
            direction=direction,
            phase=phase,
            times=CallTimes(
                direction=direction, dialed_at=now, answered_at=now if answered else None
            ),
            anchor=(now, mono),
            start_mono=mono,
        )
        self.calls.append(call)
        current = self.current
        if current is None:
            self.current_id = call.id
            call.form, self.spare_form = self.spare_form, {}
        return call

    def _start_from(self, event: CallEvent) -> Reply:
        kind = event.kind
        if kind == "ended":
            if self._recently_ended(event):
                return Reply()  # a repeat of an end already applied
            about = (
                f" with {pretty_with_extension(event.number, event.extension)}"
                if (event.number)
                else ""
            )
            return Reply(say=f"The softphone ended a call{about} the app had not seen.")
        if kind == "answered" and not event.call_id and self._late_answer(event):
            return self._changed(Reply())
        inbound = kind == "incoming" or event.direction == "inbound"
        if kind == "answered" and event.direction is None:
            inbound = True  # a call the app never saw placed: most likely one that came in
        direction: Direction = "inbound" if inbound else "outbound"
        live = kind == "answered"
        call = self._new_call(direction, Phase.LIVE if live else Phase.RINGING, answered=live)
        call.softphone_id = event.call_id
        call.number, call.extension = event.number, event.extension
        call.far_ringing = kind == "ringing" and not inbound
        reply = Reply()
        if live:
            call.origin = (
                "The softphone said a call was answered that the app had not seen start: "
                f"timing it from now as {direction}."
            )
            reply.say = call.origin
        if call.number:
            self._find(call, reply, pop=True)
        if inbound:
            reply.effects.append(Pop(call.number, call.extension))
        return self._changed(reply)

    def _find(self, call: DeskCall, reply: Reply, *, pop: bool = False) -> None:
        """Who the call is with, from its number: the card's prospect if the number is theirs,
        else a lookup (whose answer also goes on the card)."""
        card = self.card
        if card is not None and any(p.number == call.number for p in self._phones.get(card.id, ())):
            self._identify(call, card, reply)
            return
        reply.effects.append(LookUp(call.number))
        if pop or call is self.phone_call:
            self.card, self.card_number = None, call.number

    def _identify(self, call: DeskCall, who: Who, reply: Reply) -> None:
        call.prospect = who
        call.candidates = ()
        links = self._links.get(who.id)
        call.links = self._working_links(links) if links is not None else None
        self._match_phone(call)
        if links is None and not any(
            isinstance(e, Load) and e.prospect_id == who.id for e in reply.effects
        ):
            reply.effects.append(Load(who.id))

    def _working_links(self, links: Links) -> Links:
        """A task already worked by a logged call is done: a new call does not take it again."""
        if links.task_id is not None and links.task_id in self.worked_tasks:
            return replace(links, task_id=None)
        return links

    def _match_phone(self, call: DeskCall) -> None:
        """The prospect's phoneNumber the call went to (once their numbers are known)."""
        if call.prospect is None or not call.number or call.prospect.id not in self._phones:
            return
        phones = [p for p in self._phones[call.prospect.id] if p.number == call.number]
        if call.extension:
            exact = [p for p in phones if clean_extension(p.extension) == call.extension]
            phones = exact or phones
        if phones:
            call.phone_number_id = phones[0].id
            if not call.extension:
                call.extension = clean_extension(phones[0].extension)
        else:
            call.phone_number_id = None

    def _match(self, event: CallEvent) -> DeskCall | None:
        if event.call_id:
            for call in reversed(self.calls):
                if call.softphone_id == event.call_id:
                    return call
        kind = event.kind
        pool = [
            c
            for c in self.calls
            if not c.final
            and (not event.call_id or not c.softphone_id)
            and (c.active or (kind == "ended" and c.end_unknown and c.times.completed_at is None))
        ]
        if kind == "incoming":
            pool = [c for c in pool if c.direction == "inbound" and c.phase is Phase.RINGING]
        elif kind == "dialing":
            pool = [c for c in pool if c.direction == "outbound" and c.phase is Phase.RINGING]
        elif kind == "ringing":
            pool = [c for c in pool if c.phase is Phase.RINGING]
        if event.number:
            pool = [c for c in pool if c.number in ("", event.number)]
            pool = [c for c in pool if c.number == event.number] or pool
        return pool[-1] if pool else None

    def _recently_ended(self, event: CallEvent) -> bool:
        now = self.clock.monotonic()
        for softphone_id, number, at in self._ended:
            if now - at > RECENT_END_SECONDS:
                continue
            if event.call_id and softphone_id == event.call_id:
                return True
            if not event.call_id and (not event.number or number == event.number):
                return True
        return False

    def _late_answer(self, event: CallEvent) -> bool:
        """An id-less "answered" that arrived after its call's "ended" (hook commands race)."""
        now = self.clock.monotonic()
        for call in reversed(self.calls):
            if not call.over or call.end_unknown or call.times.answered_at is not None:
                continue
            if event.number and call.number != event.number:
                continue
            if call.start_mono is None:
                continue
            ended_at = next(
                (at for sid, num, at in reversed(self._ended) if num == call.number), None
            )
            if ended_at is not None and now - ended_at <= LATE_ANSWER_SECONDS:
                call.times = replace(call.times, answered_at=call.times.completed_at)
                return True
        return False

    def _newest_active(self) -> DeskCall | None:
        active = self.active_calls
        return active[-1] if active else None

    def _answer(self, call: DeskCall) -> None:
        call.phase = Phase.LIVE
        call.times = replace(call.times, answered_at=self._stamp(call))

    def _end(self, call: DeskCall, reason: str = "", reply: Reply | None = None) -> Reply:
        reply = reply or Reply()
        self._set_end(call, self._stamp(call))
        call.reason = reason
        call.far_ringing = False
        self._ended.append((call.softphone_id, call.number, self.clock.monotonic()))
        if call.id == self.current_id:
            call.phase = Phase.WRAPPING
            reply.effects.append(StartWrapUp())
        else:
            call.phase = Phase.ENDED
        if reason:
            reply.say = f"Call with {call.who} ended: {reason}"
        return reply

    def _set_end(self, call: DeskCall, at: datetime) -> None:
        call.times = replace(call.times, completed_at=at)

    def _stamp(self, call: DeskCall) -> datetime:
        mono = self.clock.monotonic()
        if call.anchor is None:
            call.anchor = (self.clock.now(), mono)
        wall, base = call.anchor
        return max(wall + timedelta(seconds=mono - base), _latest(call.times) or wall)

    def _stamp_after(self, call: DeskCall) -> datetime:
        """Now, for a call restored from a draft: never before the call's own last time."""
        now = self.clock.now()
        latest = _latest(call.times)
        return max(now, latest) if latest is not None else now

    def _make_current(self, call: DeskCall) -> Reply:
        self.current_id = call.id
        if call.phase is Phase.ENDED:
            call.phase = Phase.WRAPPING
        reply = Reply()
        if call.prospect is not None and (self.card is None or self.card.id != call.prospect.id):
            self.card, self.card_armed, self.card_number = call.prospect, True, ""
            reply.effects.append(Load(call.prospect.id))
        elif call.prospect is not None:
            self.card_armed = True
        return reply

    def _next_current(self, reply: Reply) -> None:
        active = self.active_calls
        over = [c for c in self.calls if c.over]
        nxt = active[-1] if active else (over[0] if over else None)
        if nxt is not None:
            more = self._make_current(nxt)
            reply.effects.extend(more.effects)

    def _expire(self) -> None:
        now = self.clock.monotonic()
        while self._undo and self._undo[0][1] <= now:
            call_id, _ = self._undo.pop(0)
            call = self.get(call_id)
            if call is not None:
                self.calls.remove(call)
                self.revision += 1


# -- the form -------------------------------------------------------------------------------


def clean_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """A wrap-up form with only the fields the app knows, each of its type."""
    out: dict[str, Any] = {}
    for key in ("disposition_id", "purpose_id"):
        value = form.get(key)
        out[key] = value if isinstance(value, int) and not isinstance(value, bool) else None
    for key in ("tags", "note", "sequence_action", "recording_url"):
        value = form.get(key)
        out[key] = value if isinstance(value, str) else ""
    out["should_record"] = form.get("should_record") is True
    return out


def _has_text(form: Mapping[str, Any]) -> bool:
    return any(v for k, v in form.items() if k in FORM_KEYS)


# -- saving ---------------------------------------------------------------------------------


def _iso(t: datetime | None) -> str | None:
    return t.isoformat() if t is not None else None


def _who_data(who: Who | None) -> dict[str, Any] | None:
    return {"id": who.id, "name": who.name} if who is not None else None


def _call_data(c: DeskCall) -> dict[str, Any]:
    links = c.links
    return {
        "id": c.id,
        "phase": c.phase.value,
        "direction": c.direction,
        "prospect": _who_data(c.prospect),
        "reassigned": c.reassigned,
        "number": c.number,
        "extension": c.extension,
        "phone_number_id": c.phone_number_id,
        "softphone_id": c.softphone_id,
        "dialed_at": _iso(c.times.dialed_at),
        "answered_at": _iso(c.times.answered_at),
        "completed_at": _iso(c.times.completed_at),
        "end_unknown": c.end_unknown,
        "reason": c.reason,
        "far_ringing": c.far_ringing,
        "links": None
        if links is None
        else {
            "task_id": links.task_id,
            "sequence_id": links.sequence_id,
            "sequence_state_id": links.sequence_state_id,
            "sequence_step_id": links.sequence_step_id,
        },
        "form": clean_form(c.form),
        "origin": c.origin,
        "candidates": list(c.candidates),
    }


def _list(data: Mapping[str, Any], key: str) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise DeskDataError(f"{key} must be a list")
    return value


def _dict(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise DeskDataError(f"{what} must be an object")
    return value


def _bool(value: object, what: str) -> bool:
    if not isinstance(value, bool):
        raise DeskDataError(f"{what} must be true or false")
    return value


def _str(value: object, what: str, limit: int = 256) -> str:
    if not isinstance(value, str) or len(value) > limit:
        raise DeskDataError(f"{what} must be text of at most {limit} characters")
    return value


def _int(value: object, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise DeskDataError(f"{what} must be a whole number")
    return value


def _time(value: object, what: str) -> datetime | None:
    if value is None:
        return None
    t = datetime.fromisoformat(_str(value, what, 64))
    if t.tzinfo is None or t.utcoffset() is None:
        raise DeskDataError(f"{what} must carry its time zone")
    return t


def _who_from(value: object) -> Who | None:
    if value is None:
        return None
    data = _dict(value, "prospect")
    pid = _int(data.get("id"), "prospect id")
    if pid is None:
        raise DeskDataError("a prospect needs its id")
    return Who(pid, _str(data.get("name", ""), "prospect name", 1024))


def _call_from(value: object) -> DeskCall:
    d = _dict(value, "call")
    call_id = _str(d.get("id"), "call id", 63)
    if not call_id:
        raise DeskDataError("a call needs its id")
    phase = Phase(_str(d.get("phase"), "phase"))
    if phase in FINAL:
        raise DeskDataError(f"a {phase.value} call is not kept")
    direction = _str(d.get("direction"), "direction")
    if direction not in ("inbound", "outbound"):
        raise DeskDataError("direction must be inbound or outbound")
    inbound: Direction = "inbound" if direction == "inbound" else "outbound"
    times = CallTimes(
        direction=inbound,
        dialed_at=_time(d.get("dialed_at"), "dialed_at"),
        answered_at=_time(d.get("answered_at"), "answered_at"),
        completed_at=_time(d.get("completed_at"), "completed_at"),
    )
    try:
        times.check_order()
    except ValueError as exc:
        raise DeskDataError(str(exc)) from None
    raw_links = d.get("links")
    links = None
    if raw_links is not None:
        ld = _dict(raw_links, "links")
        links = Links(
            task_id=_int(ld.get("task_id"), "task_id"),
            sequence_id=_int(ld.get("sequence_id"), "sequence_id"),
            sequence_state_id=_int(ld.get("sequence_state_id"), "sequence_state_id"),
            sequence_step_id=_int(ld.get("sequence_step_id"), "sequence_step_id"),
        )
    candidates = d.get("candidates", [])
    if not isinstance(candidates, list):
        raise DeskDataError("candidates must be a list")
    end_unknown = _bool(d.get("end_unknown", False), "end_unknown")
    if phase in OVER and times.completed_at is None and not end_unknown:
        end_unknown = True  # an ended call without its end: say so rather than make one up
    return DeskCall(
        id=call_id,
        direction=inbound,
        phase=phase,
        prospect=_who_from(d.get("prospect")),
        reassigned=_bool(d.get("reassigned", False), "reassigned"),
        number=_str(d.get("number", ""), "number", 32),
        extension=clean_extension(_str(d.get("extension", ""), "extension", 32)),
        phone_number_id=_int(d.get("phone_number_id"), "phone_number_id"),
        softphone_id=_str(d.get("softphone_id", ""), "softphone_id", 128),
        times=times,
        end_unknown=end_unknown,
        reason=_str(d.get("reason", ""), "reason", 256),
        far_ringing=_bool(d.get("far_ringing", False), "far_ringing"),
        links=links,
        form=clean_form(_dict(d.get("form", {}), "form")),
        origin=_str(d.get("origin", ""), "origin", 512),
        candidates=tuple(i for i in (_int(x, "candidate") for x in candidates) if i is not None),
    )


def _latest(times: CallTimes) -> datetime | None:
    present = [t for t in (times.dialed_at, times.answered_at, times.completed_at) if t]
    return max(present) if present else None


__all__ = [
    "ACTIVE",
    "FINAL",
    "OVER",
    "UNDO_SECONDS",
    "CallDesk",
    "DeskCall",
    "DeskDataError",
    "Effect",
    "HandOff",
    "Links",
    "Load",
    "Logged",
    "LookUp",
    "Phase",
    "Phone",
    "Pop",
    "Reply",
    "StartWrapUp",
    "Who",
    "clean_form",
]
