"""Settings are declared once, survive a restart, and a bad file never breaks the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer_app.core import settings as s


def test_defaults_until_set_then_kept_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    first = s.Settings(path)
    assert first.get(s.DIAL_SCHEME) == "tel"
    first.set(s.DIAL_SCHEME, "sip")
    first.set(s.CALL_HOURS_END, 18)
    again = s.Settings(path)
    assert again.get(s.DIAL_SCHEME) == "sip"
    assert again.get(s.CALL_HOURS_END) == 18


def test_wrong_values_are_refused_when_set(tmp_path: Path) -> None:
    settings = s.Settings(tmp_path / "settings.json")
    with pytest.raises(ValueError, match="dial_scheme"):
        settings.set(s.DIAL_SCHEME, "skype")
    with pytest.raises(TypeError, match="call_hours_start"):
        settings.set(s.CALL_HOURS_START, "8")  # type: ignore[arg-type]


def test_a_hand_edited_file_with_nonsense_falls_back_to_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"dial_scheme": "fax", "call_hours_start": "early", "region": "GB"}')
    settings = s.Settings(path)
    assert settings.get(s.DIAL_SCHEME) == "tel"
    assert settings.get(s.CALL_HOURS_START) == 8
    assert settings.get(s.REGION) == "GB"
    path.write_text("{not json")
    assert s.Settings(path).get(s.REGION) == "US"
