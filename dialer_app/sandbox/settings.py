"""How one sandbox server behaves: accepted tokens, added latency, its clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

REP_USER_ID = 1  # the seeded rep; static tokens sign in as this user


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """`tokens` maps each accepted bearer token to the id of the user it signs in."""

    tokens: Mapping[str, int] = field(default_factory=dict)
    latency_ms: int = 0
    clock: Callable[[], datetime] = utc_now

    @classmethod
    def for_tokens(cls, tokens: list[str], latency_ms: int = 0) -> SandboxSettings:
        """Static tokens, all signing in as the seeded rep."""
        return cls(tokens={t: REP_USER_ID for t in tokens}, latency_ms=latency_ms)
