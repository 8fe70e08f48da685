"""Retry decisions: one vocabulary for the client's reads and the sender's calls.

A policy is a function `(error, attempt) → Decision` (attempt 1 is the first try that failed).
Small ones each know one kind of failure and are chained, first "retry" wins:

    reads = Chain(RetryRateLimited(...), RetryServerErrors(...), RetryTransport(...))

- `RetryRateLimited` (429): wait for `X-RateLimit-Reset`, else `Retry-After`, else a minute;
- `RetryServerErrors` (5xx, 408, 425): wait what `Retry-After` says (seconds or an HTTP date),
  else back off;
- `RetryTransport` (refused, dropped, timed out, TLS): back off;
- `RetryUnreadable` (an answer that cannot be read): back off — for a POST whose fate it hides.

Every wait is at least the exponential backoff of that attempt (so a server answering
`Retry-After: 0` still sees fewer and fewer requests) and at most `ceiling`; a policy with
`max_wait` gives up instead of waiting longer (a lookup the rep is waiting for). The server's own
waits arrive already clamped (`headers.py`); here they are clamped again, NaN included.

`fate_unknown(error)` says whether a failed POST may still have been stored by Outreach.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import errors as e
from .headers import RETRY_AFTER_FLOOR, RETRY_CEILING, clamp


@dataclass(frozen=True, slots=True)
class Decision:
    """Retry or not; if so, after `delay` seconds; `reason` says why, for the log."""

    retry: bool
    delay: float = 0.0
    reason: str = ""


GIVE_UP = Decision(False)
Policy = Callable[[e.OutreachError, int], Decision]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with equal jitter: uniform(step/2, step), step = min(cap,
    base·2^(attempt-1)), and never below `floor` (unless the step itself is). Half of each
    wait is certain, so the waits of a failing server's retries grow for sure — at most 8
    requests in its first minute with the sender's defaults — and half is random, so many
    apps do not come back at once."""

    base: float = 1.0
    cap: float = 300.0
    floor: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        exponent = min(max(0, attempt - 1), 60)  # 2**60 s is past any cap already
        step = min(self.cap, self.base * 2**exponent)
        return rng.uniform(max(min(self.floor, step), step / 2), step)


def no_retry(error: e.OutreachError, attempt: int) -> Decision:
    """Never retry (a POST inside the client: whoever sends a call decides)."""
    return GIVE_UP


NO_RETRY: Policy = no_retry


@dataclass(frozen=True, slots=True)
class _Kind:
    """What every small policy shares: attempts, backoff, bounds and the dice."""

    backoff: Backoff = field(default_factory=Backoff)
    attempts: int | None = None  # tries in all, the first included; None: no limit
    max_wait: float | None = None  # give up rather than wait longer; None: clamp to ceiling
    ceiling: float = RETRY_CEILING
    rng: random.Random = field(default_factory=random.Random)

    def _decide(self, attempt: int, server_wait: float | None, reason: str) -> Decision:
        if self.attempts is not None and attempt >= self.attempts:
            return GIVE_UP
        wait = self.backoff.delay(attempt, self.rng)
        if server_wait is not None:
            wait = max(wait, clamp(server_wait, RETRY_AFTER_FLOOR, self.ceiling))
        wait = clamp(wait, 0.0, self.ceiling)
        if self.max_wait is not None and wait > self.max_wait:
            return GIVE_UP
        return Decision(True, wait, reason)


AGAIN_LATER = (408, 425)  # Request Timeout, Too Early: refusals that ask to try again


@dataclass(frozen=True, slots=True)
class RetryServerErrors(_Kind):
    """5xx (Outreach failed or is in maintenance), 408 and 425: honour its `Retry-After`."""

    def __call__(self, error: e.OutreachError, attempt: int) -> Decision:
        if not isinstance(error, e.HttpError):
            return GIVE_UP
        if not (isinstance(error, e.ServerError) and error.status < 600) and (
            error.status not in AGAIN_LATER
        ):
            return GIVE_UP
        return self._decide(attempt, error.retry_after, f"server error {error.status}")


