"""How one sandbox server behaves: static tokens, the OAuth client, token lifetimes, limits."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

REP_USER_ID = 1  # the seeded rep; static tokens and the consent page sign in as this user
DEFAULT_CLIENT_ID = "dialer-demo-client"
DEFAULT_CLIENT_SECRET = "dialer-demo-secret"
DEFAULT_TOKEN_TTL = 7200
DEFAULT_MINT_INTERVAL = 60
DEFAULT_RATE_LIMIT = 10_000
REFRESH_TTL = 14 * 86_400
CODE_TTL = 600


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """`tokens` maps each static bearer token (all scopes, never expiring) to its user's id."""

    tokens: Mapping[str, int] = field(default_factory=dict)
    latency_ms: int = 0
    clock: Callable[[], datetime] = utc_now
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    auto_approve: bool = False
    token_ttl: int = DEFAULT_TOKEN_TTL
    mint_interval: int = DEFAULT_MINT_INTERVAL
    rate_limit: int = DEFAULT_RATE_LIMIT
    admin_token: str | None = None
    seed: int = 1
    read_lag: float = 0.0  # seconds before a POSTed call shows in reads (`readlag.py`)

    @classmethod
    def for_tokens(cls, tokens: list[str], latency_ms: int = 0) -> SandboxSettings:
        """Static tokens, all signing in as the seeded rep."""
        return cls(tokens={t: REP_USER_ID for t in tokens}, latency_ms=latency_ms)

    def now(self) -> float:
        """The clock as epoch seconds."""
        return self.clock().timestamp()
