"""The OAuth book in the sandbox database: authorization codes, access and refresh tokens.

Secrets are stored only as SHA-256 hashes. Codes are single-use and live `CODE_TTL` seconds;
access tokens live the server's `--token-ttl`; refresh tokens live 14 days and rotate: each
refresh deletes the one it used. At most one token set is minted per user per
`--mint-interval` seconds. Every method runs on the database thread and is one transaction.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Literal

from .oauth_errors import invalid_grant, rate_limited
from .settings import CODE_TTL, REFRESH_TTL

ACCESS_PREFIX = "sbx_at_"
REFRESH_PREFIX = "sbx_rt_"
CODE_PREFIX = "sbx_code_"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What a successful token request returns."""

    access_token: str
    refresh_token: str
    expires_in: int
    scope: str
    created_at: int

    def as_json(self) -> dict[str, object]:
        return {
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "scope": self.scope,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class AccessGrant:
    """Who an access token signs in, with which scopes; `expired` when past its time."""

    user_id: int
    scopes: frozenset[str]
    expired: bool


@dataclass(frozen=True, slots=True)
class MintPolicy:
    """How the server mints: access-token lifetime and the per-user minimum interval."""

    token_ttl: int
    mint_interval: int


Lookup = AccessGrant | Literal["unknown"]


class TokenBook:
    """OAuth state of one database; `now` is passed in so the caller's clock rules."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def issue_code(
        self, client_id: str, redirect_uri: str, scope: str, user_id: int, now: float
    ) -> str:
        code = CODE_PREFIX + secrets.token_urlsafe(24)
        with self._conn:
            self._conn.execute("DELETE FROM oauth_codes WHERE expires_at <= ?", (now,))
            self._conn.execute(
                "INSERT INTO oauth_codes VALUES (?, ?, ?, ?, ?, ?)",
                (_hash(code), client_id, redirect_uri, scope, user_id, now + CODE_TTL),
            )
        return code

    def access(self, token: str, now: float) -> Lookup:
        row = self._conn.execute(
            "SELECT user_id, scope, expires_at FROM oauth_access WHERE hash = ?", (_hash(token),)
        ).fetchone()
        if row is None:
            return "unknown"
        return AccessGrant(int(row[0]), frozenset(str(row[1]).split()), row[2] <= now)

    def exchange_code(
        self, client_id: str, redirect_uri: str, code: str, policy: MintPolicy, now: float
    ) -> TokenSet:
        """Trade a code for tokens; the code is spent even if the redirect URI is wrong."""
        with self._conn:
            row = self._conn.execute(
                "SELECT client_id, redirect_uri, scope, user_id, expires_at "
                "FROM oauth_codes WHERE hash = ?",
                (_hash(code),),
            ).fetchone()
            if row is None:
                raise invalid_grant("The authorization code is unknown or was already used.")
            if row[4] <= now:
                self._conn.execute("DELETE FROM oauth_codes WHERE hash = ?", (_hash(code),))
                raise invalid_grant("The authorization code has expired.")
            if row[0] != client_id:
                raise invalid_grant("The authorization code was issued to another client.")
            self._check_interval(int(row[3]), policy, now)
            self._conn.execute("DELETE FROM oauth_codes WHERE hash = ?", (_hash(code),))
            if row[1] != redirect_uri:
                raise invalid_grant("redirect_uri differs from the one of the authorization.")
            return self._mint(client_id, int(row[3]), str(row[2]), policy, now)

    def refresh(
        self, client_id: str, refresh_token: str, policy: MintPolicy, now: float
    ) -> TokenSet:
        """Trade a refresh token for a new pair; the old refresh token stops working."""
        with self._conn:
            row = self._conn.execute(
                "SELECT client_id, user_id, scope, expires_at FROM oauth_refresh WHERE hash = ?",
                (_hash(refresh_token),),
            ).fetchone()
            if row is None or row[0] != client_id:
                raise invalid_grant("The refresh token is unknown, revoked or already used.")
            if row[3] <= now:
                raise invalid_grant("The refresh token has expired.")
            self._check_interval(int(row[1]), policy, now)
            self._conn.execute("DELETE FROM oauth_refresh WHERE hash = ?", (_hash(refresh_token),))
            return self._mint(client_id, int(row[1]), str(row[2]), policy, now)

    def _check_interval(self, user_id: int, policy: MintPolicy, now: float) -> None:
        row = self._conn.execute(
            "SELECT at FROM oauth_mints WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is not None and now - row[0] < policy.mint_interval:
            raise rate_limited(max(1, math.ceil(policy.mint_interval - (now - row[0]))))

    def _mint(
        self, client_id: str, user_id: int, scope: str, policy: MintPolicy, now: float
    ) -> TokenSet:
        access = ACCESS_PREFIX + secrets.token_urlsafe(32)
        refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
        self._conn.execute(
            "INSERT INTO oauth_access VALUES (?, ?, ?, ?)",
            (_hash(access), user_id, scope, now + policy.token_ttl),
        )
        self._conn.execute(
            "INSERT INTO oauth_refresh VALUES (?, ?, ?, ?, ?)",
            (_hash(refresh), client_id, user_id, scope, now + REFRESH_TTL),
        )
        self._conn.execute("INSERT OR REPLACE INTO oauth_mints VALUES (?, ?)", (user_id, now))
        return TokenSet(access, refresh, policy.token_ttl, scope, int(now))

    def expire_access(self, now: float) -> int:
        """Every access token expires now (`/_admin/tokens/expire`); how many were live."""
        with self._conn:
            cur = self._conn.execute(
                "UPDATE oauth_access SET expires_at = ? WHERE expires_at > ?", (now, now)
            )
        return cur.rowcount

    def revoke_refresh(self) -> int:
        """Every refresh token stops working (`/_admin/tokens/revoke-refresh`)."""
        with self._conn:
            cur = self._conn.execute("DELETE FROM oauth_refresh")
        return cur.rowcount
