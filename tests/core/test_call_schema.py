"""The call contract against Outreach's published schema, by property-based testing.

Every body the models can produce validates against `POST /calls` of openapi.json and says the
same thing after a round trip; every invalid value is refused naming exactly its field.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.calls import (
    DIRECTIONS,
    OUTCOMES,
    RELATIONSHIP_TYPES,
    SEQUENCE_ACTIONS,
    USER_CALL_TYPES,
    Call,
    CallAttributes,
    CallRelationships,
    CallValidationError,
    NewCall,
)
from dialer_app.core.jsonapi import Resource
from tests.support import openapi as spec

UTC_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
DATE_FIELDS = ("dialedAt", "answeredAt", "completedAt", "returnedAt")
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
aware = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=offsets
)


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(st.characters(codec="utf-8"), max_size=max_size)


def http_url() -> st.SearchStrategy[str]:
    host = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(com|io|example)", fullmatch=True)
    path = st.from_regex(r"[A-Za-z0-9/_.-]{0,60}", fullmatch=True)
    return st.builds(
        lambda s, h, p: f"{s}://{h}/{p}", st.sampled_from(["http", "https"]), host, path
    )


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


@st.composite
def new_calls(draw: st.DrawFn) -> NewCall:
    lengths = spec.max_lengths("call")
    attrs = {
        **{name: draw(maybe(aware)) for name in DATE_FIELDS},
        "direction": draw(maybe(st.sampled_from(DIRECTIONS))),
        "outcome": draw(maybe(st.sampled_from(OUTCOMES))),
        "from_": draw(maybe(text(lengths["from"]))),
        "to": draw(maybe(text(lengths["to"]))),
        "note": draw(maybe(text(2000))),
        "tags": draw(maybe(st.lists(text(40), max_size=5))),
        "sequenceAction": draw(maybe(st.sampled_from(SEQUENCE_ACTIONS))),
        "shouldRecordCall": draw(maybe(st.booleans())),
        "recordingUrl": draw(maybe(http_url())),
        "userCallType": draw(maybe(st.sampled_from(USER_CALL_TYPES))),
        "externalVendor": draw(maybe(text(lengths["externalVendor"]))),
        "vendorCallId": draw(maybe(text(lengths["vendorCallId"]))),
    }
    ids = {name: draw(maybe(st.integers(1, 2**31))) for name in RELATIONSHIP_TYPES}
    return NewCall(attributes=CallAttributes(**attrs), relationships=CallRelationships.link(**ids))


@SETTINGS
@given(call=new_calls())
def test_every_call_body_validates_against_the_published_schema(call: NewCall) -> None:
    doc = call.to_document()
    spec.validator(spec.request_schema("/calls", "post")).validate(doc)
    attributes = doc["data"]["attributes"]
    assert not spec.read_only("call") & attributes.keys()
    for name in DATE_FIELDS:
        if name in attributes:
            assert UTC_MS.match(attributes[name]), attributes[name]
            sent = datetime.fromisoformat(attributes[name].replace("Z", "+00:00"))
            original = getattr(call.attributes, name)
            assert abs(sent - original) < timedelta(milliseconds=1)
    for name, rel in doc["data"].get("relationships", {}).items():
        assert rel["data"]["type"] == RELATIONSHIP_TYPES[name]


@SETTINGS
@given(call=new_calls())
def test_every_call_body_reads_back_as_the_same_call(call: NewCall) -> None:
    again = NewCall.from_document(call.to_document())
    assert again.to_document() == call.to_document()


def _errors(attributes: dict[str, Any], relationships: dict[str, Any] | None = None) -> dict:
    body = {"data": {"type": "call", "attributes": attributes}}
    if relationships is not None:
        body["data"]["relationships"] = relationships
    with pytest.raises(CallValidationError) as info:
        NewCall.from_document(body)
    return {e.pointer: e.message for e in info.value.errors}


TEXT_FIELDS = ("from", "to", "note", "externalVendor", "vendorCallId", "recordingUrl")


@pytest.mark.parametrize("name", TEXT_FIELDS)
def test_each_length_limit_comes_from_the_spec_and_holds_to_the_character(name: str) -> None:
    limit = spec.max_lengths("call")[name]
    fill = "https://x.io/" if name == "recordingUrl" else ""
    at_limit = fill + "a" * (limit - len(fill))
    NewCall.from_document({"data": {"type": "call", "attributes": {name: at_limit}}})
    errors = _errors({name: at_limit + "a"})
    assert list(errors) == [f"/data/attributes/{name}"]
    assert f"{limit:,}" in errors[f"/data/attributes/{name}"]


@SETTINGS
@given(
    name=st.sampled_from(["direction", "outcome", "sequenceAction", "userCallType"]),
    value=st.text(max_size=20),
)
def test_enumerations_refuse_anything_else_by_name(name: str, value: str) -> None:
    allowed = {
        "direction": DIRECTIONS,
        "outcome": OUTCOMES,
        "sequenceAction": SEQUENCE_ACTIONS,
        "userCallType": USER_CALL_TYPES,
    }[name]
    if value in allowed:
        return
    assert list(_errors({name: value})) == [f"/data/attributes/{name}"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://files.example.com/a.mp3",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "http:///nohost",
    ],
)
def test_recording_links_must_be_http_or_https(url: str) -> None:
    assert list(_errors({"recordingUrl": url})) == ["/data/attributes/recordingUrl"]


def test_uppercase_https_is_a_link_too() -> None:
    NewCall.from_document(
        {"data": {"type": "call", "attributes": {"recordingUrl": "HTTPS://x.example/r"}}}
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("dialedAt", "2026-03-02T15:00:00"),  # no time zone
        ("answeredAt", "yesterday"),
        ("completedAt", 1700000000),
        ("shouldRecordCall", "yes"),
        ("tags", "budget"),
        ("tags", [1, 2]),
        ("note", 12),
    ],
)
def test_wrong_types_are_refused_by_name(name: str, value: Any) -> None:
    assert list(_errors({name: value})) == [f"/data/attributes/{name}"]


def test_read_only_attributes_from_the_spec_are_never_accepted() -> None:
    for name in sorted(spec.read_only("call")):
        errors = _errors({name: "2026-03-02T15:00:00.000Z"})
        assert list(errors) == [f"/data/attributes/{name}"], name
        assert "read-only" in errors[f"/data/attributes/{name}"]


@pytest.mark.parametrize(
    "linkage",
    [
        {"data": {"type": "account", "id": 1}},
        {"data": {"type": "prospect", "id": "1"}},
        {"data": {"type": "prospect"}},
        5,
        {"id": 1},
    ],
)
def test_bad_relationship_linkage_is_refused_by_name(linkage: Any) -> None:
    assert list(_errors({}, {"prospect": linkage})) == ["/data/relationships/prospect"]


def test_several_violations_give_one_error_per_field() -> None:
    errors = _errors(
        {"note": "x" * 65_536, "direction": "sideways", "recordingUrl": "ftp://a/b"},
        {"user": {"data": {"type": "prospect", "id": 1}}},
    )
    assert set(errors) == {
        "/data/attributes/note",
        "/data/attributes/direction",
        "/data/attributes/recordingUrl",
        "/data/relationships/user",
    }


def test_a_call_outreach_returns_is_read_with_its_read_only_attributes() -> None:
    response = {
        "type": "call",
        "id": 77,
        "attributes": {
            "dialedAt": "2023-09-25T18:06:38.000Z",
            "outcome": "Answered",
            "createdAt": "2023-09-25T18:07:01.000Z",
            "state": "completed",
            "uid": "trace-1",
            "voicemailRecordingUrl": None,
            "somethingNew": "ignored",
        },
        "relationships": {
            "prospect": {"data": {"type": "prospect", "id": 5}},
            "batches": {"links": {"related": "https://api.example/batches"}},
        },
    }
    spec.validator(spec.component("callResponse")).validate(response)
    call = Call.from_resource(Resource.model_validate(response))
    assert call.id == 77
    assert call.attributes.state == "completed"
    assert call.attributes.createdAt == datetime(2023, 9, 25, 18, 7, 1, tzinfo=UTC)
    assert call.link_id("prospect") == 5
