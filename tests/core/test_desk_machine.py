"""The call desk under random days: softphone events (duplicated, late, with and without call
ids), the rep's keys, lookups answering in any order, clock jumps, and crashes.

Invariants, checked after every step:
- every ended call can be discarded, and logged (once it has a prospect, which the rep can
  always give it);
- a call keeps its prospect: once it has one, only an explicit reassign changes it, and the one
  it gets is the card's (dialled with, opened during the call), an owner of its number, or the
  one the outbox created for it (a call whose prospect is being created gets no other, and is
  loggable at once, its call waiting for that operation);
- times are ordered, in UTC, and every call has its first time;
- a restore gives back the same desk (ringing or live calls come back ended, at an unknown time);
at the end, every call the desk ever held was logged exactly once or discarded on purpose.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from dialer_app.core.desk import (
    CallDesk,
    DeskCall,
    Links,
    Load,
    LookUp,
    NewWho,
    Phone,
    Reply,
    Who,
)
from dialer_app.core.desk import Phase as CallPhase
from dialer_app.core.softphone.events import CallEvent
from dialer_app.core.terms import CallValidationError
from tests.support.clock import FakeClock

ADA, DEV, CHEN, ZOE = (
    Who(1, "Ada Lovelace"),
    Who(2, "Dev Patel"),
    Who(3, "Chen Wei"),
    Who(4, "Zoe Li"),
)
PROSPECTS = (ADA, DEV, CHEN, ZOE)
PHONES = {
    1: (Phone(101, "+12025550101"),),
    2: (Phone(102, "+12025550102"), Phone(112, "+12025550112")),
    3: (Phone(103, "+12025550199", "571"),),  # a switchboard shared by Chen and Zoe
    4: (Phone(104, "+12025550199", "572"),),
}
LINKS = {1: Links(task_id=11, sequence_id=5, sequence_state_id=21, sequence_step_id=31)}
UNKNOWN = "+12025550999"
NUMBERS = ("", UNKNOWN, "+12025550101", "+12025550102", "+12025550112", "+12025550199")
CALL_IDS = ("", "", "c-1", "c-2", "c-3")


def owners(number: str) -> list[Who]:
    return [w for w in PROSPECTS if any(p.number == number for p in PHONES[w.id])]


def ids(desk: CallDesk) -> dict[str, int | str | None]:
    """Each call's prospect: its id, `ref:<operation>` while the outbox creates it, or None."""
    return {
        c.id: (
            c.prospect.id if c.prospect else f"ref:{c.new_prospect.ref}" if c.new_prospect else None
        )
        for c in desk.calls
    }


def restored(data: dict, logged: set[str]) -> dict:
    """What `from_data(data)` must give back: logged calls gone, calls on the phone ended at an
    unknown time."""
    out = copy.deepcopy(data)
    out["calls"] = [c for c in out["calls"] if c["id"] not in logged]
    for call in out["calls"]:
        if call["phase"] in ("ringing", "live"):
            call["phase"] = "wrapping" if call["id"] == out["current"] else "ended"
            call["end_unknown"] = True
            call["far_ringing"] = False
    if out["current"] not in {c["id"] for c in out["calls"]}:
        out["current"] = None
        if out["calls"]:  # the oldest ended call comes to the wrap-up, its prospect to the card
            first = out["calls"][0]
            out["current"] = first["id"]
            first["phase"] = "wrapping"
            if first["prospect"] is not None:
                out["card"], out["card_armed"] = first["prospect"], True
    return out


