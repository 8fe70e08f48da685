"""The bodies the app writes fit Outreach's contract, and bad input is refused field by field."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.jsonapi import FieldError
from dialer_app.core.outreach.bodies import (
    APP_NAME,
    BAD_NUMBER,
    REF_PREFIX,
    BodyError,
    CallOptOut,
    NewPhoneNumber,
    NewProspect,
    NewTask,
    PhoneNumberStatus,
    note_with_ref,
    ref_line,
    ref_of,
    without_ref,
)
from dialer_app.core.terms import NOTE_MAX
from tests.support.openapi import read_only, request_schema, validator

REFS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
TEXT = st.text(max_size=40)
NAME = st.text(min_size=1, max_size=30).filter(str.strip)
IDS = st.integers(min_value=1, max_value=2**63 - 1)
WHEN = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.timezones()
)
E164 = st.from_regex(r"\A\+[1-9][0-9]{6,14}\Z")
MS = timedelta(milliseconds=1)


def _refusal(make: Callable[[], object]) -> list[FieldError] | None:
    """The field errors `make` raised, or None when it built a body."""
    try:
        make()
    except BodyError as exc:
        return exc.errors
    return None


def _check(path: str, method: str, body: dict[str, Any], schema_name: str) -> None:
    validator(request_schema(path, method)).validate(body)
    sent = set(body["data"].get("attributes", {}))
    assert not sent & read_only(schema_name)


@pytest.mark.slow
@given(prospect=IDS, due=WHEN, note=st.none() | TEXT, owner=st.none() | IDS, ref=st.none() | REFS)
def test_a_task_body_fits_the_spec(
    prospect: int, due: datetime, note: str | None, owner: int | None, ref: str | None
) -> None:
    task = NewTask.make(prospect=prospect, dueAt=due, note=note, owner=owner, ref=ref)
    body = task.to_document()
    _check("/tasks", "post", body, "task")
    data = body["data"]
    assert data["type"] == "task"
    assert data["attributes"]["action"] == "call"
    assert timedelta(0) <= due - datetime.fromisoformat(data["attributes"]["dueAt"]) < MS
    assert data["attributes"]["dueAt"].endswith("Z")
    assert data["relationships"]["subject"] == {"data": {"type": "prospect", "id": prospect}}
    assert ("owner" in data["relationships"]) == (owner is not None)
    if ref is not None:
        assert ref_of(data["attributes"]["note"]) == ref
        assert without_ref(data["attributes"]["note"]) == (note or "").rstrip()
    else:
        assert data["attributes"].get("note") == note


def test_a_note_may_fill_what_the_reference_leaves() -> None:
    due = datetime(2026, 3, 4, 9, tzinfo=UTC)
    room = NOTE_MAX - len(f"\n\n{ref_line('op-1')}")
    full = NewTask.make(prospect=1, dueAt=due, note="n" * room, ref="op-1")
    assert len(full.to_document()["data"]["attributes"]["note"]) == NOTE_MAX
    with pytest.raises(BodyError) as caught:
        NewTask.make(prospect=1, dueAt=due, note="n" * (room + 1), ref="op-1")
    (error,) = caught.value.errors
    assert (error.pointer, error.field) == ("/data/attributes/note", "note")
    assert f"{room:,}" in error.message
    assert NewTask.make(prospect=1, dueAt=due, note="n" * NOTE_MAX).note == "n" * NOTE_MAX


@pytest.mark.parametrize(
    ("values", "pointers"),
    [
        ({}, {"/data/relationships/subject", "/data/attributes/dueAt"}),
        (
            {"prospect": 0, "dueAt": "2026-03-04T09:00:00"},
            {"/data/relationships/subject", "/data/attributes/dueAt"},
        ),
        ({"prospect": "7", "dueAt": 5}, {"/data/relationships/subject", "/data/attributes/dueAt"}),
        (
            {"prospect": 7, "dueAt": "2026-03-04T09:00:00Z", "action": "fax"},
            {"/data/attributes/action"},
        ),
        (
            {"prospect": 7, "dueAt": "2026-03-04T09:00:00Z", "owner": -1},
            {"/data/relationships/owner"},
        ),
        (
            {"prospect": 7, "dueAt": "2026-03-04T09:00:00Z", "ref": "no spaces"},
            {"/data/attributes/note"},
        ),
        (
            {"prospect": 7, "dueAt": "2026-03-04T09:00:00Z", "state": "complete"},
            {"/data/attributes/state"},
        ),
    ],
)
def test_a_bad_task_names_each_field(values: dict[str, Any], pointers: set[str]) -> None:
    with pytest.raises(BodyError) as caught:
        NewTask.make(**values)
    assert {e.pointer for e in caught.value.errors} == pointers
    assert all(e.message for e in caught.value.errors)


@pytest.mark.slow
@given(
    first=st.none() | NAME,
    last=st.none() | NAME,
    company=st.none() | TEXT,
    emails=st.lists(st.emails(), max_size=3),
    ref=st.none() | REFS,
    owner=st.none() | IDS,
    account=st.none() | IDS,
    tags=st.lists(NAME, max_size=2),
)
def test_a_prospect_body_fits_the_spec(
    first: str | None,
    last: str | None,
    company: str | None,
    emails: list[str],
    ref: str | None,
    owner: int | None,
    account: int | None,
    tags: list[str],
) -> None:
    values = {
        "firstName": first,
        "lastName": last,
        "company": company,
        "emails": emails,
        "account": account,
        "tags": tags,
    }
    if first is None and last is None:
        with pytest.raises(BodyError) as caught:
            NewProspect.make(**values, ref=ref, owner=owner)
        assert [e.pointer for e in caught.value.errors] == ["/data/attributes/firstName"]
        return
    body = NewProspect.make(**values, ref=ref, owner=owner, timeZone="Europe/Berlin").to_document()
    _check("/prospects", "post", body, "prospect")
    attrs = body["data"]["attributes"]
    assert attrs.get("emails", []) == emails
    if ref is not None:
        assert (attrs["externalId"], attrs["externalSource"]) == (ref, APP_NAME)
    assert attrs.get("tags", []) == tags
    rels = body["data"].get("relationships", {})
    assert set(rels) == {n for n, v in (("owner", owner), ("account", account)) if v is not None}


@pytest.mark.parametrize(
    ("values", "pointer"),
    [
        ({"firstName": "  ", "lastName": ""}, "/data/attributes/firstName"),
        ({"firstName": "x" * 256}, "/data/attributes/firstName"),
        ({"lastName": "Patel", "emails": [" "]}, "/data/attributes/emails"),
        ({"lastName": "Patel", "emails": "dev@x.example"}, "/data/attributes/emails"),
        ({"lastName": "Patel", "name": "Dev Patel"}, "/data/attributes/name"),
        ({"lastName": "Patel", "ref": "r" * 256}, "/data/attributes/externalId"),
        ({"lastName": "Patel", "account": 0}, "/data/relationships/account"),
    ],
)
def test_a_bad_prospect_names_its_field(values: dict[str, Any], pointer: str) -> None:
    with pytest.raises(BodyError) as caught:
        NewProspect.make(**values)
    assert [e.pointer for e in caught.value.errors] == [pointer]


@given(
    prospect=IDS,
    number=E164,
    kind=st.sampled_from(["mobile", "work", "home", "voip", "other"]),
    extension=st.none() | st.from_regex(r"\A[0-9]{1,6}\Z"),
)
def test_a_phone_number_body_fits_the_spec(
    prospect: int, number: str, kind: str, extension: str | None
) -> None:
    body = NewPhoneNumber.make(
        prospect=prospect, number=number, phoneType=kind, extension=extension
    ).to_document()
    _check("/phoneNumbers", "post", body, "phoneNumber")
    attrs = body["data"]["attributes"]
    assert (attrs["number"], attrs["phoneType"]) == (number, kind)
    assert attrs.get("extension") == extension
    assert body["data"]["relationships"]["prospect"]["data"] == {"type": "prospect", "id": prospect}


@given(text=st.text(max_size=20))
def test_only_e164_numbers_are_sent(text: str) -> None:
    refused = _refusal(lambda: NewPhoneNumber.make(prospect=1, number=text))
    if refused is not None:
        assert [e.pointer for e in refused] == ["/data/attributes/number"]
        return
    assert text.startswith("+")
    assert text[1:].isascii()
    assert text[1:].isdigit()
    assert 5 <= len(text) <= 16


@given(rid=IDS, status=st.sampled_from([BAD_NUMBER, None]), opted=st.booleans())
def test_status_and_opt_out_patches_fit_the_spec(rid: int, status: str | None, opted: bool) -> None:
    phone = PhoneNumberStatus.make(id=rid, status=status).to_document()
    _check("/phoneNumbers/{id}", "patch", phone, "phoneNumber")
    assert phone == {"data": {"type": "phoneNumber", "id": rid, "attributes": {"status": status}}}
    out = CallOptOut.make(id=rid, optedOut=opted).to_document()
    _check("/prospects/{id}", "patch", out, "prospect")
    attrs = out["data"]["attributes"]
    assert attrs["callOptedOut"] is opted
    assert attrs["callsOptStatus"] == ("opted_out" if opted else "opted_in")


@given(
    values=st.dictionaries(
        st.sampled_from(["prospect", "dueAt", "note", "owner", "ref", "action", "x"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=5), WHEN, st.booleans()),
        max_size=6,
    )
)
def test_any_task_input_is_a_body_or_a_field_by_field_refusal(values: dict[str, Any]) -> None:
    refused = _refusal(lambda: NewTask.make(**values).to_document())
    if refused is not None:
        assert refused
        assert all(e.pointer.startswith("/data/") for e in refused)


@given(note=st.none() | st.text(max_size=80), ref=REFS)
def test_a_reference_line_round_trips(note: str | None, ref: str) -> None:
    written = note_with_ref(note, ref)
    assert ref_of(written) == ref
    assert without_ref(written) == (note or "").rstrip()
    assert written.endswith(ref_line(ref))


@given(note=st.text(max_size=80))
def test_a_note_without_a_reference_line_has_none(note: str) -> None:
    if REF_PREFIX not in note:
        assert ref_of(note) is None
        assert without_ref(note) == note


@pytest.mark.parametrize("ref", ["", "has space", "x" * 65, "-lead", "ü"])
def test_a_reference_must_be_a_plain_token(ref: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        ref_line(ref)


def test_a_reference_line_needs_its_own_line() -> None:
    assert ref_of(f"see {REF_PREFIX}abc") is None
    assert ref_of(f"{REF_PREFIX}abc\nmore") is None
    assert ref_of(f"first\n{REF_PREFIX}abc  ") == "abc"
    assert ref_of(None) is None


def test_date_times_are_sent_in_utc() -> None:
    local = datetime(2026, 3, 4, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    body = NewTask.make(prospect=1, dueAt=local).to_document()
    assert body["data"]["attributes"]["dueAt"] == "2026-03-04T09:00:00.000Z"
