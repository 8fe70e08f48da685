"""Text from outside loses what could make it lie: bidi controls, forged lines, endless length."""

from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.text import (
    BIDI_CONTROLS,
    FSI,
    LINE_BREAKS,
    MAX_NAME,
    PDI,
    is_rtl,
    isolate,
    neutralise,
    one_line,
)

# Text as hostile as a CRM field can be: every bidi control, line breaks, markup, RTL letters.
hostile = st.text(
    st.sampled_from(sorted(BIDI_CONTROLS))
    | st.sampled_from(list("\n\r\t\x00\x1b\u2028\u2029\u200b\u200d<>&\"'/"))
    | st.sampled_from(list("אבגדשלוםمرحبا"))
    | st.characters(),
    max_size=400,
)


@given(hostile)
def test_neutralise_removes_exactly_the_bidi_controls(text: str) -> None:
    out = neutralise(text)
    assert not BIDI_CONTROLS & set(out)
    assert out == "".join(ch for ch in text if ch not in BIDI_CONTROLS)


@given(hostile)
def test_a_name_is_one_bounded_line_of_the_same_characters(text: str) -> None:
    out = one_line(text)
    assert not BIDI_CONTROLS & set(out)
    assert not any(unicodedata.category(ch) == "Cc" for ch in out)
    assert "\u2028" not in out
    assert "\u2029" not in out
    assert len(out) <= MAX_NAME
    assert one_line(out) == out
    if len(neutralise(text)) <= MAX_NAME:
        assert len(out) == len(neutralise(text))  # characters replaced, never dropped


@given(hostile)
def test_a_name_keeps_every_character_but_controls_and_line_breaks(text: str) -> None:
    """Character by character: bidi controls go, line breaks and other control characters
    (category Cc) become spaces, everything else stays."""
    expected = "".join(
        " " if ch in LINE_BREAKS or unicodedata.category(ch) == "Cc" else ch
        for ch in text
        if ch not in BIDI_CONTROLS
    )
    assert one_line(text, limit=1_000) == expected


def test_a_reversed_title_reads_as_typed() -> None:
    assert one_line("CFO \u202e)llac ton od(") == "CFO )llac ton od("
    assert one_line("Ann\u2066e\u2069 Lee\u200f") == "Anne Lee"
    assert one_line("Jane\nOPTED OUT - DO NOT CALL") == "Jane OPTED OUT - DO NOT CALL"


@given(hostile)
def test_only_right_to_left_text_is_isolated(text: str) -> None:
    out = isolate(text)
    if is_rtl(one_line(text)):
        assert out == f"{FSI}{one_line(text)}{PDI}"
    else:
        assert out == one_line(text)


def test_plain_latin_names_are_unchanged() -> None:
    for name in ("Jane Doe", "Zoë O'Brien-Łukasiewicz", "李小龍", "<b>Bold</b> & co"):
        assert one_line(name) == name
        assert isolate(name) == name
    assert isolate("שלום") == f"{FSI}שלום{PDI}"
