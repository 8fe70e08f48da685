"""CallDesk: the state machine that holds every call (see the package's docstring)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..clock import Clock
from ..phone import clean_extension, pretty_with_extension, with_extension
from ..session import CallTimes
from ..terms import CallValidationError, Direction, FieldError
from ..text import isolate
from ..uri import dial_uri
from ..wrapup import CallContext, WrapUp, compose_call, new_vendor_call_id
from .calls import (
    DeskCall,
    DeskDataError,
    Effect,
    HandOff,
    Links,
    Load,
    Logged,
    LookUp,
    NewWho,
    Phase,
    Phone,
    Pop,
    Reply,
    StartWrapUp,
    Who,
    clean_form,
    has_text,
)
from .saved import call_data, call_from, read_bool, read_dict, read_list, who_data, who_from

if TYPE_CHECKING:
    from ..calls import NewCall
    from ..softphone.events import CallEvent

UNDO_SECONDS = 8.0
RECENT_END_SECONDS = 120.0  # an "ended" repeated this long after the call ended is a duplicate
LATE_ANSWER_SECONDS = 5.0  # an id-less "answered" this soon after its call ended is late
LOGGED_KEPT = 50


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
        self.card_extension = ""  # its extension, if the link or the call named one
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
        return not self.open_calls and self.card is None and not has_text(self.spare_form)

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
                if call.extension and scheme != "tel":  # callto:/sip: links cannot carry one
                    reply.say = f"Dial extension {call.extension} yourself once the line answers."
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
        if call is not None and not call.has_prospect:
            self._identify(call, who, reply)
            reply.say = f"The call in progress is with {isolate(who.name)}."
        return self._changed(reply)

    def open_number(self, number: str, extension: str = "") -> Reply:
        """A link to a number was opened: look it up for the card (no call starts)."""
        self._expire()
        self.card, self.card_armed, self.card_number = None, True, number
        self.card_extension = clean_extension(extension)
        return self._changed(Reply(effects=[LookUp(number, extension)]))

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

    def compose(
        self, *, user_id: int | None = None, outcomes: Mapping[int, str] | None = None
    ) -> NewCall:
        """The call in the wrap-up, ready for the outbox; raise CallValidationError naming what
        is wrong. The call stays open until `queued` says the outbox has it. A call whose
        prospect (or number) the outbox is still creating comes without that relationship: the
        outbox fills it in from the operation named in `DeskCall.needs`.

        `outcomes` maps a disposition id to the call outcome it means: a chosen disposition
        that says "answered" or "not answered" decides the outcome; otherwise `answeredAt` does.
        """
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
        if not call.has_prospect:
            raise CallValidationError(
                [
                    FieldError(
                        "/data/relationships/prospect",
                        "prospect",
                        f"The call with {call.who} is not with a prospect yet: open the "
                        "prospect and assign the call to them, create a prospect, or discard it.",
                    )
                ]
            )
        links = call.links or Links()
        ctx = CallContext(
            prospect_id=call.prospect.id if call.prospect is not None else None,
            user_id=user_id,
            phone_number_id=call.phone_number_id,
            to_number=with_extension(call.number, call.extension) if call.number else "",
            task_id=links.task_id,
            sequence_id=links.sequence_id,
            sequence_state_id=links.sequence_state_id,
            sequence_step_id=links.sequence_step_id,
        )
        wrap = WrapUp.from_form(call.form)
        if outcomes and wrap.disposition_id is not None and outcomes.get(wrap.disposition_id):
            wrap = replace(wrap, outcome=outcomes[wrap.disposition_id])
        return compose_call(
            call.times,
            wrap,
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
                prospect_ref=call.new_prospect.ref if call.new_prospect is not None else "",
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
        return self._changed(self._assign(call, who))

    def assign(self, who: Who, call_id: str | None = None, *, number_ref: str = "") -> Reply:
        """The rep picked who the call (the one in the wrap-up by default) was with: it is with
        them from now on, and they go on the card. `number_ref`: the outbox operation that
        adds the call's number to them ("Add this number to…"); the logged call takes that
        number once it exists."""
        self._expire()
        call = self.get(call_id or self.current_id)
        if call is None or call.final:
            return Reply(error="No call to assign.")
        self.card, self.card_armed, self.card_number = who, True, ""
        reply = self._assign(call, who)
        if number_ref and reply.ok and call.phone_number_id is None:
            call.number_ref = number_ref
        if not any(isinstance(e, Load) and e.prospect_id == who.id for e in reply.effects):
            reply.effects.append(Load(who.id))
        return self._changed(reply)

    def _assign(self, call: DeskCall, who: Who) -> Reply:
        if call.prospect is not None and call.prospect.id == who.id:
            return Reply(error=f"The call is already with {isolate(who.name)}.")
        before = call.who
        reply = Reply()
        call.reassigned = call.reassigned or call.has_prospect
        call.phone_number_id = None
        call.number_ref = ""
        call.new_prospect = None
        call.links = None
        self._identify(call, who, reply)
        reply.say = f"The call with {before} is now with {isolate(who.name)}."
        return reply

    def create_prospect(
        self, new: NewWho, call_id: str | None = None, *, number_ref: str = ""
    ) -> Reply:
        """The rep is creating a prospect for the call (the one in the wrap-up by default),
        through the outbox (operation `new.ref`): the call is with them from now on. It can be
        logged at once; the outbox sends it once the prospect has its id (`prospect_created`).
        `number_ref`: the operation adding the call's number to them."""
        self._expire()
        call = self.get(call_id or self.current_id)
        if call is None or call.final:
            return Reply(error="No call to log to a new prospect.")
        before = call.who
        call.reassigned = call.reassigned or call.has_prospect
        call.prospect, call.new_prospect = None, new
        call.candidates, call.unknown = (), False
        call.phone_number_id, call.number_ref = None, number_ref
        call.links = Links()  # a new prospect is in no sequence and has no task
        if call.id == self.current_id:  # the card is for the new prospect, who has no id yet
            self.card, self.card_armed, self.card_number = None, True, ""
        return self._changed(
            Reply(
                say=f"The call with {before} goes to {isolate(new.name)}, a new prospect: "
                "logged once Outreach has created them."
            )
        )

    def prospect_created(self, ref: str, who: Who) -> Reply:
        """Outreach created the prospect of operation `ref`: the calls waiting for it are with
        them (calls already logged are completed by the outbox itself)."""
        reply = Reply()
        for call in self.calls:  # a discarded call may come back
            if call.new_prospect is None or call.new_prospect.ref != ref:
                continue
            call.new_prospect = None
            links = call.links
            self._identify(call, who, reply)
            if call.links is None:  # a new prospect: in no sequence, no task (until read)
                call.links = links
            if call.id == self.current_id and self.card is None and not self.card_number:
                self.card, self.card_armed = who, True
            self.revision += 1
        for logged in self.logged:
            if logged.prospect_ref == ref and logged.prospect_id is None:
                logged.prospect_id = who.id
                self.revision += 1
        return reply

    def creation_refused(self, ref: str) -> Reply:
        """Outreach refused to create the prospect of operation `ref` (or the rep threw that
        operation away): the calls waiting for it know nobody again."""
        reply = Reply()
        for call in self.calls:  # a discarded call may come back
            if call.new_prospect is None or call.new_prospect.ref != ref:
                continue
            name = call.new_prospect.name
            call.new_prospect, call.number_ref, call.links = None, "", None
            call.unknown = bool(call.number)
            reply.say = (
                f"{isolate(name)} could not be created in Outreach: the call with "
                f"{call.who} is with nobody again."
            )
            self.revision += 1
        return reply

    def number_added(self, ref: str, phone: Phone) -> None:
        """The number of operation `ref` is on its prospect now, as `phone`."""
        for call in self.calls:  # a discarded call may come back
            if call.number_ref == ref:
                call.number_ref = ""
                call.phone_number_id = phone.id
                self.revision += 1

    def number_refused(self, ref: str) -> None:
        """The number of operation `ref` could not be added: the call is logged without it."""
        for call in self.calls:  # a discarded call may come back
            if call.number_ref == ref:
                call.number_ref = ""
                self._match_phone(call)
                self.revision += 1

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
            if not call.has_prospect:
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
            if call.has_prospect or call.number != number:
                continue
            if len(whos) == 1:
                self._identify(call, whos[0], reply)
            else:
                call.candidates = tuple(w.id for w in whos)
                call.unknown = not whos
            self.revision += 1
        if self.card_number == number:
            label = self.card_label
            self.card_number = ""
            if len(whos) == 1:
                self.card, self.card_armed = whos[0], True
                reply.effects.append(Load(whos[0].id))
            elif not whos:
                reply.say = f"No prospect has the number {label}."
            elif self.card_extension:  # the line's people: the one at that extension is first
                reply.say = (
                    f"{len(whos)} prospects have the number {pretty_with_extension(number)}:"
                    f" pick the one at ext. {self.card_extension}."
                )
            else:
                reply.say = f"{len(whos)} prospects have the number {label}: pick one."
            self.revision += 1
        return reply

    @property
    def card_label(self) -> str:
        """The number being looked up for the card as the rep reads it, with its extension
        ('' when none is)."""
        if not self.card_number:
            return ""
        return pretty_with_extension(self.card_number, self.card_extension)

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
            "calls": [call_data(c) for c in self.calls if not c.final],
            "current": self.current_id,
            "card": who_data(self.card),
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
            calls = [call_from(c) for c in read_list(data, "calls")]
            desk.card = who_from(data.get("card"))
            desk.card_armed = read_bool(data.get("card_armed", True), "card_armed")
            desk.spare_form = clean_form(read_dict(data.get("spare_form", {}), "spare_form"))
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
            if not call.has_prospect and call.number:
                wanted.append(LookUp(call.number, call.extension))
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
        reply.effects.append(LookUp(call.number, call.extension))
        if pop or call is self.phone_call:
            self.card, self.card_number = None, call.number
            self.card_extension = call.extension

    def _identify(self, call: DeskCall, who: Who, reply: Reply) -> None:
        call.prospect = who
        call.candidates, call.unknown = (), False
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
        if phones:  # a number being added to them that they have already: theirs
            call.phone_number_id, call.number_ref = phones[0].id, ""
            if not call.extension:
                call.extension = clean_extension(phones[0].extension)

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


def _latest(times: CallTimes) -> datetime | None:
    present = [t for t in (times.dialed_at, times.answered_at, times.completed_at) if t]
    return max(present) if present else None
