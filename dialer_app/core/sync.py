"""The sync worker: drains the outbox to Outreach, in order, without losing or doubling a call.

For each due call:
- if its last POST's fate is unknown (timeout, dropped connection, 5xx other than 503, a sender
  that died), first look for it among the prospect's recent calls in Outreach, matched on
  `vendorCallId`; only when it is not there is it posted again;
- 422 and other refusals park it as "needs attention" with Outreach's messages per field;
- 401 holds the queue until the rep signs in again (`resume()`);
- 429 waits for `X-RateLimit-Reset` / `Retry-After`; 5xx and network failures back off
  exponentially with full jitter, capped;
- when Outreach reports the hourly budget down to the reserve (`RateReserve`), sending waits for
  the reset so that the rep's lookups keep working.

Right before each POST the worker confirms (and renews) its claim on the call: a call another
sender took back in the meantime is left to that sender. This holds as long as the outbox's
claim lease outlasts one POST (the client's timeout): 120 s against 10 s in the app.

A delivered call whose follow-up is pending (the rep's setting "mark the call task complete")
then gets its task completed: the task is read first and completed only when still open, so
a crash between `markComplete` and recording it never completes it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from .outbox import Entry, Outbox
from .outreach import errors as e
from .outreach.client import OutreachClient, RateBudget


@dataclass(frozen=True, slots=True)
class Backoff:
    """Full-jitter exponential backoff: uniform(floor, min(cap, base·2^(attempt-1)))."""

    base: float = 1.0
    cap: float = 300.0
    floor: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        return rng.uniform(min(self.floor, ceiling), ceiling)


@dataclass(frozen=True, slots=True)
class RateReserve:
    """Requests of the hourly budget kept for the rep's lookups: once Outreach reports no more
    than `keep` left, the outbox waits for the budget's reset instead of spending them."""

    keep: int = 100

    def wait(self, budget: RateBudget, now: float) -> float | None:
        """Seconds to hold sending, or None to go on."""
        if budget.remaining is None or budget.remaining > self.keep or budget.reset_at is None:
            return None
        left = budget.reset_at.timestamp() - now
        return left if left > 0 else None


BATCH = 20  # calls claimed per durable transaction


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
    except PermissionError:
        return True
    return True


