"""Numbers are looked up when possible, valid or not; what is not possible is refused with why."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app import cli
from dialer_app.core.phone import PhoneNumberError, to_e164
from dialer_app.core.remote import Request


@given(
    code=st.sampled_from([1, 44, 49, 33, 91, 55, 81, 353, 358]),
    national=st.text("0123456789", min_size=2, max_size=16),
)
def test_a_number_is_taken_exactly_when_it_is_possible(code: int, national: str) -> None:
    text = f"+{code} {national}"
    try:
        parsed = phonenumbers.parse(text)
        verdict = phonenumbers.is_possible_number_with_reason(parsed)
        possible = verdict == phonenumbers.ValidationResult.IS_POSSIBLE  # not "local only"
    except phonenumbers.NumberParseException:
        parsed, possible = None, False
    if not possible:
        with pytest.raises(PhoneNumberError, match=r"\S"):  # refused, saying why
            to_e164(text)
        return
    assert parsed is not None
    assert to_e164(text) == phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def test_the_fact_sheets_invalid_but_possible_number_is_a_number() -> None:
    assert not phonenumbers.is_valid_number(phonenumbers.parse("+1 (555) 010-0123"))
    assert to_e164("+1 (555) 010-0123") == "+15550100123"
    assert to_e164("(555) 010-0123", "US") == "+15550100123"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("+1 415", "too short"),
        ("+1 415 555 0123 4567 89", "too long"),
        ("555 0100", "add the area code"),
        ("+999 1234 5678", "country"),
    ],
)
def test_what_is_not_possible_is_refused_with_why(text: str, reason: str) -> None:
    with pytest.raises(PhoneNumberError, match=reason):
        to_e164(text, "US")


def _handed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    handed: list[Any] = []
    monkeypatch.setattr(cli, "_hand_over", lambda request, *_: handed.append(request) or 0)
    return handed


def test_the_link_of_an_invalid_but_possible_number_opens(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    handed = _handed(monkeypatch)
    assert cli.main(["tel:+1 (555) 010-0123"]) == 0
    assert handed == [Request("open", uri="tel:+1 (555) 010-0123")]


def test_the_link_of_an_impossible_number_is_refused_with_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    handed = _handed(monkeypatch)
    assert cli.main(["tel:+1 555 01"]) == 2
    assert "too short" in capsys.readouterr().err
    assert handed == []
