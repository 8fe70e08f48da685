"""The sync worker: drains the outbox to Outreach, in order, without losing or doubling a write.

Each due operation is sent by its kind (`core.outbox.kinds`: a call, a task completion, …):
- if a write of it may have been stored (a timeout, a dropped connection, a 5xx other than 503,
  an answer that could not be read, a sender that died mid-write), first look for it in
  Outreach (a call among the prospect's recent calls, matched on `vendorCallId`) — and keep
  looking over a window counted from that write (`CHECK_WINDOW`: 2, 10, 30 and 60 s), because
  Outreach's reads may lag its writes. Only when the whole window has passed without it is it
  sent again (a kind whose write is harmless to repeat is sent again at once; one that must be
  looked for before every send is);
- 422 and other refusals park it as "needs attention" with Outreach's messages per field;
- 401 holds the queue until the rep signs in again (`resume()`);
- anything that may pass (429, 5xx, the network, an unreadable answer) waits what
  `retry.send_policy` decides: at least the exponential backoff of the attempt, what Outreach
  asked for (`Retry-After`, `X-RateLimit-Reset`) when it asked for more, never more than the
  ceiling (15 min). The wait is measured on a monotonic clock (`Outbox`). While it runs nothing
  else is sent either: the queue is in order, and a failing server sees one request at a time,
  ever fewer;
- while Outreach answers every request and its budget (known from its first answer) has them
  to spare above the reserve, up to `LANES` operations of a kind that may go `together`
  (logged calls) are in flight at once, each its own POST: the next one's request goes out
  while Outreach stores the one before, so a backlog drains up to that many times as fast
  across a network. They are claimed together, so none needs another (a claim stops before one
  that waits for a claimed one). The first failure since Outreach last answered cleanly sends
  one at a time again, in order, until one goes through; one whose request had not left when
  the other's failure came back is given back and waits with it. Answers may come back in any
  order: the budget kept is the lowest of its window (`RateBudget`), and a wait Outreach asked
  for is never cut short by the other lane's shorter one;
- when Outreach reports the hourly budget down to the reserve (`RateReserve`), sending waits for
  the reset so that the rep's lookups keep working.

Right before each write the worker confirms (and renews) its claim and notes the write's
time: an operation another sender took back in the meantime is left to that sender. This holds
as long as the outbox's claim lease outlasts one write (the client's deadline covers a whole
exchange): 120 s against 10 s in the app. An operation that needs others goes once they are
delivered, with what they gave (`given`).

The worker cannot die: `run()` supervises its loop. An unexpected exception is logged with its
traceback, told through `on_problem` in plain words, and the loop starts again after a pause
that grows while the crashes repeat. The operation in flight when it happened is looked up
before any resend; one that crashes the sender `CRASH_LIMIT` times is parked as needing
attention so that the ones behind it go on.

Every decision is logged at INFO — sent (with Outreach's id), found already there, looked for
and not found yet, retried and why, parked and why, held — by kind, row and the start of its
`ref` (a call's `vendorCallId`); never a note or a number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import socket
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .outbox import Entry, Kind, Queue
from .outbox.kinds import Given
from .outbox.queue import OutboxError, tag
from .outreach import errors as e
from .outreach.client import OutreachClient, RateBudget
from .outreach.headers import RESET_CEILING, RETRY_CEILING
from .outreach.retry import Backoff, Policy, fate_unknown, send_policy

__all__ = ["CHECK_WINDOW", "Backoff", "RateReserve", "SyncWorker", "owner_alive", "sender_id"]

log = logging.getLogger(__name__)

CHECK_WINDOW = (2.0, 10.0, 30.0, 60.0)  # seconds after an uncertain POST to look for the call
CRASH_LIMIT = 3  # crashes with the same call in flight before it is set aside
CRASH_PAUSE_CAP = 60.0
EARLY = 0.05  # a look this close to its time counts as on time
BATCH = 20  # calls claimed per durable transaction
LANES = 2  # operations in flight at once while Outreach answers each (kinds that go together)


@dataclass(frozen=True, slots=True)
class RateReserve:
    """Requests of the hourly budget kept for the rep's lookups: once Outreach reports no more
    than `keep` left, the outbox waits for the budget's reset instead of spending them."""

    keep: int = 100
    ceiling: float = RESET_CEILING  # the budget is hourly: a later reset is not believed

    def wait(self, budget: RateBudget, now: float) -> float | None:
        """Seconds to hold sending (at most the ceiling), or None to go on."""
        if budget.remaining is None or budget.remaining > self.keep or budget.reset_at is None:
            return None
        left = budget.reset_at.timestamp() - now
        return min(left, self.ceiling) if left > 0 else None


