"""The outbox: every write the rep asks for is committed to SQLite before any network attempt,
then sent in order, once, by the sender (`core.sync`).

It holds *operations* of several kinds — a logged call, the completion of its call task, and
whatever else the app writes to Outreach — each with the same guarantees: durable before the rep
is told it is safe, one sender at a time (claims), a write of unknown fate looked for in Outreach
before it is ever sent again, refusals set aside with Outreach's messages per field for the rep
to fix and resend, and a sender that survives anything an operation does. An operation may wait
for others (`Step.needs`): a call for the prospect created for it, whose id it then links; a
task completion for its call. The parts:

- `queue`: the queue itself (`Queue`, `Entry`, `Step`): storing, claiming, waits, what needs
  what, outcomes; it knows kinds only by name;
- `kinds`: what a kind is (`Kind`) and the ones this version sends (`built_in`);
- `calls`: the `call` kind; `followups`: what follows a call (`complete_task`);
- `report`: counts (in all, today) and the CSV export;
- `schema`: the file's tables, and the migration of an outbox of an earlier version.

## Adding a kind of operation

1. Subclass `kinds.Kind` in a module of this package: `name` (stored with each operation: never
   change it once released), `label` (the noun the rep reads), `roles` (the earlier operations it
   may wait for, by role name), and
   - `check(body)`: read the saved body (raise when it cannot be sent; the operation is then set
     aside as damaged, never blocking others); what it returns is `entry.payload` later;
   - `send(client, entry, given)`: make the write through `OutreachClient` — never retried
     there: the sender decides — and return `Delivered(id)`; `given[role]` is each operation it
     needs, delivered (`.outreach_id` is what it gave);
   - `look(client, entry, given)`: how to find it in Outreach after a write whose answer was
     lost (by the operation's `ref`, which the write must carry: a call's `vendorCallId`, a new
     prospect's `externalId`, a task's note reference) — `Delivered` when found, None when not
     (yet). Set `idempotent = True` instead of looking when sending twice does no harm (a PATCH
     to the same value); set `look_first = True` when even a clean first send must look first;
   - `describe(entry)` and `done(entry)`: its line and its status in the Outbox view.
2. Add it to `kinds.built_in()`.
3. Queue it with a `Step(kind, body, ref=…, summary=…, prospect_id=…, needs={role: …})`
   through `Outbox.submit` (several steps at once go in one transaction; `After(i)` names an
   earlier step of the same submission), or after a call with `Outbox.enqueue(call, then=…)`.
4. Give it a row in the fault matrix (`tests/reliability/`) and a test with the sandbox.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import IO

from ..calls import NewCall
from . import report
from .calls import call_step
from .followups import follow_ups
from .kinds import Delivered, Kind
from .queue import (
    LEASE_SECONDS,
    STATES,
    After,
    Entry,
    Link,
    OutboxError,
    Queue,
    State,
    Step,
)
from .report import Counts

__all__ = [
    "LEASE_SECONDS",
    "STATES",
    "After",
    "Counts",
    "Delivered",
    "Entry",
    "Kind",
    "Link",
    "Outbox",
    "OutboxError",
    "Queue",
    "State",
    "Step",
]


class Outbox(Queue):
    """The app's outbox: the queue, with the built-in kinds, and a call logged in one step."""

    def enqueue(
        self,
        call: NewCall,
        *,
        summary: str = "",
        complete_task: bool = False,
        then: Sequence[Step] = (),
    ) -> Entry:
        """Store a call durably, with what follows it; all are safe on disk when this returns.

        `complete_task`: once the call is delivered, also mark its linked task complete
        (nothing when the call links no task). `then`: further steps after the call (and its
        follow-ups); `After(0)` in their needs is the call.
        """
        steps = [
            call_step(call, summary=summary),
            *follow_ups(call, summary=summary, complete_task=complete_task),
            *then,
        ]
        return self.submit(steps)[0]

    def counts(self) -> Counts:
        return report.counts(self)

    def today(self, now: datetime | None = None) -> Counts:
        return report.today(self, now)

    def export_csv(self, target: IO[str]) -> int:
        return report.export_csv(self, target)
