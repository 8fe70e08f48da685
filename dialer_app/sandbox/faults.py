"""Faults on demand: the settings, their validation, and the seeded dice that pick each fault.

Settings (flags at start, `PUT /_admin/faults` at run time; all off by default):

- `latency_ms`, `latency_jitter_ms`: wait `latency_ms` plus a uniform 0..jitter before each API
  request is handled.
- `error_rate` (0..1), `error_statuses` (from 500, 502, 503, 504): that share of API requests is
  answered with one of those statuses (JSON:API error) without being handled.
- `burst_429`: the next N API requests get 429 `rateLimitExceeded` with `X-RateLimit-Reset` and
  `Retry-After` (`retry_after_s` from now), without being handled.
- `hold_ms`: every API request is handled at once, then its answer is held this long (a client
  with a shorter timeout gives up; a `POST /calls` held this way IS committed: the nasty case).
- `drop_after_commit` (next N) and `drop_rate` (0..1): a POST that succeeded (2xx, committed) has
  its connection closed instead of answered: the client sees no response at all. `drop_only`
  (an API path such as `/tasks`; "" for every POST) limits both to POSTs to that path and below
  (`/tasks/7/actions/snooze`), so that a test can lose the answer of one kind of write.
- `maintenance`: every API request gets 503 `scheduledServerMaintenance` with `Retry-After`.

Each random fault kind has its own `random.Random` seeded from `--seed` and the kind's name, so
a run with the same seed and the same requests meets the same faults.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

ERROR_STATUSES = (500, 502, 503, 504)
API_BASE = "/api/v2"
_API_PATH = re.compile(r"(/[A-Za-z0-9_.-]{1,64}){0,6}/?")


class FaultSettingsError(ValueError):
    """Bad fault settings; `problems` maps each setting to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class FaultSettings:
    latency_ms: int = 0
    latency_jitter_ms: int = 0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    burst_429: int = 0
    retry_after_s: int = 1
    hold_ms: int = 0
    drop_after_commit: int = 0
    drop_rate: float = 0.0
    drop_only: str = ""
    maintenance: bool = False

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["error_statuses"] = list(self.error_statuses)
        return out

    def updated(self, changes: Mapping[str, object]) -> FaultSettings:
        """A copy with `changes` applied; `FaultSettingsError` naming every bad one."""
        known = {f.name: f for f in fields(self)}
        problems: dict[str, str] = {}
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name not in known:
                problems[name] = "unknown setting"
                continue
            try:
                values[name] = _check(name, value)
            except ValueError as exc:
                problems[name] = str(exc)
        if problems:
            raise FaultSettingsError(problems)
        return replace(self, **values)


def _check(name: str, value: object) -> object:
    if name == "drop_only":
        if not isinstance(value, str) or not _API_PATH.fullmatch(value):
            raise ValueError('must be "" or an API path like /tasks')
        return value.rstrip("/")
    if name == "maintenance":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if name in ("error_rate", "drop_rate"):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError("must be a number from 0 to 1")
        return float(value)
    if name == "error_statuses":
        if (
            not isinstance(value, list | tuple)
            or not value
            or any(isinstance(v, bool) or v not in ERROR_STATUSES for v in value)
        ):
            raise ValueError(f"must be a non-empty list of {', '.join(map(str, ERROR_STATUSES))}")
        return tuple(int(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("must be a whole number, 0 or more")
    return value


@dataclass
class Faults:
    """The live settings plus one seeded generator per random fault kind."""

    seed: int
    settings: FaultSettings = field(default_factory=FaultSettings)
    _dice: dict[str, random.Random] = field(default_factory=dict)

    def dice(self, kind: str) -> random.Random:
        rng = self._dice.get(kind)
        if rng is None:
            rng = self._dice[kind] = random.Random(f"sandbox-faults:{self.seed}:{kind}")
        return rng

    def update(self, changes: Mapping[str, object]) -> FaultSettings:
        self.settings = self.settings.updated(changes)
        return self.settings

    def reset(self) -> FaultSettings:
        self.settings = FaultSettings()
        return self.settings

    def latency_seconds(self) -> float:
        s = self.settings
        jitter = self.dice("latency").uniform(0, s.latency_jitter_ms) if s.latency_jitter_ms else 0
        return (s.latency_ms + jitter) / 1000

    def take_burst(self) -> bool:
        if self.settings.burst_429 <= 0:
            return False
        self.settings = replace(self.settings, burst_429=self.settings.burst_429 - 1)
        return True

    def injected_status(self) -> int | None:
        s = self.settings
        if s.error_rate <= 0:
            return None
        dice = self.dice("errors")
        if dice.random() >= s.error_rate:
            return None
        return dice.choice(s.error_statuses)

    def take_drop(self, path: str = "") -> bool:
        """Whether to drop the answer of this successful POST (to `path`, the request's)."""
        s = self.settings
        if s.drop_only:
            under = path[len(API_BASE) :] if path.startswith(API_BASE) else path
            if under != s.drop_only and not under.startswith(s.drop_only + "/"):
                return False
        if s.drop_after_commit > 0:
            self.settings = replace(s, drop_after_commit=s.drop_after_commit - 1)
            return True
        return s.drop_rate > 0 and self.dice("drop").random() < s.drop_rate