def sender_id() -> str:
    """An owner id for claims: this machine, this process, this run."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_alive(owner: str) -> bool:
    """Whether the sender that wrote `owner` may still be running (unknown → assume it is)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or os.name != "posix":
        return True  # not ours to judge: the claim's lease will expire instead
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True
    return True


class SyncWorker:
    """Sends outbox operations through an OutreachClient. `run()` until cancelled.

    `clock` is wall time (budget resets); `monotonic` measures the worker's own pauses (by
    default `time.monotonic`, or `clock` when a test gives a clock of its own). `checks` is the
    look-up window after an uncertain POST. `on_problem(text)` tells, in plain words, that the
    sender met an unexpected error and restarted ('' once it runs cleanly again). `on_pause()`
    is called each time the worker has nothing to send for now and is about to wait: whoever
    gathers what it says tells it now.
    """

    def __init__(
        self,
        outbox: Queue,
        client: Callable[[], OutreachClient | None],
        *,
        owner: str,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        on_change: Callable[[], None] = lambda: None,
        on_sent: Callable[[Entry, int], None] = lambda entry, outreach_id: None,
        on_parked: Callable[[Entry], None] = lambda entry: None,
        on_problem: Callable[[str], None] = lambda text: None,
        on_pause: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] | None = None,
        reserve: RateReserve | None = None,
        checks: Sequence[float] = CHECK_WINDOW,
        policy: Policy | None = None,
        ceiling: float = RETRY_CEILING,
        crash_limit: int = CRASH_LIMIT,
        crash_pause: float = 1.0,
        lanes: int = LANES,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._owner = owner
        self._rng = rng or random.Random()
        self._backoff = backoff or Backoff()
        self._policy = policy or send_policy(
            self._backoff, rng=self._rng, clock=clock, ceiling=ceiling
        )
        self._ceiling = ceiling
        self._on_change_cb = on_change
        self._on_sent = on_sent
        self._on_parked = on_parked
        self._on_problem = on_problem
        self._on_pause = on_pause
        self._clock = clock
        self._monotonic = monotonic or (time.monotonic if clock is time.time else clock)
        self._reserve = reserve or RateReserve()
        window = sorted(c for c in checks if math.isfinite(c) and c >= 0)
        self._checks = tuple(window) or (0.0,)
        self._crash_limit = max(1, crash_limit)
        self._crash_pause = crash_pause
        self._lanes = max(1, lanes)
        self.saving_budget_for: float | None = None  # seconds, while lookups get the budget
        self._wake = asyncio.Event()
        self.held: str | None = None
        self.last_error: str = ""
        self.problem: str = ""  # the last unexpected error, in plain words ('' when running)
        self.crashes = 0  # unexpected errors survived since start
        self._claimed: list[Entry] = []
        self._quiet_until: float | None = None  # monotonic: nothing is sent before
        self._in_flight: dict[int, Entry] = {}  # by id: what is being sent right now
        self._crashes_of: dict[int, int] = {}
        self._crashes_in_a_row = 0
        self._failures_in_a_row = 0  # retryable failures since the server last succeeded

    # -- commands ---------------------------------------------------------------------------

    def wake(self) -> None:
        """Something changed (a call was logged, the rep pressed retry): look again now."""
        self._quiet_until = None
        self._wake.set()

    def resume(self) -> None:
        """The rep signed in again: release a held queue."""
        self.held = None
        self.wake()

    # -- the supervised loop ----------------------------------------------------------------

    async def run(self) -> None:
        """Send until cancelled; an unexpected error restarts the loop, it never ends it."""
        try:
            while True:
                try:
                    await self._loop()
                except Exception as exc:
                    await self._pause(self._crashed(exc))
        finally:
            with contextlib.suppress(Exception):
                self._give_back()

    async def _loop(self) -> None:
        recovered = self._outbox.recover_orphans(owner_alive)
        if recovered:
            log.info("%d write(s) of a sender that stopped will be looked up first", recovered)
        while True:
            self._wake.clear()
            wait = await self.step()
            self._ran_cleanly()
            await self._pause(wait)

    async def _pause(self, seconds: float | None) -> None:
        self._notify(self._on_pause)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    async def step(self) -> float | None:
        """Send while something is due; then the seconds until something may be due again, or
        None when nothing waits (or the queue is held)."""
        sent_any = False
        while self.held is None and await self.send_next():
            sent_any = True
        if sent_any:
            self._changed()
        if self.held is not None:
            return None
        wait = self._outbox.next_due_in()
        if wait is None:
            return None
        for hold in (self.saving_budget_for, self._quiet_left()):
            if hold is not None:
                wait = max(wait, hold)
        return wait

    def _crashed(self, exc: Exception) -> float:
        """Log and tell an unexpected error, set aside what keeps causing it; the pause."""
        self.crashes += 1
        self._crashes_in_a_row += 1
        log.error("the sender stopped on an unexpected error; starting it again", exc_info=exc)
        set_aside = ""
        in_flight, self._in_flight = list(self._in_flight.values()), {}
        for entry in in_flight if not isinstance(exc, OutboxError) else []:
            self._crashes_of[entry.id] = self._crashes_of.get(entry.id, 0) + 1
            if self._crashes_of[entry.id] >= self._crash_limit:
                set_aside += self._set_aside(entry, exc)
        try:
            self._give_back()
        except Exception:
            log.warning("the claims could not be given back; their lease will expire")
        if isinstance(exc, OutboxError):
            self.problem = f"Sending is paused: {exc}"
        else:
            self.problem = (
                f"Sending stopped on an unexpected error ({type(exc).__name__}) and started"
                " again; the details are in the log." + set_aside
            )
        self._notify(self._on_problem, self.problem)
        self._changed()
        doubling = 2.0 ** min(self._crashes_in_a_row - 1, 10)
        return min(CRASH_PAUSE_CAP, self._crash_pause * doubling)

    def _set_aside(self, entry: Entry, exc: Exception) -> str:
        reason = (
            f"The app failed {self._crash_limit} times while sending this"
            f" ({type(exc).__name__}); it is set aside so the calls behind it can go."
        )
        self._crashes_of.pop(entry.id, None)
        # It may have been sent before the crash: a resend looks for it first.
        self._outbox.mark_attention(
            entry.id, reason + " Resend it, or discard it.", [], uncertain=True
        )
        log.warning("%s parked, needs attention: %s", tag(entry), reason)
        self._notify(self._on_parked, self._outbox.get(entry.id))
        what = (
            self._outbox.kinds[entry.kind].label.lower()
            if entry.kind in self._outbox.kinds
            else entry.kind
        )
        article = "An" if what[:1] in "aeiou" else "A"
        return f" {article} {what} that kept failing is set aside ({entry.summary or tag(entry)})."

    def _ran_cleanly(self) -> None:
        self._crashes_in_a_row = 0
        if self.problem:
            self.problem = ""
            self._notify(self._on_problem, "")

    def _notify(self, callback: Callable[..., None], *args: object) -> None:
        """Tell a listener; a listener that fails is logged, never the sender's end."""
        try:
            callback(*args)
        except Exception:
            log.exception("a listener of the sender failed")

    def _changed(self) -> None:
        self._notify(self._on_change_cb)

    # -- sending ----------------------------------------------------------------------------

    async def send_next(self) -> bool:
        """Send the next due operation; False when none is due or no client is available."""
        client = self._client()
        if client is None or self.held is not None or self._quiet_left() is not None:
            self._give_back()
            return False
        was_saving = self.saving_budget_for is not None
        self.saving_budget_for = self._reserve.wait(client.budget, self._clock())
        if (self.saving_budget_for is not None) != was_saving:
            self._changed()  # the rep sees why calls wait, and when that ends
            if self.saving_budget_for is not None:
                log.info(
                    "sending waits %.0f s for the request budget to reset (lookups first)",
                    self.saving_budget_for,
                )
        if self.saving_budget_for is not None:
            self._give_back()  # writes wait; the rep's lookups keep the last requests
            return False
        if not self._claimed:
            self._claimed = self._outbox.claim_batch(self._owner, BATCH)
            if not self._claimed:
                return False
            self._changed()
        lane = [self._claimed.pop(0)]
        while len(lane) < self._lanes and self._claimed and self._goes_together(lane, client):
            lane.append(self._claimed.pop(0))
        if len(lane) == 1:
            await self._deliver(client, lane[0])
        else:
            await self._deliver_together(client, lane)
        if self.held is not None or any(self._outbox.state_of(e.id) == "waiting" for e in lane):
            self._give_back()  # held, or it must be retried: the ones behind it wait too
        self._changed()
        return True

    def _goes_together(self, lane: list[Entry], client: OutreachClient) -> bool:
        """Whether the next claimed operation may be sent alongside those of `lane`: Outreach
        answered the last request cleanly, the budget has a request to spare above what is kept
        for lookups, and all of them are of kinds that go together and plain writes (none to be
        looked for first)."""
        if self._failures_in_a_row:
            return False
        left = client.budget.remaining  # unknown before Outreach's first answer: one goes
        if left is None or left - len(lane) <= self._reserve.keep:
            return False
        for entry in (*lane, self._claimed[0]):
            kind = self._outbox.kinds.get(entry.kind)
            if kind is None or not kind.together or kind.look_first or entry.uncertain:
                return False
        return True

    async def _deliver_together(self, client: OutreachClient, lane: list[Entry]) -> None:
        """Each of `lane` delivered at once. Every one has ended (sent, waiting, parked) before
        an error is raised: a crash of one's own before the outbox's (which counts nobody),
        each other one logged with its traceback; only those that crashed stay in flight, to
        be counted as such (`_crashed`)."""
        ended = await asyncio.gather(
            *(self._deliver(client, entry) for entry in lane), return_exceptions=True
        )
        failed = [(e, x) for e, x in zip(lane, ended, strict=True) if isinstance(x, BaseException)]
        if not failed:
            return
        for _entry, exc in failed:
            if not isinstance(exc, Exception):
                raise exc  # cancelled (the sender stops), or the process is ending
        crashed = [(e, x) for e, x in failed if not isinstance(x, OutboxError)]
        for entry in lane:
            if all(entry is not e for e, _x in crashed):
                self._in_flight.pop(entry.id, None)
        raised = (crashed or failed)[0][1]
        for entry, exc in failed:
            if exc is not raised:  # `_crashed` logs the one raised
                log.error("%s: the sender failed on it too", tag(entry), exc_info=exc)
        raise raised

    def _give_back(self) -> None:
        """Return claimed operations not yet attempted; the one in flight (if any) is
        uncertain."""
        claimed, self._claimed = self._claimed, []
        if claimed:
            self._outbox.unclaim([c.id for c in claimed])
        self._outbox.release_claims(self._owner)

    async def _deliver(self, client: OutreachClient, entry: Entry) -> None:
        if self.held is not None or self._quiet_left() is not None:
            # The other lane met a failure before this one's request left: it waits with it.
            log.info("%s waits: Outreach failed the one sent with it; given back", tag(entry))
            self._outbox.unclaim([entry.id])
            return
        kind = self._outbox.kinds[entry.kind]
        given = self._outbox.given(entry)
        if any(op.state != "sent" for op in given.values()) or len(given) < len(entry.needs):
            log.info("%s waits for what it needs; given back", tag(entry))
            self._outbox.unclaim([entry.id])  # claiming makes sure of it: never expected
            return
        self._in_flight[entry.id] = entry
        posted = False
        try:
            looks = (entry.uncertain and not kind.idempotent) or kind.look_first
            if looks and await self._look(client, kind, entry, given):
                self._in_flight.pop(entry.id, None)
                return
            if not self._outbox.confirm_claim(entry.id, self._owner, posting=True):
                log.info("%s: taken over by another sender; left to it", tag(entry))
                self._in_flight.pop(entry.id, None)
                return  # taken back by another sender while this one was busy: theirs now
            posted = True
            delivered = await kind.send(client, entry, given)
        except e.OutreachError as err:
            self._failed(entry, err, posted)
        else:
            self._sent(entry, delivered.outreach_id)
            log.info("%s sent: %s", tag(entry), _gave(entry, delivered.outreach_id))
        self._in_flight.pop(entry.id, None)
        self._crashes_of.pop(entry.id, None)

    async def _look(
        self, client: OutreachClient, kind: Kind[Any], entry: Entry, given: Given
    ) -> bool:
        """Look for it in Outreach. True when that settled it for now: found (now sent), or
        not found while the window after an uncertain write is still open (looked for again
        later)."""
        found = await kind.look(client, entry, given)
        if found is not None:
            self._sent(entry, found.outreach_id)
            log.info(
                "%s was already in Outreach (%s): not sent again",
                tag(entry),
                _gave(entry, found.outreach_id),
            )
            return True
        if not entry.uncertain:
            return False  # looked first as its kind asks: not there, so it goes now
        since = self._outbox.since_posted(entry)
        later = next((c for c in self._checks if c > since + EARLY), None)
        if later is None:
            log.info(
                "%s is not in Outreach %s; sending it again",
                tag(entry),
                "after a whole look-up window" if math.isfinite(since) else "(looked up once)",
            )
            return False
        delay = later - since
        self._outbox.mark_checking(
            entry.id,
            delay=delay,
            note=(
                f"Checking whether Outreach got it: not found there {since:.0f} s after"
                f" sending; looking again in {delay:.0f} s before any resend."
            ),
        )
        log.info(
            "%s not in Outreach yet %.0f s after it was sent; looking again in %.0f s",
            tag(entry),
            since,
            delay,
        )
        return True

    def _failed(self, entry: Entry, err: e.OutreachError, posted: bool) -> None:
        """An attempt failed with `err`: hold, retry (maybe uncertain), or park."""
        self.last_error = err.message
        decision = self._policy(err, max(1, entry.attempts))
        if isinstance(err, e.Unauthorized):
            self.held = err.message
            self._outbox.mark_retry(entry.id, delay=0, error=err.message)
            log.info("%s waits: the queue is held until the rep signs in again", tag(entry))
            return
        if not decision.retry:
            self._park(entry, err)
            return
        uncertain = fate_unknown(err) if posted else entry.uncertain
        delay = decision.delay
        if posted and uncertain:
            delay = max(delay, self._checks[0])  # the first look comes after the first step
        elif uncertain:  # a look that failed: the next one keeps to the window's steps
            since = self._outbox.since_posted(entry)
            later = next((c for c in self._checks if c > since + EARLY), None)
            if later is not None:
                delay = max(delay, later - since)
        self._outbox.mark_retry(entry.id, delay=delay, error=err.message, uncertain=uncertain)
        self._quiet(delay)
        log.info(
            "%s %s in %.1f s (attempt %d, %s): %s",
            tag(entry),
            "looked up" if uncertain else "retried",
            delay,
            entry.attempts,
            decision.reason,
            err.message,
        )

    def _sent(self, entry: Entry, outreach_id: int | None) -> None:
        self._outbox.mark_sent(entry.id, outreach_id)
        self._failures_in_a_row = 0
        self.last_error = ""
        self._notify(self._on_sent, entry, outreach_id)

    def _park(self, entry: Entry, err: e.OutreachError) -> None:
        field_errors = err.field_errors if isinstance(err, e.ValidationFailed) else []
        self._outbox.mark_attention(entry.id, err.message, field_errors)
        log.info("%s parked, needs attention: %s", tag(entry), err.message)
        self._notify(self._on_parked, self._outbox.get(entry.id))

    # -- pauses -----------------------------------------------------------------------------

    def _quiet(self, seconds: float) -> None:
        """Send nothing for `seconds` — or longer, as the server's failures pile up (whichever
        operation met them): a failing server is asked one thing at a time, ever less often,
        however many wait."""
        self._failures_in_a_row += 1
        growing = self._backoff.delay(self._failures_in_a_row, self._rng)
        until = self._monotonic() + min(max(seconds, growing), self._ceiling)
        if self._quiet_until is None or until > self._quiet_until:  # the other lane's may be
            self._quiet_until = until  # longer (Outreach asked for it): never cut short

    def _quiet_left(self) -> float | None:
        if self._quiet_until is None:
            return None
        left = self._quiet_until - self._monotonic()
        if left <= 0:
            self._quiet_until = None
            return None
        return left


def _gave(entry: Entry, outreach_id: int | None) -> str:
    """What Outreach gave, for the log: "Outreach call 4242"."""
    if outreach_id is None:
        return "done"
    return f"Outreach call {outreach_id}" if entry.kind == "call" else f"Outreach id {outreach_id}"
