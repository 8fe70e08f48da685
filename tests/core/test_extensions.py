"""Extensions survive: from what a rep or a softphone writes, through a second launch, to the
link handed to the softphone and the number logged."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core.outreach.models import Match, PhoneNumber, Prospect
from dialer_app.core.outreach.search import checked, classify, digits_of, number_reason, rank
from dialer_app.core.phone import clean_extension, pretty, with_extension
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


# How people, signatures and this app write an extension after a number.
EXTENSION_MARKS = (
    " ext. ",
    " ext ",
    "ext.",
    " Ext. ",
    " EXT ",
    " Ext: ",
    " extn ",
    " extension ",
    " x",
    "x",
    " #",
    ";ext=",
    " ext#",
    ", ext ",
)


@st.composite
def typed_with_extension(draw: st.DrawFn) -> tuple[str, str, str, int]:
    """(E.164, extension, the mark written before it, 0: as the card shows the number, 1: as
    E.164) of a real number typed with an extension."""
    e164, _ = draw(numbers())
    ext = draw(st.from_regex(r"[0-9]{1,6}", fullmatch=True))
    return e164, ext, draw(st.sampled_from(EXTENSION_MARKS)), draw(st.integers(0, 1))


@settings(max_examples=200)
@given(typed=typed_with_extension())
def test_a_number_typed_with_its_extension_is_looked_up_as_that_number(
    typed: tuple[str, str, str, int],
) -> None:
    """Pasted from a signature or from the app's own card, a number with its extension is a
    number to look up (not a name), and the extension is kept to rank its owner first."""
    e164, ext, mark, style = typed
    text = f"{_shown(e164, style)}{mark}{ext}"
    query = classify(text, "US")
    assert (query.kind, query.e164, query.extension) == ("phone", e164, ext)
    assert query.digits == digits_of(e164)
    bracketed = classify(f"{_shown(e164, style)} (ext. {ext})", "US")
    assert (bracketed.kind, bracketed.e164, bracketed.extension) == ("phone", e164, ext)


@settings(max_examples=100)
@given(typed=typed_with_extension())
def test_typed_key_by_key_an_extension_never_turns_the_number_into_a_name(
    typed: tuple[str, str, str, int],
) -> None:
    """From the whole number on, every keystroke of the extension's mark and digits still
    looks up that number: the matches stay, and no name search goes out meanwhile."""
    e164, ext, mark, style = typed
    shown = _shown(e164, style)
    text = f"{shown}{mark}{ext}"
    for end in range(len(shown), len(text) + 1):
        query = classify(text[:end], "US")
        assert (query.kind, query.e164) == ("phone", e164), text[:end]


def test_a_long_paste_of_blanks_and_marks_is_no_number() -> None:
    """Blanks, marks and digits in bulk (a paste gone wrong) are not a number to look up."""
    for text in (
        "Acme" + " " * 100 + "Corp",
        " x" * 60 + "1",
        "1" * 100 + " ext",
        "Acme" + " " * 10_000 + "Corp",
    ):
        assert classify(text, "US").kind in ("name", "partial phone")


def _shown(e164: str, style: int) -> str:
    """The number as the card shows it, or as E.164."""
    parsed = phonenumbers.parse(e164, None)
    international = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    return (international, e164)[style]


@settings(max_examples=200)
@given(
    name=st.from_regex(
        r"[A-WYZa-wyzÀ-ÿ][A-Za-zÀ-ÿ' -]{0,20}( (ext\.?|x|#) ?[0-9]{1,4})?", fullmatch=True
    )
)
def test_a_name_ending_in_an_extension_like_word_stays_a_name(name: str) -> None:
    """`Rex 12`, `Max #4`, `Alex ext 3`: no digits before the extension, so not a number.
    (Text of x's, blanks and digits alone, `x x000`, is a number being typed.)"""
    assert classify(name, "US").kind == "name"


@settings(max_examples=100)
@given(
    number=numbers(),
    extensions=st.lists(
        st.from_regex(r"[1-9][0-9]{0,4}", fullmatch=True), min_size=2, max_size=5, unique=True
    ),
    pick=st.integers(0, 4),
)
def test_among_people_sharing_a_main_line_the_one_with_the_extension_typed_comes_first(
    number: tuple[str, str], extensions: list[str], pick: int
) -> None:
    e164, _ = number
    wanted = extensions[pick % len(extensions)]
    people = [
        Prospect(
            id=i + 1,
            first_name=f"P{i}",
            last_name="Shared",
            phone_numbers=(PhoneNumber(id=i + 1, number=e164, phone_type="work", extension=ext),),
        )
        for i, ext in enumerate(extensions)
    ]
    query = classify(f"{pretty(e164)} ext. {wanted}", "US")
    ranked = rank(query, checked(query, people))
    assert len(ranked) == len(people)  # everyone on that line, each once
    first = ranked[0]
    assert first.prospect.phone_numbers[0].extension == wanted
    assert first.reason.endswith(f" ext. {wanted}")
    # Outreach's answer lists a number per row: the owner's row without the extension coming
    # first does not push the owner down.
    owner = first.prospect
    rows = [Match(owner, number_reason(e164, "work")), *ranked]
    assert rank(query, rows)[0].prospect == owner


@pytest.mark.parametrize("stored", ["571", "x571", "571 ", "ext. 571", "Ext: 571"])
def test_an_extension_as_outreach_keeps_it_is_compared_as_dialled(stored: str) -> None:
    """Outreach keeps the extension as it was typed in: `x571` is extension 571."""
    owner = Prospect(
        id=1,
        first_name="Ada",
        last_name="Owner",
        phone_numbers=(PhoneNumber(id=1, number="+14155550100", extension=stored),),
    )
    other = Prospect(
        id=2,
        first_name="Bo",
        last_name="Other",
        phone_numbers=(PhoneNumber(id=2, number="+14155550100", extension="12"),),
    )
    query = classify("+1 415-555-0100 ext. 571", "US")
    ranked = rank(query, checked(query, [other, owner]))
    assert [m.prospect.id for m in ranked] == [1, 2]
    assert ranked[0].reason == "number +1 415-555-0100 ext. 571"