class Ids:
    """call-1, call-2, …: reproducible ids (the app uses UUIDs)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"call-{self.n}"


class DeskDay(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = FakeClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
        self.ids = Ids()
        self.desk = CallDesk(self.clock, new_id=self.ids)
        self.outbox: list[str] = []  # vendorCallIds queued, in order
        self.discarded: set[str] = set()  # discarded on purpose, undo window over
        self.seen: set[str] = set()
        self.lookups: list[str] = []
        self.loads: list[int] = []
        self.reassigned: set[str] = set()  # calls the current rule reassigns
        self.ops = 0
        self.creating: dict[str, Who] = {}  # operation → the prospect Outreach will create
        self.made: dict[str, int] = {}  # operation → the id it created
        self.adding: dict[str, str] = {}  # operation adding a number → that number
        self.created: dict[int, Who] = {}  # prospects created during the day

    # -- doing ------------------------------------------------------------------------------

    def act(self, step: object, *, reassign: str | None = None) -> Reply:
        before = ids(self.desk)
        card_before = self.desk.card
        reply = step() if callable(step) else step  # type: ignore[operator]
        assert isinstance(reply, Reply)
        self.follow(reply)
        after = ids(self.desk)
        cards = {w.id for w in (card_before, self.desk.card) if w is not None}
        for call in self.desk.calls:
            was = before.get(call.id)
            now = after[call.id]
            if call.id == reassign:
                continue
            if isinstance(was, str) and now != was:  # was being created: only its own
                assert now == self.made.get(was[4:]), f"{call.id} went from {was} to {now}"
            elif was is not None:
                assert now == was, f"{call.id} moved from prospect {was} to {now}"
            elif now is not None:
                owned = {w.id for w in owners(call.number)}
                assert now in cards | owned, f"{call.id} got prospect {now} from nowhere"
        self.seen |= set(after)
        return reply

    def follow(self, reply: Reply) -> None:
        for effect in reply.effects:
            if isinstance(effect, LookUp):
                self.lookups.append(effect.number)
            elif isinstance(effect, Load):
                self.loads.append(effect.prospect_id)

    # -- the softphone ----------------------------------------------------------------------

    @rule(
        kind=st.sampled_from(["incoming", "dialing", "ringing", "answered", "ended"]),
        number=st.sampled_from(NUMBERS),
        ext=st.sampled_from(["", "", "571"]),
        call_id=st.sampled_from(CALL_IDS),
        direction=st.sampled_from([None, "inbound", "outbound"]),
        times=st.integers(1, 2),
    )
    def softphone(self, kind, number, ext, call_id, direction, times) -> None:
        event = CallEvent(kind, number, call_id, direction, "", ext if number else "")
        for _ in range(times):  # hook commands repeat themselves
            self.act(lambda: self.desk.softphone(event))

    # -- the rep ----------------------------------------------------------------------------

    @rule(use_number=st.booleans(), scheme=st.sampled_from(["none", "tel", "sip"]))
    def dial(self, use_number, scheme) -> None:
        card = self.desk.card
        phones = PHONES.get(card.id, ()) if use_number and card is not None else ()
        phone = phones[0] if phones else None
        self.act(lambda: self.desk.dial(phone, scheme=scheme))

    @rule()
    def answer(self) -> None:
        self.act(self.desk.answer)

    @rule()
    def hang_up(self) -> None:
        self.act(self.desk.hang_up)

    @rule(who=st.sampled_from(PROSPECTS))
    def open_prospect(self, who) -> None:
        self.act(lambda: self.desk.open_prospect(who))

    @rule(number=st.sampled_from(NUMBERS[1:]))
    def open_link(self, number) -> None:
        self.act(lambda: self.desk.open_number(number))

    @rule(text=st.sampled_from(["", "zz", "ada"]))
    def search(self, text) -> None:
        self.act(lambda: self.desk.search_edited(text))

    @rule(
        note=st.sampled_from(["", "short", "short", "too long"]),
        disposition=st.sampled_from([None, 1, 2]),
    )
    def type_wrap_up(self, note, disposition) -> None:
        text = {"short": "Call back Friday", "too long": "x" * 70_000}.get(note, "")
        self.desk.set_form({"note": text, "disposition_id": disposition, "tags": "a, b"})

    @rule(delta=st.sampled_from([1, -1]))
    def step(self, delta) -> None:
        self.act(lambda: self.desk.step(delta))

    @rule(data=st.data())
    def switch(self, data) -> None:
        calls = self.desk.open_calls
        if calls:
            call = data.draw(st.sampled_from(calls))
            self.act(lambda: self.desk.switch(call.id))

    @rule(enqueue_fails=st.booleans())
    def log(self, enqueue_fails) -> None:
        current = self.desk.current
        try:
            call = self.desk.compose(user_id=9)
        except CallValidationError as exc:
            fields = {e.field for e in exc.errors}
            assert fields <= {"dialedAt", "completedAt", "prospect", "note", "sequenceAction"}
            return
        assert current is not None
        assert not current.active
        assert current.has_prospect
        rels = call.relationships
        if current.prospect is not None:
            assert rels.prospect is not None
            assert rels.prospect.id == current.prospect.id
        else:  # the outbox sends it once the prospect exists
            assert rels.prospect is None
            assert current.new_prospect is not None
            assert current.needs["prospect"] == current.new_prospect.ref
            event("logged a call whose prospect is being created")
        if current.number_ref:
            assert rels.phoneNumber is None
            assert current.needs["phoneNumber"]
        else:
            phone = rels.phoneNumber.id if rels.phoneNumber else None
            assert phone == current.phone_number_id
        assert call.attributes.vendorCallId == current.id
        if current.number:
            assert call.attributes.to if current.direction == "outbound" else call.attributes.from_
        if enqueue_fails:  # a full disk: the call stays, the form is kept
            return
        self.outbox.append(current.id)
        self.act(lambda: self.desk.queued(current.id))
        assert self.desk.get(current.id) is None
        event(f"logged a {current.direction} {current.outcome} call")

    @rule()
    def wrap_up_and_log(self) -> None:
        """What a rep does most: hang up, say who it was if the app could not, fill, log."""
        current = self.desk.current
        if current is None:
            return
        if current.active:
            if self.desk.phone_call is not current:
                return
            self.act(self.desk.hang_up)
        if not current.has_prospect:
            self.act(lambda: self.desk.open_prospect(DEV))
            if not current.has_prospect:
                self.act(self.desk.reassign, reassign=current.id)
        self.desk.set_form({"note": "Left a voicemail", "disposition_id": 2})
        self.log(enqueue_fails=False)

    # -- unknown callers: a prospect created, or a number added, through the outbox ---------

    def _op(self) -> str:
        self.ops += 1
        return f"op-{self.ops}"

    @rule(with_number=st.booleans())
    def create_prospect(self, with_number) -> None:
        current = self.desk.current
        ref = self._op()
        number_ref = f"{ref}-number" if with_number and current and current.number else ""
        who = Who(200 + self.ops, f"New Prospect {self.ops}")
        step = lambda: self.desk.create_prospect(NewWho(ref, who.name), number_ref=number_ref)  # noqa: E731
        if self.act(step, reassign=current.id if current else None).ok:
            assert current is not None
            assert current.needs["prospect"] == ref
            assert current.prospect is None
            assert current.phone_number_id is None
            self.creating[ref] = who
            if number_ref:
                self.adding[number_ref] = current.number
            event("created a prospect for a call")

    @rule(who=st.sampled_from(PROSPECTS))
    def add_number_to(self, who) -> None:
        """ "Add this number to…": the call's number goes to an existing prospect."""
        current = self.desk.current
        if current is None or not current.number:
            return
        ref = self._op()
        step = lambda: self.desk.assign(who, number_ref=ref)  # noqa: E731
        if self.act(step, reassign=current.id).ok:
            assert current.prospect == who
            assert self.desk.card == who
            if current.phone_number_id is not None:  # they have it already: that one
                assert "phoneNumber" not in current.needs
                return
            assert current.needs.get("phoneNumber") == ref
            self.adding[ref] = current.number
            event("added a call's number to a prospect")

    @rule(data=st.data(), refused=st.booleans())
    def creation_done(self, data, refused) -> None:
        if not self.creating:
            return
        ref = data.draw(st.sampled_from(sorted(self.creating)))
        who = self.creating.pop(ref)
        waiting = [c.id for c in self.desk.calls if c.needs.get("prospect") == ref]
        if refused:
            self.act(lambda: self.desk.creation_refused(ref), reassign=next(iter(waiting), None))
            for call_id in waiting:
                call = self.desk.get(call_id)
                assert call is not None
                assert not call.has_prospect
                assert not call.needs
            return
        self.made[ref] = who.id
        self.created[who.id] = who
        self.act(lambda: self.desk.prospect_created(ref, who))
        for call_id in waiting:
            call = self.desk.get(call_id)
            assert call is not None
            assert call.prospect == who
            assert "prospect" not in call.needs
        for logged in self.desk.logged:
            if logged.prospect_ref == ref:
                assert logged.prospect_id == who.id

    @rule(data=st.data(), refused=st.booleans())
    def number_done(self, data, refused) -> None:
        if not self.adding:
            return
        ref = data.draw(st.sampled_from(sorted(self.adding)))
        number = self.adding.pop(ref)
        waiting = [c for c in self.desk.calls if c.number_ref == ref]
        if refused:
            self.desk.number_refused(ref)
        else:
            self.desk.number_added(ref, Phone(900 + self.ops, number))
        for call in waiting:
            assert not call.number_ref
            assert refused or call.phone_number_id == 900 + self.ops

    @rule()
    def discard(self) -> None:
        current = self.desk.current_id
        if self.act(self.desk.discard).ok:
            assert current is not None
            self.discarded.add(current)
            event("discarded a call")

    @rule()
    def undo_discard(self) -> None:
        if self.act(self.desk.undo_discard).ok:
            assert self.desk.current_id in self.discarded
            self.discarded.discard(self.desk.current_id)
            event("undid a discard")

    @rule()
    def reassign(self) -> None:
        current = self.desk.current_id
        if self.act(self.desk.reassign, reassign=current).ok:
            event("reassigned a call")

    # -- lookups answering, in any order ----------------------------------------------------

    @rule(data=st.data(), fail=st.booleans())
    def number_answer(self, data, fail) -> None:
        if not self.lookups:
            return
        number = self.lookups.pop(data.draw(st.integers(0, len(self.lookups) - 1)))
        if fail:
            self.desk.number_failed(number)
        else:
            self.act(lambda: self.desk.number_found(number, owners(number)))

    @rule(data=st.data())
    def card_loaded(self, data) -> None:
        if not self.loads:
            return
        pid = self.loads.pop(data.draw(st.integers(0, len(self.loads) - 1)))
        who = next((w for w in PROSPECTS if w.id == pid), None) or self.created[pid]
        phones = PHONES.get(pid, ())
        self.act(lambda: self.desk.prospect_loaded(who, phones, LINKS.get(pid, Links())))

    # -- time and crashes -------------------------------------------------------------------

    @rule(seconds=st.floats(0, 30), jump=st.sampled_from([0, 0, -3600, 3600]))
    def time_passes(self, seconds, jump) -> None:
        self.clock.advance(seconds)
        if jump:
            self.clock.jump_wall(jump)
        self.desk.tick()
        for call in self.desk.calls:
            if call.phase is CallPhase.DISCARDED:
                assert call.id in self.discarded

    @rule(logged_before_save=st.booleans())
    def crash_and_restore(self, logged_before_save) -> None:
        data = json.loads(json.dumps(self.desk.to_data()))
        if logged_before_save and self.desk.current is not None:
            # killed between the outbox commit and the draft update
            current = self.desk.current
            if not current.active and current.prospect is not None:
                try:
                    self.desk.compose()
                except CallValidationError:
                    pass
                else:
                    self.outbox.append(current.id)
        logged = set(self.outbox)  # calls discarded, undo pending, go with the app: on purpose
        again = CallDesk.from_data(data, self.clock, is_logged=logged.__contains__)
        assert again.to_data() == restored(data, logged)
        assert CallDesk.from_data(again.to_data(), self.clock).to_data() == again.to_data()
        event(f"restored {len(again.calls)} open calls")
        self.desk = again
        self.desk._new_id = self.ids
        self.lookups, self.loads = [], []
        self.follow(self.desk.resume())

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def times_are_ordered_and_utc(self) -> None:
        for call in self.desk.calls:
            call.times.check_order()
            assert call.times.dialed_at is not None or call.end_unknown
            for t in (call.times.dialed_at, call.times.answered_at, call.times.completed_at):
                assert t is None or t.utcoffset() == timedelta(0)
            if call.active:
                assert call.times.completed_at is None

    @invariant()
    def the_form_belongs_to_an_open_call(self) -> None:
        current = self.desk.current
        assert self.desk.current_id is None or (current is not None and not current.final)
        if self.desk.open_calls:
            assert current is not None

    @invariant()
    def a_call_is_with_one_prospect_at_most(self) -> None:
        for call in self.desk.calls:
            assert call.prospect is None or call.new_prospect is None
            assert not (call.unknown and call.has_prospect)

    @invariant()
    def softphone_ids_name_one_call(self) -> None:
        named = [c.softphone_id for c in self.desk.calls if c.softphone_id]
        assert len(named) == len(set(named))

    @invariant()
    def every_ended_call_can_be_logged_or_discarded(self) -> None:
        if len(self.desk.open_calls) > 1:
            event("several calls at once")
        for call in self.desk.calls:
            if call.over:
                self._settle(copy.deepcopy(self.desk), call, discard=True)
                self._settle(copy.deepcopy(self.desk), call, discard=False)

    def _settle(self, desk: CallDesk, call: DeskCall, *, discard: bool) -> None:
        assert desk.switch(call.id).ok
        if discard:
            assert desk.discard().ok
            assert desk.get(call.id).phase is CallPhase.DISCARDED  # type: ignore[union-attr]
            return
        desk.set_form({})
        if not desk.current.has_prospect:  # type: ignore[union-attr]
            desk.open_prospect(DEV)
            assert desk.reassign().ok
        made = desk.compose()
        assert made.attributes.vendorCallId == call.id
        assert desk.queued(call.id).ok
        assert desk.get(call.id) is None

    def teardown(self) -> None:
        """The end of the day: every call is ended, then logged or discarded."""
        desk = self.desk
        for _ in range(len(desk.calls) + 1):
            if desk.hang_up().error:
                break
        for _ in range(2 * len(desk.calls) + 2):
            current = desk.current
            if current is None:
                break
            desk.set_form({})
            if not current.has_prospect or current.end_unknown:
                assert desk.discard().ok
                self.discarded.add(current.id)
                continue
            desk.compose()
            self.outbox.append(current.id)
            desk.queued(current.id)
        assert desk.open_calls == []
        self.clock.advance(60)
        for call in desk.calls:
            assert call.phase is CallPhase.DISCARDED
        desk.tick()
        assert desk.calls == []
        counted = Counter(self.outbox)
        assert all(n == 1 for n in counted.values()), counted
        assert self.seen <= set(counted) | self.discarded
        assert not set(counted) & self.discarded


# The fast loop's profile: 100 days of 40 steps, a few seconds. The explain phase
# (which traces every line to say where a failure went wrong) is left out: it multiplies the
# time by ten on a state machine this size.
# The fast loop's days: few, enough to catch a broken rule; the long variant below (run with the
# slow tests) walks a thousand longer ones.
DAY = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)
# The slow variant: 1,000 longer days (80 steps), several minutes.
LONG_DAY = settings(DAY, max_examples=1000, stateful_step_count=80)
DeskDay.TestCase.settings = DAY
test_a_day_at_the_desk = DeskDay.TestCase


class LongDeskDay(DeskDay):
    pass


LongDeskDay.TestCase.settings = LONG_DAY
test_a_long_day_at_the_desk = pytest.mark.timeout(3600)(pytest.mark.slow(LongDeskDay.TestCase))
