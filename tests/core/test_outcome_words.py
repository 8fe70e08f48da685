"""A disposition's outcome in either vocabulary means the call's Answered or Not Answered."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.outreach.models import Disposition, call_outcome


@pytest.mark.parametrize(
    ("word", "outcome"),
    [
        ("Answered", "Answered"),
        ("completed", "Answered"),
        ("COMPLETED", "Answered"),
        ("Not Answered", "Not Answered"),
        ("no_answer", "Not Answered"),
        ("no-answer", "Not Answered"),
        ("  not   answered ", "Not Answered"),
        ("voicemail", ""),
        ("", ""),
    ],
)
def test_both_vocabularies_map_to_the_calls_outcome(word: str, outcome: str) -> None:
    assert call_outcome(word) == outcome
    assert Disposition(1, "x", 1, word).call_outcome == outcome


@given(st.text(max_size=30))
def test_any_word_maps_to_an_outcome_the_call_can_carry_or_none(word: str) -> None:
    assert call_outcome(word) in ("", "Answered", "Not Answered")
