"""Extensions survive: from what a rep or a softphone writes, through a second launch, to the
link handed to the softphone and the number logged."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core.phone import clean_extension, with_extension
from dialer_app.core.remote import parse_request
from dialer_app.core.softphone.events import make_event, read_party
from dialer_app.core.uri import dial_uri, parse_uri

REGIONS = ("US", "GB", "DE", "FR", "NL", "AU", "JP", "BR", "IN")


@st.composite
def numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(E.164, extension) of a real number of some country: an extension or none."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.FIXED_LINE, None]))
    example = (
        phonenumbers.example_number_for_type(region, kind)
        if kind is not None
        else phonenumbers.example_number(region)
    )
    assert example is not None
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    ext = draw(st.one_of(st.just(""), st.from_regex(r"[1-9][0-9]{0,5}", fullmatch=True)))
    return e164, ext


def written(e164: str, ext: str, style: int) -> str:
    """The number as people and softphones write it."""
    parsed = phonenumbers.parse(e164, None)
    pretty = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    if not ext:
        return (pretty, e164, f"tel:{e164}")[style % 3]
    return (f"{pretty} ext. {ext}", f"{e164} x{ext}", f"tel:{e164};ext={ext}")[style % 3]


@pytest.mark.slow
@settings(max_examples=200)
@given(number=numbers(), style=st.integers(0, 2))
def test_an_extension_survives_the_softphone_event_and_a_second_launch(
    number: tuple[str, str], style: int
) -> None:
    e164, ext = number
    text = written(e164, ext, style)
    assert read_party(text, region="US") == (e164, ext)
    event = make_event("dialing", text, call_id="c-1")
    assert (event.number, event.extension) == (e164, ext)
    forwarded = parse_request(parse_request(["event", "dialing", "--number", text]).argv)
    assert forwarded.event is not None
    assert (forwarded.event.number, forwarded.event.extension) == (e164, ext)


@settings(max_examples=200)
@given(number=numbers())
def test_the_link_to_the_softphone_and_the_logged_number_keep_the_extension(
    number: tuple[str, str],
) -> None:
    e164, ext = number
    link = dial_uri("tel", e164, ext)
    back = parse_uri(link)
    assert (back.number, back.extension) == (e164, ext)
    assert with_extension(e164, ext) == (f"{e164};ext={ext}" if ext else e164)
    assert dial_uri("callto", e164, ext) == f"callto:{e164}"


def test_an_extension_keeps_only_what_can_be_dialled() -> None:
    assert clean_extension(" 571 ") == "571"
    assert clean_extension("x12#") == "12#"
    assert clean_extension("٣٤") == ""  # digits, but not ones a phone dials
    assert clean_extension("9" * 40) == "9" * 20
