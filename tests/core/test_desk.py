"""The call desk, case by case: honest times, calls that never get stuck, a prospect per call.

(`test_desk_machine.py` runs it through random days; these are the cases a rep meets.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.desk import (
    UNDO_SECONDS,
    CallDesk,
    DeskDataError,
    HandOff,
    Links,
    Load,
    LookUp,
    NewWho,
    Phase,
    Phone,
    Pop,
    StartWrapUp,
    Who,
)
from dialer_app.core.session import format_elapsed
from dialer_app.core.softphone.events import CallEvent
from dialer_app.core.terms import CallValidationError
from tests.support.clock import FakeClock

ADA, DEV = Who(1, "Ada Lovelace"), Who(2, "Dev Patel")
ADA_PHONE = Phone(101, "+12125550115", "571")
NUMBER = "+14155550123"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def desk(clock: FakeClock) -> CallDesk:
    return CallDesk(clock)


def ev(kind: str, number: str = NUMBER, call_id: str = "", **kw: str) -> CallEvent:
    return CallEvent(kind, number, call_id, **kw)  # type: ignore[arg-type]


def test_an_outbound_answered_call_records_three_ordered_utc_times(desk, clock) -> None:
    start = clock.wall
    desk.open_prospect(ADA)
    desk.dial()
    clock.advance(7)
    desk.answer()
    clock.advance(65)
    assert StartWrapUp() in desk.hang_up().effects
    call = desk.current
    assert call is not None
    assert call.phase is Phase.WRAPPING
    t = call.times
    assert (t.direction, t.dialed_at) == ("outbound", start)
    assert t.answered_at == start + timedelta(seconds=7)
    assert t.completed_at == start + timedelta(seconds=72)
    assert t.outcome == "Answered"
    for stamp in (t.dialed_at, t.answered_at, t.completed_at):
        assert stamp is not None
        assert stamp.utcoffset() == timedelta(0)


def test_elapsed_is_live_then_frozen_at_hang_up(desk, clock) -> None:
    desk.dial()
    clock.advance(3)
    call = desk.phone_call
    assert call is not None
    assert desk.elapsed(call) == timedelta(seconds=3)
    desk.hang_up()
    clock.advance(100)
    assert desk.elapsed(call) == timedelta(seconds=3)


def test_a_wall_clock_jump_mid_call_can_neither_reorder_nor_stretch_it(desk, clock) -> None:
    desk.dial()
    clock.advance(5)
    clock.jump_wall(-3600)  # the machine's clock is set back an hour mid-call
    desk.answer()
    clock.advance(5)
    desk.hang_up()
    t = desk.current.times
    t.check_order()
    assert t.completed_at - t.dialed_at == timedelta(seconds=10)


def test_keys_that_make_no_sense_are_refused_with_a_reason(desk) -> None:
    assert "No call is running" in desk.hang_up().error
    desk.dial()
    assert "in progress" in desk.dial().error
    desk.answer()
    assert "already answered" in desk.answer().error
    assert "hang up before discarding" in desk.discard().error


def test_answered_with_no_call_ringing_starts_an_inbound_call(desk, clock) -> None:
    desk.answer()
    call = desk.phone_call
    assert call is not None
    assert (call.direction, call.phase) == ("inbound", Phase.LIVE)
    assert call.times.dialed_at == call.times.answered_at == clock.wall


def test_a_missed_inbound_call_can_be_logged_not_answered(desk, clock) -> None:
    reply = desk.softphone(ev("incoming", call_id="in-1"))
    assert LookUp(NUMBER) in reply.effects
    assert Pop(NUMBER) in reply.effects
    rang = clock.wall
    clock.advance(20)
    desk.softphone(ev("ended", call_id="in-1"))
    desk.number_found(NUMBER, [ADA])
    call = desk.compose(user_id=3)
    attrs = call.attributes
    assert (attrs.direction, attrs.outcome) == ("inbound", "Not Answered")
    assert attrs.dialedAt == rang  # when it rang here: when the caller dialled
    assert attrs.answeredAt is None
    assert attrs.completedAt == rang + timedelta(seconds=20)
    assert attrs.from_ == NUMBER  # inbound: the other party is who it came from
    assert call.relationships.prospect is not None
    assert call.relationships.prospect.id == ADA.id


def test_an_answered_event_with_no_call_starts_one_and_says_so(desk) -> None:
    reply = desk.softphone(ev("answered"))
    call = desk.phone_call
    assert call is not None
    assert call.phase is Phase.LIVE
    assert call.direction == "inbound"
    assert "had not seen start" in reply.say


def test_duplicated_and_late_events_change_nothing(desk, clock) -> None:
    desk.softphone(ev("dialing", call_id="c-1", direction="outbound"))
    clock.advance(2)
    desk.softphone(ev("answered", call_id="c-1"))
    clock.advance(2)
    desk.softphone(ev("answered", call_id="c-1"))
    desk.softphone(ev("ended", call_id="c-1"))
    before = desk.to_data()
    clock.advance(2)
    for kind in ("ended", "dialing", "ringing", "answered", "incoming"):
        assert not desk.softphone(ev(kind, call_id="c-1")).error
    assert desk.to_data() == before
    assert len(desk.calls) == 1
    desk.softphone(ev("ended"))  # the same end again, without the id
    assert desk.to_data() == before


def test_an_answer_reported_after_the_end_counts_as_answered(desk, clock) -> None:
    desk.softphone(ev("dialing", call_id="c-1"))
    clock.advance(9)
    desk.softphone(ev("ended", call_id="c-1"))
    reply = desk.softphone(ev("answered", call_id="c-1"))
    call = desk.current
    assert call is not None
    assert call.times.answered_at == call.times.completed_at
    assert call.outcome == "Answered"
    assert "after it ended" in reply.say


def test_a_call_during_a_wrap_up_gets_its_own_slot(desk, clock) -> None:
    desk.open_prospect(ADA)
    desk.dial()
    clock.advance(30)
    desk.hang_up()
    desk.set_form({"note": "Call back Friday"})
    first = desk.current
    desk.softphone(ev("incoming", call_id="in-2"))
    second = desk.phone_call
    assert second is not None
    assert second is not first
    assert desk.current is first  # the wrap-up keeps its call, its prospect, its form
    assert first.prospect == ADA
    assert desk.form["note"] == "Call back Friday"
    clock.advance(4)
    desk.answer()
    clock.advance(10)
    desk.hang_up()
    assert second.times.answered_at - second.times.dialed_at == timedelta(seconds=4)
    assert desk.summary() == "1 call to wrap up"
    desk.step()
    assert desk.current is second
    assert desk.form["note"] == ""


def test_opening_another_prospect_never_moves_a_call_reassigning_does(desk) -> None:
    desk.open_prospect(ADA)
    desk.dial()
    desk.hang_up()
    desk.open_prospect(DEV)
    assert desk.current.prospect == ADA
    reply = desk.reassign()
    assert "now with Dev Patel" in reply.say
    assert desk.current.prospect == DEV
    assert desk.current.reassigned


def test_a_call_with_nobody_can_be_assigned_or_discarded_never_stuck(desk) -> None:
    desk.softphone(ev("incoming", ""))
    desk.softphone(ev("ended", ""))
    with pytest.raises(CallValidationError) as info:
        desk.compose()
    assert [e.field for e in info.value.errors] == ["prospect"]
    assert "discard" in info.value.errors[0].message
    assert desk.discard().ok
    assert desk.current is None
    assert desk.undo_discard().ok
    desk.open_prospect(DEV)
    assert desk.reassign().ok
    prospect = desk.compose().relationships.prospect
    assert prospect is not None
    assert prospect.id == DEV.id


def test_a_discard_can_be_undone_for_a_few_seconds_only(desk, clock) -> None:
    desk.dial()
    desk.hang_up()
    call_id = desk.current_id
    desk.discard()
    assert desk.undo_left() == UNDO_SECONDS
    clock.advance(UNDO_SECONDS)
    assert "Nothing to undo" in desk.undo_discard().error
    assert desk.get(call_id) is None


def test_a_restored_live_call_comes_back_ended_at_an_unknown_time(desk, clock) -> None:
    desk.open_prospect(ADA)
    desk.dial()
    clock.advance(40)
    desk.answer()
    saved = desk.to_data()
    clock.advance(300)
    again = CallDesk.from_data(saved, clock)
    call = again.current
    assert call is not None
    assert (call.phase, call.end_unknown, call.times.completed_at) == (Phase.WRAPPING, True, None)
    assert again.elapsed(call) is None
    made = again.compose()
    assert made.attributes.completedAt is None  # unknown: not made up
    assert made.attributes.answeredAt == call.times.answered_at
    clock.advance(5)
    again.hang_up()  # the rep was still on the phone: now it has its end
    assert call.times.completed_at == clock.wall


def test_a_call_already_in_the_outbox_is_not_restored(desk) -> None:
    desk.dial()
    desk.hang_up()
    saved = desk.to_data()
    logged = desk.current_id
    assert CallDesk.from_data(saved, desk.clock, is_logged=lambda i: i == logged).calls == []


def test_extensions_reach_the_softphone_and_the_logged_call(desk) -> None:
    desk.open_prospect(ADA)
    desk.prospect_loaded(ADA, [ADA_PHONE], Links(task_id=7, sequence_state_id=8))
    reply = desk.dial(ADA_PHONE, scheme="tel")
    assert HandOff("tel:+12125550115;ext=571") in reply.effects
    desk.hang_up()
    call = desk.compose()
    assert call.attributes.to == "+12125550115;ext=571"
    rels = call.relationships
    assert rels.phoneNumber is not None
    assert rels.phoneNumber.id == ADA_PHONE.id
    assert rels.task is not None
    assert rels.task.id == 7


@pytest.mark.parametrize("scheme", ["callto", "sip"])
def test_a_link_that_cannot_carry_the_extension_says_to_dial_it(desk, scheme: str) -> None:
    desk.open_prospect(ADA)
    desk.prospect_loaded(ADA, [ADA_PHONE], Links())
    reply = desk.dial(ADA_PHONE, scheme=scheme)
    assert HandOff(f"{scheme}:+12125550115") in reply.effects
    assert reply.say == "Dial extension 571 yourself once the line answers."
    desk.hang_up()
    assert desk.compose().attributes.to == "+12125550115;ext=571"  # logged with it still


def test_a_number_without_an_extension_is_handed_over_without_a_word(desk) -> None:
    desk.open_prospect(ADA)
    plain = Phone(ADA_PHONE.id, ADA_PHONE.number, "")
    desk.prospect_loaded(ADA, [plain], Links())
    for scheme in ("tel", "callto", "sip"):
        reply = desk.dial(plain, scheme=scheme)
        assert (reply.effects[0], reply.say) == (HandOff(f"{scheme}:+12125550115"), "")
        desk.hang_up()


def test_a_softphone_number_with_an_extension_finds_the_card_s_number(desk) -> None:
    desk.open_prospect(ADA)
    desk.prospect_loaded(ADA, [ADA_PHONE], Links())
    desk.softphone(CallEvent("dialing", ADA_PHONE.number, "c-9", "outbound", "", "571"))
    call = desk.phone_call
    assert call is not None
    assert (call.prospect, call.extension, call.phone_number_id) == (ADA, "571", ADA_PHONE.id)


def test_a_worked_task_is_not_taken_by_the_next_call(desk) -> None:
    desk.open_prospect(ADA)
    desk.prospect_loaded(ADA, [ADA_PHONE], Links(task_id=7))
    desk.dial()
    desk.hang_up()
    desk.queued(desk.current_id)
    assert desk.worked_tasks == {7}
    assert desk.logged[-1].task_id == 7
    desk.prospect_loaded(ADA, [ADA_PHONE], Links(task_id=7))  # Outreach still lists it open
    desk.dial()
    assert desk.phone_call.links == Links()


def test_searching_disarms_the_card_for_dial(desk) -> None:
    desk.open_prospect(ADA)
    assert desk.dial_target == ADA
    desk.search_edited("zz")
    assert desk.dial_target is None
    desk.dial()
    assert desk.phone_call.prospect is None
    desk.search_edited("")
    assert desk.dial_target == ADA


def test_a_link_looks_the_number_up_for_the_card(desk) -> None:
    assert LookUp(NUMBER) in desk.open_number(NUMBER).effects
    assert Load(ADA.id) in desk.number_found(NUMBER, [ADA]).effects
    assert desk.card == ADA
    desk.open_number(NUMBER)
    assert "2 prospects" in desk.number_found(NUMBER, [ADA, DEV]).say
    assert desk.card is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(0, "0:00"), (7, "0:07"), (754, "12:34"), (3723, "1:02:03")]
)
def test_elapsed_format(seconds: int, text: str) -> None:
    assert format_elapsed(timedelta(seconds=seconds)) == text


def _ended(**changes: object) -> dict[str, object]:
    call: dict[str, object] = {"id": "a", "phase": "ended", "direction": "inbound"}
    return {"calls": [{**call, **changes}]}


@pytest.mark.parametrize(
    "bad",
    [
        {"calls": "x"},
        _ended(phase="exploded"),
        _ended(direction="sideways"),
        _ended(dialed_at="2026-03-02T10:00:00"),  # no time zone
        _ended(dialed_at="2026-03-02T10:00:00+00:00", completed_at="2026-03-02T09:00:00+00:00"),
        _ended(form=[]),
        _ended(prospect={"name": "no id"}),
        _ended(new_prospect={"name": "no operation"}),
        _ended(new_prospect={"ref": "op 1; drop", "name": "x"}),
        _ended(prospect={"id": 1, "name": "A"}, new_prospect={"ref": "op-1", "name": "B"}),
        _ended(number_ref=7),
        {"calls": [_ended()["calls"][0], _ended()["calls"][0]]},  # type: ignore[index]
    ],
)
def test_saved_desk_data_that_is_not_a_desk_is_refused(bad: dict[str, object]) -> None:
    with pytest.raises(DeskDataError):
        CallDesk.from_data(bad, FakeClock(datetime(2026, 3, 2, tzinfo=UTC)))


# -- unknown callers: a prospect created, or a number added, through the outbox --------------


def _missed_unknown_call(desk: CallDesk) -> None:
    desk.softphone(ev("incoming", call_id="in-1"))
    desk.softphone(ev("ended", call_id="in-1"))
    desk.number_found(NUMBER, [])


def test_a_call_from_a_number_nobody_has_says_so(desk) -> None:
    _missed_unknown_call(desk)
    call = desk.current
    assert call is not None
    assert call.unknown
    assert not call.has_prospect
    with pytest.raises(CallValidationError) as refused:
        desk.compose()
    assert "create a prospect" in str(refused.value)


def test_a_call_to_a_prospect_being_created_is_logged_at_once_and_waits_for_its_id(desk) -> None:
    _missed_unknown_call(desk)
    reply = desk.create_prospect(NewWho("op-1", "Dev Patel"), number_ref="op-2")
    assert reply.ok
    assert "Dev Patel" in reply.say
    call = desk.current
    assert call is not None
    assert call.who == "Dev Patel"
    assert not call.unknown
    assert call.needs == {"prospect": "op-1", "phoneNumber": "op-2"}
    made = desk.compose(user_id=3)
    assert made.relationships.prospect is None  # filled in by the outbox from op-1
    assert made.relationships.phoneNumber is None
    assert made.attributes.from_ == NUMBER
    desk.queued(call.id)
    assert desk.logged[-1].prospect_ref == "op-1"
    desk.prospect_created("op-1", DEV)
    assert desk.logged[-1].prospect_id == DEV.id  # the card lists it under Dev's calls


def test_a_created_prospect_takes_the_waiting_call_and_the_card(desk) -> None:
    _missed_unknown_call(desk)
    desk.create_prospect(NewWho("op-1", "Dev Patel"), number_ref="op-2")
    reply = desk.prospect_created("op-1", DEV)
    call = desk.current
    assert call is not None
    assert call.prospect == DEV
    assert call.needs == {"phoneNumber": "op-2"}
    assert desk.card == DEV
    assert Load(DEV.id) in reply.effects
    desk.number_added("op-2", Phone(555, NUMBER))
    assert call.needs == {}
    assert call.phone_number_id == 555
    made = desk.compose()
    assert made.relationships.prospect is not None
    assert made.relationships.prospect.id == DEV.id
    assert made.relationships.phoneNumber is not None
    assert made.relationships.phoneNumber.id == 555


def test_a_refused_creation_leaves_the_call_with_nobody_never_stuck(desk) -> None:
    _missed_unknown_call(desk)
    desk.create_prospect(NewWho("op-1", "Dev Patel"), number_ref="op-2")
    reply = desk.creation_refused("op-1")
    call = desk.current
    assert call is not None
    assert "could not be created" in reply.say
    assert not call.has_prospect
    assert call.unknown
    assert call.needs == {}
    assert desk.discard().ok


def test_referral_moves_the_call_to_a_new_prospect_keeping_its_times(desk, clock) -> None:
    desk.open_prospect(ADA)
    desk.prospect_loaded(ADA, [ADA_PHONE], Links(task_id=5, sequence_state_id=6))
    desk.dial(ADA_PHONE)
    clock.advance(30)
    desk.hang_up()
    call = desk.current
    assert call is not None
    times = call.times
    desk.create_prospect(NewWho("op-9", "Dev Patel"))
    assert call.reassigned
    assert call.times == times
    assert call.phone_number_id is None
    assert call.links == Links()
    assert desk.card is None  # Dev has no card until Outreach has created him
    made = desk.compose()
    assert made.relationships.task is None
    assert made.relationships.phoneNumber is None
    assert made.attributes.dialedAt == times.dialed_at
    assert made.attributes.completedAt == times.completed_at


def test_adding_the_number_to_an_existing_prospect_assigns_the_call(desk) -> None:
    _missed_unknown_call(desk)
    reply = desk.assign(ADA, number_ref="op-3")
    call = desk.current
    assert call is not None
    assert call.prospect == ADA
    assert desk.card == ADA
    assert Load(ADA.id) in reply.effects
    assert call.needs == {"phoneNumber": "op-3"}
    desk.prospect_loaded(ADA, [ADA_PHONE], Links())  # read before the number was added
    assert call.needs == {"phoneNumber": "op-3"}
    desk.number_refused("op-3")
    assert call.needs == {}
    assert call.phone_number_id is None
    assert desk.compose().relationships.prospect is not None


def test_a_prospect_being_created_survives_a_restart(desk, clock) -> None:
    _missed_unknown_call(desk)
    desk.create_prospect(NewWho("op-1", "Dev Patel"), number_ref="op-2")
    again = CallDesk.from_data(desk.to_data(), clock)
    call = again.current
    assert call is not None
    assert call.new_prospect == NewWho("op-1", "Dev Patel")
    assert call.needs == {"prospect": "op-1", "phoneNumber": "op-2"}
    assert again.resume().effects == []  # nothing to look up: the outbox is creating them
    again.prospect_created("op-1", DEV)
    assert call.prospect == DEV


def test_a_number_s_extension_goes_with_its_lookup(desk) -> None:
    """A link or a softphone call naming an extension asks who has the number *and* that
    extension (one person among those sharing a switchboard)."""
    assert desk.open_number(NUMBER, "571").effects == [LookUp(NUMBER, "571")]
    reply = desk.softphone(CallEvent("dialing", NUMBER, "c-1", "outbound", "", "2528"))
    assert LookUp(NUMBER, "2528") in reply.effects


@given(
    extension=st.text("0123456789", min_size=1, max_size=6),
    people=st.integers(0, 4),
    link=st.booleans(),
)
def test_the_card_names_the_extension_the_link_or_the_call_asked_for(
    extension: str, people: int, link: bool
) -> None:
    """Whatever the extension and however many share the line: the card's words name the
    extension the rep was after (a link, or a call the softphone reported with one)."""
    desk = CallDesk(FakeClock())
    if link:
        desk.open_number(NUMBER, f"  {extension}")
    else:
        desk.softphone(CallEvent("ringing", NUMBER, "c-1", "inbound", "", extension))
    assert desk.card_label.endswith(f"ext. {extension}")
    whos = [Who(i + 1, f"Person {i}") for i in range(people)]
    said = desk.number_found(NUMBER, whos).say
    if people == 1:
        assert desk.card == whos[0]  # the only one is on the card, named by the card itself
    elif people == 0:
        assert said == f"No prospect has the number +1 415-555-0123 ext. {extension}."
    else:
        assert said.endswith(f"pick the one at ext. {extension}.")
    assert desk.card_label == ""  # looked up: nothing is pending any more
