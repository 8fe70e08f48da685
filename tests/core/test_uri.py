"""Phone links from outside: the number is found in every accepted form, anything else refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.uri import MAX_URI, DialTarget, UriError, is_phone_uri, parse_uri


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("tel:+1-415-555-0123", DialTarget("tel", "+14155550123")),
        ("tel:+1 415-555-0123", DialTarget("tel", "+14155550123")),
        ("TEL:+1.415.555.0123", DialTarget("tel", "+14155550123")),
        ("tel:+1(415)555-0123;ext=42", DialTarget("tel", "+14155550123", "42")),
        ("tel:415-555-0123;phone-context=+1", DialTarget("tel", "+14155550123")),
        ("tel:%2B44%2020%207946%200958", DialTarget("tel", "+442079460958")),
        ("callto:+4930901820", DialTarget("callto", "+4930901820")),
        ("callto://+4930901820", DialTarget("callto", "+4930901820")),
        ("sip:+14155550123@pbx.example.com;user=phone", DialTarget("sip", "+14155550123")),
        ("sips:+33142685300@sip.example.fr", DialTarget("sips", "+33142685300")),
    ],
)
def test_accepted_links_yield_the_e164_number(uri: str, expected: DialTarget) -> None:
    assert parse_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("http://example.com", "Only tel:, callto:, sip: and sips:"),
        ("javascript:alert(1)", "Only tel:"),
        ("tel:", "no number"),
        ("tel:555-0123", "needs ;phone-context"),
        ("tel:555-0123;phone-context=example.com", "not a domain"),
        ("tel:+1-415-555-0123;ext=12a", "extension must be digits"),
        ("tel:+1415555012345678", "3 to 15 digits"),
        ("tel:+1-415-CALL-NOW", "3 to 15 digits"),
        ("tel:+14155550123\n;rm -rf", "control characters"),
        ("tel:%0a+14155550123", "control characters"),
        ("callto:echo123", "names a user"),
        ("sip:alice@example.com", "names a user"),
        ("sip:+14155550123", "sip:number@host"),
        ("tel:+1" + "0" * MAX_URI, "longer than"),
        ("tel:+99912345678", "no country code|Not a phone number"),
        ("tel:+1 415 555", "too short"),
        ("tel:+1 555 0100", "add the area code"),
    ],
)
def test_anything_else_is_refused_with_a_reason(uri: str, reason: str) -> None:
    with pytest.raises(UriError, match=reason):
        parse_uri(uri)


def test_only_the_four_schemes_are_claimed() -> None:
    assert is_phone_uri("tel:+1")
    assert is_phone_uri("SIP:x@y")
    assert not is_phone_uri("https://x")
    assert not is_phone_uri("+14155550123")


@given(st.text(max_size=300))
def test_arbitrary_input_is_parsed_or_refused_never_crashes(text: str) -> None:
    try:
        target = parse_uri(text)
    except UriError:
        return
    assert target.number.startswith("+")
    assert target.number[1:].isdigit()
