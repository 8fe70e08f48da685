"""What the outbox tells: how many operations wait, were sent or need attention (in all and
today), and every one of them as CSV."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from .queue import Entry, Queue, State


@dataclass(frozen=True, slots=True)
class Counts:
    """Operations by state (discarded ones left out); `calls` of them are calls."""

    waiting: int = 0
    sending: int = 0
    sent: int = 0
    attention: int = 0
    calls: int = 0

    @property
    def unsent(self) -> int:
        return self.waiting + self.sending

    @property
    def total(self) -> int:
        return self.waiting + self.sending + self.sent + self.attention


def counts(queue: Queue) -> Counts:
    return _counts(queue.tally())


def today(queue: Queue, now: datetime | None = None) -> Counts:
    """Counts of the operations added since local midnight."""
    local_now = (now or datetime.now(UTC)).astimezone()
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    return _counts(queue.tally(since=midnight.astimezone(UTC).isoformat(timespec="milliseconds")))


def _counts(tally: dict[tuple[str, State], int]) -> Counts:
    by_state: dict[str, int] = {}
    calls = 0
    for (kind, state), n in tally.items():
        by_state[state] = by_state.get(state, 0) + n
        if kind == "call" and state != "discarded":
            calls += n
    return Counts(
        waiting=by_state.get("waiting", 0),
        sending=by_state.get("sending", 0),
        sent=by_state.get("sent", 0),
        attention=by_state.get("attention", 0),
        calls=calls,
    )


COLUMNS = (
    "logged_at",
    "kind",
    "what",
    "state",
    "prospect",
    "prospect_id",
    "outcome",
    "dialed_at",
    "completed_at",
    "outreach_call_id",
    "outreach_id",
    "vendor_call_id",
    "reference",
    "attempts",
    "last_error",
)


def export_csv(queue: Queue, target: IO[str]) -> int:
    """Write every operation (discarded ones too), oldest first, as CSV; how many rows."""
    writer = csv.writer(target)
    writer.writerow(COLUMNS)
    rows = queue.entries(limit=1_000_000)
    for entry in reversed(rows):
        writer.writerow([_cell(entry, queue, column) for column in COLUMNS])
    return len(rows)


def _cell(entry: Entry, queue: Queue, column: str) -> object:
    is_call = entry.kind == "call"
    if column == "logged_at":
        return entry.created_at.isoformat()
    if column == "kind":
        return entry.kind
    if column == "what":
        kind = queue.kinds.get(entry.kind)
        return kind.describe(entry) if kind is not None else entry.kind
    if column == "state":
        return entry.state
    if column == "prospect":
        return entry.summary
    if column == "prospect_id":
        return entry.prospect_id or ""
    if column in ("outcome", "dialed_at", "completed_at"):
        return _call_attribute(entry, column) if is_call else ""
    if column == "outreach_call_id":
        return (entry.outreach_id or "") if is_call else ""
    if column == "outreach_id":
        return entry.outreach_id or ""
    if column == "vendor_call_id":
        return entry.vendor_call_id if is_call else ""
    if column == "reference":
        return entry.ref
    if column == "attempts":
        return entry.attempts
    return entry.last_error


def _call_attribute(entry: Entry, column: str) -> object:
    name = {"outcome": "outcome", "dialed_at": "dialedAt", "completed_at": "completedAt"}[column]
    data = entry.body.get("data")
    attributes = data.get("attributes") if isinstance(data, dict) else None
    value = attributes.get(name) if isinstance(attributes, dict) else None
    return value if isinstance(value, str) else ""
