"""Composing the call from the timer and the form: the right body, or errors naming the fields."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dialer_app.core.calls import CallValidationError
from dialer_app.core.session import CallTimes
from dialer_app.core.wrapup import CallContext, WrapUp, compose_call, new_vendor_call_id

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
ENDED = CallTimes(
    dialed_at=T0, answered_at=T0 + timedelta(seconds=5), completed_at=T0 + timedelta(seconds=60)
)
CTX = CallContext(
    prospect_id=7,
    user_id=1,
    phone_number_id=70,
    to_number="+14155550123",
    task_id=31,
    sequence_id=4,
    sequence_state_id=12,
    sequence_step_id=19,
)


def test_composed_call_carries_times_links_and_identity() -> None:
    vid = new_vendor_call_id()
    call = compose_call(
        ENDED,
        WrapUp(
            disposition_id=3,
            purpose_id=2,
            tags=("budget", " q3 "),
            note="Call back Friday",
            sequence_action="Advance",
        ),
        CTX,
        vendor_call_id=vid,
    )
    attrs = call.to_document()["data"]["attributes"]
    rels = call.to_document()["data"]["relationships"]
    assert attrs["dialedAt"] == "2026-03-02T15:00:00.000Z"
    assert attrs["completedAt"] == "2026-03-02T15:01:00.000Z"
    assert attrs["outcome"] == "Answered"
    assert attrs["direction"] == "outbound"
    assert attrs["to"] == "+14155550123"
    assert attrs["tags"] == ["budget", "q3"]
    assert attrs["vendorCallId"] == vid
    assert len(vid) <= 63
    assert attrs["externalVendor"] == "Dialer Companion"
    assert rels["prospect"] == {"data": {"type": "prospect", "id": 7}}
    assert rels["callDisposition"]["data"]["id"] == 3
    assert rels["callPurpose"]["data"]["id"] == 2
    assert rels["task"] == {"data": {"type": "task", "id": 31}}
    assert rels["sequenceState"] == {"data": {"type": "sequenceState", "id": 12}}
    assert attrs["sequenceAction"] == "Advance"


def test_a_sequence_action_needs_a_sequence_or_a_task() -> None:
    no_sequence = CallContext(prospect_id=7)
    with pytest.raises(CallValidationError) as info:
        compose_call(ENDED, WrapUp(sequence_action="Finish"), no_sequence, vendor_call_id="x")
    assert [e.field for e in info.value.errors] == ["sequenceAction"]


def test_rep_can_override_the_outcome() -> None:
    call = compose_call(ENDED, WrapUp(outcome="Not Answered"), CTX, vendor_call_id="x")
    assert call.attributes.outcome == "Not Answered"


def test_bad_form_values_are_refused_field_by_field() -> None:
    with pytest.raises(CallValidationError) as info:
        compose_call(
            ENDED,
            WrapUp(note="x" * 65_536, recording_url="ftp://files.example.com/rec.mp3"),
            CTX,
            vendor_call_id="x",
        )
    fields = {e.field: e.message for e in info.value.errors}
    assert set(fields) == {"note", "recordingUrl"}
    assert "65,535" in fields["note"]
    assert "http" in fields["recordingUrl"]


@pytest.mark.parametrize(
    ("times", "field"),
    [(CallTimes(), "dialedAt"), (CallTimes(dialed_at=T0), "completedAt")],
)
def test_a_call_must_be_timed_and_ended_before_logging(times: CallTimes, field: str) -> None:
    with pytest.raises(CallValidationError) as info:
        compose_call(times, WrapUp(), CTX, vendor_call_id="x")
    assert [e.field for e in info.value.errors] == [field]