@dataclass(frozen=True, slots=True)
class RetryRateLimited(_Kind):
    """429: wait until the budget resets (`X-RateLimit-Reset`) and at least what `Retry-After`
    asks (a reset already past asks nothing); neither said: 60 s."""

    clock: Callable[[], float] = time.time
    unknown_wait: float = 60.0

    def __call__(self, error: e.OutreachError, attempt: int) -> Decision:
        if not isinstance(error, e.RateLimited):
            return GIVE_UP
        asked = [
            *([error.reset_at.timestamp() - self.clock()] if error.reset_at is not None else []),
            *([error.retry_after] if error.retry_after is not None else []),
        ]
        wait = max(asked) if asked else self.unknown_wait
        return self._decide(attempt, wait, "request limit reached")


@dataclass(frozen=True, slots=True)
class RetryTransport(_Kind):
    """The network failed: refused, dropped, timed out, TLS."""

    def __call__(self, error: e.OutreachError, attempt: int) -> Decision:
        if not isinstance(error, e.TransportError):
            return GIVE_UP
        return self._decide(attempt, None, type(error).__name__)


@dataclass(frozen=True, slots=True)
class RetryUnreadable(_Kind):
    """An answer that could not be read (not JSON, too large, too deep)."""

    def __call__(self, error: e.OutreachError, attempt: int) -> Decision:
        if not isinstance(error, e.MalformedResponse) or isinstance(error, e.ForeignLink):
            return GIVE_UP
        return self._decide(attempt, None, "unreadable answer")


class Chain:
    """The first policy that retries decides; none → give up."""

    __slots__ = ("policies",)

    def __init__(self, *policies: Policy) -> None:
        self.policies = policies

    def __call__(self, error: e.OutreachError, attempt: int) -> Decision:
        for policy in self.policies:
            decision = policy(error, attempt)
            if decision.retry:
                return decision
        return GIVE_UP


READ_BACKOFF = Backoff(base=0.25, cap=4.0, floor=0.0)
READ_MAX_WAIT = 16.0  # a lookup the rep waits for: longer than this is an answer, not a wait


def read_policy(
    attempts: int = 3,
    *,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.time,
) -> Policy:
    """For idempotent reads: a few quick tries; a long wait is reported, not waited for."""
    dice = rng or random.Random()
    b, n, most = READ_BACKOFF, attempts, READ_MAX_WAIT
    return Chain(
        RetryRateLimited(backoff=b, attempts=n, max_wait=most, rng=dice, clock=clock),
        RetryServerErrors(backoff=b, attempts=n, max_wait=most, rng=dice),
        RetryTransport(backoff=b, attempts=n, max_wait=most, rng=dice),
    )


def send_policy(
    backoff: Backoff | None = None,
    *,
    rng: random.Random | None = None,
    clock: Callable[[], float] = time.time,
    ceiling: float = RETRY_CEILING,
) -> Policy:
    """For the sender: retry every failure that may pass, never waiting beyond `ceiling`.

    What no policy here retries — refusals (4xx), a 401 — the sender parks or holds.
    """
    dice = rng or random.Random()
    b = backoff or Backoff()
    return Chain(
        RetryRateLimited(backoff=b, ceiling=ceiling, rng=dice, clock=clock),
        RetryServerErrors(backoff=b, ceiling=ceiling, rng=dice),
        RetryTransport(backoff=b, ceiling=ceiling, rng=dice),
        RetryUnreadable(backoff=b, ceiling=ceiling, rng=dice),
    )


def fate_unknown(error: e.OutreachError) -> bool:
    """Whether a POST that failed this way may still have been stored by Outreach.

    Known not stored: refused before sending (connect, TLS), refused with a status that means
    unhandled (4xx, 429, 503 maintenance). Anything else — a timeout, a dropped connection,
    another 5xx, an answer that could not be read — may hide a stored call.
    """
    if isinstance(error, e.ConnectionDropped):
        return True
    if isinstance(error, e.ConnectError | e.TlsError):
        return False
    if isinstance(error, e.ServerError):
        return error.status != 503
    return not isinstance(error, e.HttpError | e.ForeignLink)


def finite_delay(seconds: float, ceiling: float = RETRY_CEILING) -> float:
    """A delay fit to store: finite, 0 to `ceiling` (NaN becomes the ceiling)."""
    return clamp(float(seconds), 0.0, ceiling)
