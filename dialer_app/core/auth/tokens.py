"""OAuth token sets, the token endpoint, and the TokenSource that keeps a sign-in alive.

`OAuthToken` gives the client a valid access token: it refreshes shortly before expiry and once
after a 401, saves each rotated refresh token (the whole set, one write) before using it, and
mints at most once per `mint_interval` seconds (Outreach allows about one a minute): a 401 within
that minute is a `RateLimited` saying when to try again. When the refresh token no longer works
it forgets the set and raises `SignInRequired`.

The token endpoint's answer passes the same guards as the API's (`outreach.guard`): a deadline
for the whole exchange, a bounded body, strict depth-limited JSON; `Retry-After` and
`expires_in` are read clamped (a NaN or infinite lifetime never reaches a saved token set).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, NoReturn

import httpx

from ..outreach import errors as e
from ..outreach.guard import GuardedTransport, network_transport, parse_json
from ..outreach.headers import clamp, retry_after
from .profiles import Profile
from .secrets import SecretStore, SecretStoreError

log = logging.getLogger(__name__)
APP_SCOPES = (
    "calls.write calls.read prospects.read prospects.write phoneNumbers.read "
    "phoneNumbers.write callDispositions.read callPurposes.read sequenceStates.read "
    "sequences.read tasks.read tasks.write users.read"
)
REFRESH_MARGIN = 120.0  # refresh when the access token has less than this left
MINT_INTERVAL = 60.0
TOKEN_TIMEOUT = 15.0  # seconds for the whole exchange with the token endpoint
TOKEN_BODY_MAX = 64 * 1024  # a token answer is a few hundred bytes
DEFAULT_LIFETIME = 7200.0  # Outreach's access tokens last about two hours
LONGEST_LIFETIME = 90 * 86_400.0


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What the token endpoint gave; times are epoch seconds. `repr` never shows a token."""

    access_token: str
    refresh_token: str
    expires_at: float
    minted_at: float
    scope: str = ""

    def __repr__(self) -> str:
        return f"TokenSet(expires_at={self.expires_at:.0f}, scope={self.scope!r})"

    def dumps(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def loads(cls, text: str) -> TokenSet | None:
        try:
            raw = json.loads(text)
            tokens = cls(
                access_token=str(raw["access_token"]),
                refresh_token=str(raw["refresh_token"]),
                expires_at=float(raw["expires_at"]),
                minted_at=float(raw["minted_at"]),
                scope=str(raw.get("scope", "")),
            )
        except (ValueError, KeyError, TypeError, RecursionError):
            return None
        if not (math.isfinite(tokens.expires_at) and math.isfinite(tokens.minted_at)):
            # A damaged save: keep the refresh token, take the access token as expired.
            return cls(tokens.access_token, tokens.refresh_token, 0.0, 0.0, tokens.scope)
        return tokens


async def request_tokens(
    profile: Profile,
    client_secret: str,
    form: dict[str, str],
    *,
    now: Callable[[], float] = time.time,
    transport: httpx.AsyncBaseTransport | None = None,
) -> TokenSet:
    """POST the grant `form` to the org's `/oauth/token`; the new set or an error of the tree.

    `invalid_grant` → `SignInRequired`; `invalid_client` → `SignInRequired` naming the profile;
    429 → `RateLimited`; anything else → `SignInError`, `RequestTimeout`, `ConnectError`.
    """
    body = {"client_id": profile.client_id, "client_secret": client_secret, **form}
    url = f"{profile.origin}/oauth/token"
    guarded = GuardedTransport(transport or network_transport(httpx.URL(url)), TOKEN_BODY_MAX)
    try:
        async with (
            asyncio.timeout(TOKEN_TIMEOUT),
            httpx.AsyncClient(transport=guarded, timeout=TOKEN_TIMEOUT) as http,
        ):
            response = await http.post(url, data=body)
    except e.OutreachError:
        raise
    except (TimeoutError, httpx.TimeoutException):
        raise e.RequestTimeout("Outreach's sign-in did not answer in time.") from None
    except httpx.HTTPError as exc:
        raise e.ConnectError(
            f"Cannot reach Outreach's sign-in at {profile.origin} ({type(exc).__name__})."
        ) from None
    payload: Any = None
    try:
        payload = parse_json(response.content, 8)
    except e.MalformedResponse:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    described = payload.get("error_description") if isinstance(payload, dict) else None
    if response.status_code == 429:
        wait = retry_after(response.headers.get("Retry-After"), now())
        raise e.RateLimited(
            "Outreach gives one new token a minute"
            + (f": try again in {wait:.0f} s." if wait else "; try again shortly."),
            status=429,
            retry_after=wait,
        )
    if error == "invalid_grant":
        raise e.SignInRequired(f"Sign in again: {described or 'the sign-in has expired.'}")
    if error == "invalid_client" or response.status_code == 401:
        raise e.SignInRequired(
            f"Outreach refused the client id or secret of {profile.name}: check the profile."
        )
    if response.status_code != 200 or not isinstance(payload, dict):
        raise e.SignInError(
            f"Outreach's sign-in answered {response.status_code}: {error or 'unexpected answer'}"
            + (f" ({described})" if described else "")
        )
    try:
        minted = now()
        return TokenSet(
            access_token=str(payload["access_token"]),
            refresh_token=str(payload["refresh_token"]),
            expires_at=minted + _lifetime(payload.get("expires_in")),
            minted_at=minted,
            scope=str(payload.get("scope", "")),
        )
    except (KeyError, TypeError, ValueError):
        raise e.MalformedResponse("Outreach's sign-in answered without the tokens.") from None


def _lifetime(value: object) -> float:
    """`expires_in` as seconds from 1 to 90 days; missing or unreadable → two hours."""
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return DEFAULT_LIFETIME
    if math.isnan(seconds):
        return DEFAULT_LIFETIME
    return clamp(seconds, 1.0, LONGEST_LIFETIME)


class OAuthToken:
    """A TokenSource for one signed-in profile; `tokens` is None once signed out or revoked.

    `on_change()` is called after every mint, forget or failure, for the status bar.
    """

    def __init__(
        self,
        profile: Profile,
        secrets: SecretStore,
        tokens: TokenSet | None,
        *,
        now: Callable[[], float] = time.time,
        mint_interval: float = MINT_INTERVAL,
        refresh_margin: float = REFRESH_MARGIN,
        transport: httpx.AsyncBaseTransport | None = None,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.profile = profile
        self._secrets = secrets
        self.tokens = tokens
        self._now = now
        self._mint_interval = mint_interval
        self._margin = refresh_margin
        self._transport = transport
        self._lock = asyncio.Lock()
        self.on_change = on_change
        self.save_problem: str = ""
        self.mints = 0

    @classmethod
    def load(cls, profile: Profile, secrets: SecretStore, **kw: Any) -> OAuthToken:
        """The sign-in saved for `profile` (tokens None when there is none)."""
        saved = secrets.get(profile.tokens_key)
        return cls(profile, secrets, TokenSet.loads(saved) if saved else None, **kw)

    # -- TokenSource ------------------------------------------------------------------------

    async def access_token(self) -> str:
        fresh = self.fresh_token()
        if fresh is not None:
            return fresh
        async with self._lock:
            tokens = self._require()
            since_mint = self._now() - tokens.minted_at
            if tokens.expires_at - self._now() > self._margin:
                return tokens.access_token
            if since_mint < self._mint_interval and tokens.expires_at > self._now():
                return tokens.access_token  # still valid: do not mint twice in a minute
            return (await self._refresh(tokens)).access_token

    def fresh_token(self) -> str | None:
        tokens = self.tokens  # one read: a refresh on another thread replaces it whole
        if tokens is not None and tokens.expires_at - self._now() > self._margin:
            return tokens.access_token
        return None

    async def refresh_after_rejection(self, rejected: str) -> bool:
        async with self._lock:
            tokens = self._require()
            if tokens.access_token != rejected:
                return True  # someone else refreshed meanwhile: try the newer token
            await self._refresh(tokens)
            return True

    # -- sign-in state ----------------------------------------------------------------------

    def replace(self, tokens: TokenSet) -> None:
        """A fresh sign-in: keep and save `tokens`."""
        self.tokens = tokens
        self._save(tokens)
        self.on_change()

    def forget(self) -> None:
        """Sign out: the tokens leave memory and the store."""
        self.tokens = None
        try:
            self._secrets.delete(self.profile.tokens_key)
        except SecretStoreError as exc:
            self.save_problem = str(exc)
        self.on_change()

    def health(self) -> str:
        """A few words for the status bar: how the sign-in stands."""
        if self.tokens is None:
            return "Sign in again"
        left = self.tokens.expires_at - self._now()
        if left <= 0:
            return "token expired; refreshing on next use"
        if self.save_problem:
            return f"signed in (not saved: {self.save_problem})"
        return f"token valid {int(left // 60)} min"

    # -- internals --------------------------------------------------------------------------

    def _require(self) -> TokenSet:
        if self.tokens is None:
            raise e.SignInRequired(f"Sign in to {self.profile.name} again.")
        return self.tokens

    async def _refresh(self, tokens: TokenSet) -> TokenSet:
        wait = tokens.minted_at + self._mint_interval - self._now()
        if wait > 0:
            raise e.RateLimited(
                f"Signed in less than a minute ago; refreshing the sign-in in {wait:.0f} s.",
                status=429,
                retry_after=wait,
            )
        secret = self._secrets.get(self.profile.secret_key)
        if not secret:
            self._lose("The client secret of this profile is missing: enter it and sign in.")
        try:
            fresh = await request_tokens(
                self.profile,
                secret,
                {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token},
                now=self._now,
                transport=self._transport,
            )
        except e.SignInRequired as exc:
            self._lose(exc.message)
        self.mints += 1
        self.tokens = fresh
        self._save(fresh)  # the old refresh token no longer works: keep the new one at once
        log.info("access token refreshed for profile %s", self.profile.id)
        self.on_change()
        return fresh

    def _lose(self, message: str) -> NoReturn:
        self.forget()
        raise e.SignInRequired(message)

    def _save(self, tokens: TokenSet) -> None:
        try:
            self._secrets.set(self.profile.tokens_key, tokens.dumps())
            self.save_problem = ""
        except SecretStoreError as exc:
            self.save_problem = str(exc)
            log.warning("the new sign-in could not be saved: %s", exc)
