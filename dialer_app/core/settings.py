"""The app's settings, each declared once (key, type, default, label), saved as JSON."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

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
ALL: tuple[Setting[Any], ...] = (
    DIAL_SCHEME,
    REGION,
    CALL_HOURS_START,
    CALL_HOURS_END,
    BARESIP,
    PLAIN_FILE_SECRETS,
    COMPLETE_CALL_TASK,
)


class Settings:
    """Settings stored in one JSON file; unknown or mistyped values fall back to the default."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._values: dict[str, Any] = {}
        if path is not None:
            with contextlib.suppress(FileNotFoundError, ValueError):
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self._values = loaded

    def get(self, setting: Setting[T]) -> T:
        value = self._values.get(setting.key, setting.default)
        if type(value) is not type(setting.default):
            return setting.default
        if setting.choices and value not in setting.choices:
            return setting.default
        return value

    def set(self, setting: Setting[T], value: T) -> None:
        if type(value) is not type(setting.default):
            raise TypeError(f"{setting.key} takes a {type(setting.default).__name__}")
        if setting.choices and value not in setting.choices:
            raise ValueError(f"{setting.key} must be one of {setting.choices}")
        self._values[setting.key] = value
        self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=self.path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._values, f, indent=2, sort_keys=True)
        os.replace(tmp, self.path)