class SyncWorker:
    """Sends outbox entries through an OutreachClient. `run()` until cancelled."""

    def __init__(
        self,
        outbox: Outbox,
        client: Callable[[], OutreachClient | None],
        *,
        owner: str,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        on_change: Callable[[], None] = lambda: None,
        on_sent: Callable[[Entry, int], None] = lambda entry, outreach_id: None,
        on_parked: Callable[[Entry], None] = lambda entry: None,
        clock: Callable[[], float] = time.time,
        reserve: RateReserve | None = None,
    ) -> None:
        self._outbox = outbox
        self._client = client
        self._owner = owner
        self._backoff = backoff or Backoff()
        self._rng = rng or random.Random()
        self._on_change = on_change
        self._on_sent = on_sent
        self._on_parked = on_parked
        self._clock = clock
        self._reserve = reserve or RateReserve()
        self.saving_budget_for: float | None = None  # seconds, while lookups get the budget
        self._wake = asyncio.Event()
        self.held: str | None = None
        self.last_error: str = ""
        self._claimed: list[Entry] = []

    def wake(self) -> None:
        """Something changed (a call was logged, the rep pressed retry): look again now."""
        self._wake.set()

    def resume(self) -> None:
        """The rep signed in again: release a held queue."""
        self.held = None
        self.wake()

    async def run(self) -> None:
        self._outbox.recover_orphans(owner_alive)
        try:
            while True:
                sent_any = False
                while self.held is None and (
                    await self.send_next() or await self.complete_next_task()
                ):
                    sent_any = True
                if sent_any:
                    self._on_change()
                wait = None if self.held else self._outbox.next_due_in()
                if self.saving_budget_for is not None and wait is not None:
                    wait = max(wait, self.saving_budget_for)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=wait)
        finally:
            self._give_back()

    async def send_next(self) -> bool:
        """Send the next due call; False when none is due or no client is available."""
        client = self._client()
        if client is None or self.held is not None:
            self._give_back()
            return False
        was_saving = self.saving_budget_for is not None
        self.saving_budget_for = self._reserve.wait(client.budget, self._clock())
        if (self.saving_budget_for is not None) != was_saving:
            self._on_change()  # the rep sees why calls wait, and when that ends
        if self.saving_budget_for is not None:
            self._give_back()  # the calls wait; the rep's lookups keep the last requests
            return False
        if not self._claimed:
            self._claimed = self._outbox.claim_batch(self._owner, BATCH)
            if not self._claimed:
                return False
            self._on_change()
        entry = self._claimed.pop(0)
        await self._deliver(client, entry)
        if self.held is not None or self._outbox.state_of(entry.id) == "waiting":
            self._give_back()  # held, or it must be retried: the calls behind it wait too
        self._on_change()
        return True

    def _give_back(self) -> None:
        """Return claimed calls not yet attempted; the one in flight (if any) is uncertain."""
        claimed, self._claimed = self._claimed, []
        if claimed:
            self._outbox.unclaim([e.id for e in claimed])
        self._outbox.release_claims(self._owner)

    async def _deliver(self, client: OutreachClient, entry: Entry) -> None:
        try:
            if entry.uncertain and await self._already_there(client, entry):
                return
            if not self._outbox.confirm_claim(entry.id, self._owner):
                return  # taken back by another sender while this one was busy: theirs now
            created = await client.create_call(entry.call)
        except e.ValidationFailed as err:
            self._park(entry, err.message, err)
        except e.Unauthorized as err:
            self.held = err.message
            self._outbox.mark_retry(entry.id, delay=0, error=err.message)
        except e.RateLimited as err:
            self._outbox.mark_retry(entry.id, delay=self._rate_wait(err), error=err.message)
        except (e.Forbidden, e.NotFound, e.UnsupportedMediaType) as err:
            self._park(entry, err.message, err)
        except e.ServerError as err:
            uncertain = err.status != 503 or entry.uncertain
            delay = err.retry_after or self._backoff.delay(entry.attempts, self._rng)
            self._outbox.mark_retry(entry.id, delay=delay, error=err.message, uncertain=uncertain)
        except e.HttpError as err:
            self._park(entry, err.message, err)
        except e.OutreachError as err:
            # Connect failures never left the machine; anything else may have been processed.
            fate_unknown = not isinstance(err, e.ConnectError) or isinstance(
                err, e.ConnectionDropped
            )
            self.last_error = err.message
            self._outbox.mark_retry(
                entry.id,
                delay=self._backoff.delay(entry.attempts, self._rng),
                error=err.message,
                uncertain=fate_unknown or entry.uncertain,
            )
        except BaseException:
            self._give_back()
            raise
        else:
            self.last_error = ""
            self._sent(entry, created.id)

    async def complete_next_task(self) -> bool:
        """Mark the next delivered call's task complete; False when none is due."""
        client = self._client()
        if client is None or self.held is not None:
            return False
        if self._reserve.wait(client.budget, self._clock()) is not None:
            return False
        entry = self._outbox.claim_task(self._owner)
        if entry is None or entry.task_id is None:
            return False
        try:
            if await client.task_state(entry.task_id) != "complete":
                if not self._outbox.confirm_claim(entry.id, self._owner):
                    return True  # another sender took it over meanwhile: theirs now
                await client.mark_task_complete(entry.task_id, entry.task_action)
        except e.Unauthorized as err:
            self.held = err.message
            self._outbox.mark_task_retry(entry.id, delay=0, error=err.message)
        except e.RateLimited as err:
            self._outbox.mark_task_retry(entry.id, delay=self._rate_wait(err), error=err.message)
        except e.ServerError as err:
            delay = err.retry_after or self._backoff.delay(entry.task_attempts, self._rng)
            self._outbox.mark_task_retry(entry.id, delay=delay, error=err.message)
        except e.HttpError as err:  # the task is gone, or not ours to complete
            self._outbox.mark_task_failed(entry.id, err.message)
        except e.OutreachError as err:
            delay = self._backoff.delay(entry.task_attempts, self._rng)
            self._outbox.mark_task_retry(entry.id, delay=delay, error=err.message)
        except BaseException:
            self._outbox.release_claims(self._owner)
            raise
        else:
            self._outbox.mark_task_done(entry.id)
        self._on_change()
        return True

    def _sent(self, entry: Entry, outreach_id: int) -> None:
        self._outbox.mark_sent(entry.id, outreach_id)
        self._on_sent(entry, outreach_id)

    def _park(self, entry: Entry, message: str, err: e.HttpError) -> None:
        field_errors = err.field_errors if isinstance(err, e.ValidationFailed) else []
        self._outbox.mark_attention(entry.id, message, field_errors)
        self._on_parked(self._outbox.get(entry.id))

    async def _already_there(self, client: OutreachClient, entry: Entry) -> bool:
        """Whether Outreach already has this call (matched on vendorCallId)."""
        if entry.prospect_id is None:
            return False
        for call in await client.calls_of_prospect(entry.prospect_id, limit=100):
            if call.attributes.vendorCallId == entry.vendor_call_id:
                self._sent(entry, call.id)
                return True
        return False

    def _rate_wait(self, err: e.RateLimited) -> float:
        if err.reset_at is not None:
            return max(1.0, err.reset_at.timestamp() - self._clock())
        if err.retry_after is not None:
            return max(1.0, err.retry_after)
        return 60.0
