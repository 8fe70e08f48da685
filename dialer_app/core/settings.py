"""The app's settings, each declared once (key, type, default, label), saved as JSON."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from . import files

log = logging.getLogger(__name__)

T = TypeVar("T", str, int, bool)


@dataclass(frozen=True, slots=True)
class Setting(Generic[T]):
    key: str
    default: T
    label: str
    choices: tuple[T, ...] = ()


DIAL_SCHEME = Setting(
    "dial_scheme",
    "tel",
    "Hand numbers to the softphone as",
    ("tel", "callto", "sip", "none"),
)
REGION = Setting("region", "US", "Default phone region (for numbers without +)")
CALL_HOURS_START = Setting("call_hours_start", 8, "Calling hours start (prospect's local hour)")
CALL_HOURS_END = Setting("call_hours_end", 20, "Calling hours end (prospect's local hour)")
BARESIP = Setting("baresip", "", "Baresip ctrl_tcp address to follow (HOST:PORT; empty: none)")
PLAIN_FILE_SECRETS = Setting(
    "plain_file_secrets",
    False,
    "Without a keychain, keep secrets in a plain file (not secure)",
)
# Off by default: a call that links its task and carries `sequenceAction` is how a dialer tells
# Outreach what happened; whether Outreach then completes the task by itself is unconfirmed.
# An extra `markComplete` on a task Outreach already completed could move the sequence on twice,
# so the app only adds it where the rep (or the org's admin) sees tasks stay open. Even then the
# task is read first and completed only while still open, once per call.
COMPLETE_CALL_TASK = Setting(
    "complete_call_task",
    False,
    "After a call is delivered, also mark its call task complete in Outreach",
)
DAILY_CALL_GOAL = Setting(
    "daily_call_goal", 0, "Daily call goal (shown with today's count; 0: no goal)"
)
CONFIRM_OUTSIDE_HOURS = Setting(
    "confirm_outside_hours",
    True,
    "Ask before calling outside the prospect's calling hours",
)
GLOBAL_SHORTCUTS = Setting(
    "global_shortcuts",
    False,
    "Global shortcuts: Dial, Answered, Hang up and Log work while another app has focus",
)
ALL: tuple[Setting[Any], ...] = (
    DIAL_SCHEME,
    REGION,
    CALL_HOURS_START,
    CALL_HOURS_END,
    BARESIP,
    PLAIN_FILE_SECRETS,
    COMPLETE_CALL_TASK,
    DAILY_CALL_GOAL,
    CONFIRM_OUTSIDE_HOURS,
    GLOBAL_SHORTCUTS,
)
SHORTCUTS_KEY = "shortcuts"
"""The rep's own keys: an object of shortcut id → key sequence ("" for none); ids not in it keep
their defaults (the table is `ui.shortcuts`)."""


class Settings:
    """Settings stored in one JSON file; unknown or mistyped values fall back to the default.

    A file that cannot be read at all (not JSON, not an object, a folder…) is moved aside and
    the rep is told (`files.load_json`); the defaults apply until a setting is changed.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = {}
        if path is not None:
            loaded = files.load_json(
                path,
                files.expect_object,
                what="Your settings",
                outcome="the defaults are used until you change a setting",
            )
            if loaded is not None:
                self._values = loaded

    def get(self, setting: Setting[T]) -> T:
        value = self._values.get(setting.key, setting.default)
        if type(value) is not type(setting.default):
            return setting.default
        if setting.choices and value not in setting.choices:
            return setting.default
        return value

    def set(self, setting: Setting[T], value: T) -> bool:
        """Change a setting (for this run at once) and save it; False if it could not be saved
        (the rep is told)."""
        if type(value) is not type(setting.default):
            raise TypeError(f"{setting.key} takes a {type(setting.default).__name__}")
        if setting.choices and value not in setting.choices:
            raise ValueError(f"{setting.key} must be one of {setting.choices}")
        self._values[setting.key] = value
        return self._save()

    def shortcuts(self) -> dict[str, str]:
        """The keys the rep changed, by shortcut id (anything but text is left out)."""
        value = self._values.get(SHORTCUTS_KEY)
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}

    def set_shortcuts(self, keys: dict[str, str]) -> bool:
        """Keep these keys (only those differing from the defaults need be given) and save."""
        self._values[SHORTCUTS_KEY] = dict(sorted(keys.items()))
        return self._save()

    def _save(self) -> bool:
        if self.path is None:
            return True
        try:
            files.write_json(self.path, self._values, indent=2, sort_keys=True)
        except OSError as exc:
            log.warning("could not save the settings: %s", exc)
            files.notices.add(
                f"Your settings could not be saved in {self.path} ({exc.strerror or exc}); "
                "the change holds until the app is closed."
            )
            return False
        return True
