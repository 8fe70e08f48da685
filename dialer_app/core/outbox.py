"""The outbox: every logged call is committed to SQLite before any network attempt.

One row a call, identified by its `vendorCallId`. States:

    waiting ──claim──▶ sending ──▶ sent            (Outreach id kept)
       ▲                  │
       └──── retry ───────┤                        (backoff; `uncertain` when a POST's fate is
                          │                         unknown: look in Outreach before resending)
                          └──▶ attention            (Outreach refused it: field errors kept, the
                                                     rep fixes and resends, or discards)

The database runs in WAL mode with synchronous writes, so a committed call survives a crash or a
power cut. Claiming a call is one `BEGIN IMMEDIATE` transaction, so two processes sharing the file
never send the same call; a claim older than its lease (a sender that died) is taken back as
`uncertain`, and a sender confirms (and renews) its claim right before each POST, so a call it
claimed long ago but another sender has since taken back is skipped, not sent twice.

Retry times are stored as wall time (`next_attempt_at`) with the wait chosen (`retry_wait`), and
measured in the running process on a monotonic clock: a wall clock that jumps (NTP, a laptop's
sleep, a −1 h change) neither holds a call nor lets it go early. A stored wait read back after a
restart counts at most its own length and never more than the ceiling (`RETRY_CEILING`, 15 min),
so a clock set back, or a wait written by a broken build, cannot hold a call for an hour. Waits
are always finite: NaN and infinity never reach the database.

`posted_at` says when the call's last POST went out (written right before it, without fsync: it
survives a killed app): after a POST of unknown fate, the sender keeps looking for the call in
Outreach over a window counted from that moment before it may post again.

A row the app cannot read (a damaged body) is parked as "needs attention" when it comes up, with
the reason; it never blocks the calls behind it and never stops the sender.

A call linked to a call task may also carry a follow-up, decided when it is logged: mark that
task complete in Outreach once the call is delivered (`task_state` '' → 'pending' → 'done', or
'failed' with the reason). The follow-up is claimed like a call, so it survives a crash between
the call's POST and `markComplete` and is done by one sender only.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

from .calls import NewCall
from .jsonapi import FieldError
from .outreach.headers import RETRY_CEILING
from .outreach.retry import finite_delay

log = logging.getLogger(__name__)

State = Literal["waiting", "sending", "sent", "attention", "discarded"]
STATES: tuple[State, ...] = ("waiting", "sending", "sent", "attention", "discarded")
LEASE_SECONDS = 120.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    vendor_call_id TEXT NOT NULL UNIQUE,
    prospect_id INTEGER,
    body TEXT NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT 'waiting',
    uncertain INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    claimed_by TEXT,
    claimed_at REAL,
    last_error TEXT NOT NULL DEFAULT '',
    field_errors TEXT NOT NULL DEFAULT '[]',
    outreach_id INTEGER,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (state, next_attempt_at, id);
"""
# Columns added after the first release; existing outboxes get them on open.
LATER_COLUMNS = (
    ("task_id", "INTEGER"),
    ("task_action", "TEXT NOT NULL DEFAULT ''"),
    ("task_state", "TEXT NOT NULL DEFAULT ''"),
    ("task_attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("task_next_at", "REAL NOT NULL DEFAULT 0"),
    ("task_error", "TEXT NOT NULL DEFAULT ''"),
    ("retry_wait", "REAL"),
    ("task_wait", "REAL"),
    ("posted_at", "REAL"),
)
UNREADABLE = (
    "This call's saved data is damaged and cannot be sent ({reason}). It is kept here:"
    " export the outbox for support, or discard it."
)
TaskState = Literal["", "pending", "done", "failed"]
TASK_STATES: tuple[TaskState, ...] = ("", "pending", "done", "failed")

# Outreach's `completionAction` for the call's `sequenceAction` (`markComplete` finishes the
# sequence state for these two and advances it for anything else).
COMPLETION_ACTIONS = {
    "Finish": "finish_no_reply",
    "Finish - No Reply": "finish_no_reply",
    "Finish - Replied": "finish_replied",
}


class OutboxError(RuntimeError):
    """The outbox cannot store or update calls (disk full, read-only, corrupt); nothing was lost
    that had been stored before, and the message says what to do."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One call in the outbox."""

    id: int
    vendor_call_id: str
    prospect_id: int | None
    call: NewCall
    summary: str
    state: State
    uncertain: bool
    attempts: int
    next_attempt_at: float
    last_error: str
    field_errors: tuple[FieldError, ...]
    outreach_id: int | None
    created_at: datetime
    updated_at: datetime
    task_id: int | None = None
    task_action: str = ""
    task_state: TaskState = ""
    task_attempts: int = 0
    task_error: str = ""
    posted_at: float | None = None  # wall time of the last POST whose fate is not settled
    damaged: str = ""  # why the saved call cannot be read ('' when it can)


@dataclass(frozen=True, slots=True)
class Counts:
    waiting: int = 0
    sending: int = 0
    sent: int = 0
    attention: int = 0

    @property
    def unsent(self) -> int:
        return self.waiting + self.sending


def _friendly(exc: sqlite3.Error, doing: str) -> str:
    """What went wrong, in words a rep can act on."""
    text = str(exc)
    if "full" in text:
        return (
            f"{doing}: the disk is full. Free some space and try again;"
            f" calls logged before are safe ({text})."
        )
    if "readonly" in text or "read-only" in text or "read only" in text:
        return (
            f"{doing}: the outbox is read-only. Check the permissions of the data folder;"
            f" calls logged before are safe ({text})."
        )
    return f"{doing}: {text}"


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Outbox:
    """A durable queue of calls to log. Thread-compatible: one connection per instance."""

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], float] = time.time,
        lease: float = LEASE_SECONDS,
        monotonic: Callable[[], float] | None = None,
        ceiling: float = RETRY_CEILING,
    ) -> None:
        """`clock` is wall time (stored); `monotonic` measures waits in this process (by default
        `time.monotonic`, or `clock` itself when a test gives a clock of its own)."""
        self.path = path
        self._clock = clock
        self._monotonic = monotonic or (time.monotonic if clock is time.time else clock)
        self._lease = lease
        self._ceiling = ceiling
        self._columns: list[str] | None = None
        # waits this process set: (kind, id) → (monotonic due, the wall due it wrote)
        self._waits: dict[tuple[str, int], tuple[float, float]] = {}
        self._posted: dict[int, tuple[float, float]] = {}  # id → (monotonic, wall) of its POST
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(SCHEMA)
            self._add_later_columns()
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"Cannot open the outbox at {path}: {exc}") from None

    def _add_later_columns(self) -> None:
        have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)").fetchall()}
        missing = [(n, t) for n, t in LATER_COLUMNS if n not in have]
        if not missing:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            have = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)").fetchall()}
            for name, decl in missing:
                if name not in have:  # another process may have added it meanwhile
                    self._db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {decl}")
                    if name == "posted_at":  # an older version may have been mid-POST: look
                        self._db.execute(  # for those calls over a whole window from now
                            "UPDATE outbox SET posted_at=? WHERE state='sending' OR"
                            " (state='waiting' AND uncertain=1)",
                            (self._clock(),),
                        )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; `durable=False` skips the fsync (safe only where losing the
        change in a power cut leads back to a safe state — see `mark_sent`)."""
        if not durable:
            self._db.execute("PRAGMA synchronous=NORMAL")
        try:
            with self._tx_inner() as db:
                yield db
        finally:
            if not durable:
                self._db.execute("PRAGMA synchronous=FULL")

    @contextmanager
    def _tx_inner(self) -> Iterator[sqlite3.Connection]:
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise OutboxError(_friendly(exc, "The outbox is not writable")) from None
        try:
            yield self._db
        except BaseException:
            self._rollback()
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise OutboxError(_friendly(exc, "The outbox could not save")) from None

    def _rollback(self) -> None:
        # SQLite rolls back by itself after some errors (a full disk): then there is no
        # transaction left, and a ROLLBACK would raise over the error that matters.
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    # -- writing ----------------------------------------------------------------------------

    def enqueue(self, call: NewCall, *, summary: str = "", complete_task: bool = False) -> Entry:
        """Store a call durably; it is safe on disk when this returns.

        `complete_task`: once the call is delivered, also mark its linked task complete
        (nothing to do when the call links no task).
        """
        vendor_id = call.attributes.vendorCallId
        if not vendor_id:
            raise ValueError("a call needs a vendorCallId to enter the outbox")
        prospect = call.relationships.prospect
        task = call.relationships.task if complete_task else None
        action = COMPLETION_ACTIONS.get(call.attributes.sequenceAction or "", "")
        now = _now_iso()
        try:
            with self._tx() as db:
                cur = db.execute(
                    "INSERT INTO outbox (vendor_call_id, prospect_id, body, summary, created_at,"
                    " updated_at, task_id, task_action, task_state)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        vendor_id,
                        prospect.id if prospect else None,
                        json.dumps(call.to_document()),
                        summary,
                        now,
                        now,
                        task.id if task else None,
                        action if task else "",
                        "pending" if task else "",
                    ),
                )
                row_id = cur.lastrowid
        except sqlite3.IntegrityError:
            raise ValueError(f"call {vendor_id} is already in the outbox") from None
        except sqlite3.Error as exc:
            raise OutboxError(_friendly(exc, "The call could not be saved")) from None
        assert row_id is not None
        log.info("call %d (%s) queued", row_id, _short_id(vendor_id))
        return self.get(row_id)

    def claim_next(self, owner: str) -> Entry | None:
        """Take the oldest due call for sending, or None. Stale claims come back as uncertain."""
        claimed = self.claim_batch(owner, 1)
        return claimed[0] if claimed else None

    def claim_batch(self, owner: str, limit: int) -> list[Entry]:
        """Take up to `limit` calls, oldest first, in one durable transaction; stop at the first
        one not yet due, so calls go out in the order they were logged. A call that cannot be
        read is parked on the way (needs attention), never claimed, never blocking."""
        now, mono = self._clock(), self._monotonic()
        claimed: list[Entry] = []
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state='waiting', uncertain=1, claimed_by=NULL, claimed_at=NULL"
                " WHERE state='sending' AND claimed_at < ?",
                (now - self._lease,),
            )
            rows = db.execute(
                "SELECT * FROM outbox WHERE state='waiting' ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
            stamp = _now_iso()
            for row in rows:
                entry = self._entry(row)
                if entry.damaged:
                    db.execute(
                        "UPDATE outbox SET state='attention', uncertain=0, last_error=?,"
                        " updated_at=? WHERE id=?",
                        (UNREADABLE.format(reason=entry.damaged), stamp, entry.id),
                    )
                    log.warning(
                        "call %d parked: its saved data cannot be read (%s)",
                        entry.id,
                        entry.damaged,
                    )
                    continue
                if self._left(("call", entry.id), row, now, mono) > 0:
                    break  # in order: a call waiting for its retry holds the ones behind it
                db.execute(
                    "UPDATE outbox SET state='sending', claimed_by=?, claimed_at=?,"
                    " attempts=attempts+1, updated_at=? WHERE id=?",
                    (owner, now, stamp, entry.id),
                )
                claimed.append(entry)
        return [self.get(entry.id) for entry in claimed]

    def confirm_claim(self, entry_id: int, owner: str, *, posting: bool = False) -> bool:
        """Right before sending: whether `owner` still holds the claim, renewing its lease.

        False when the claim was taken back meanwhile (this sender was too slow and another one
        now owns the call): the caller must not send it. A claim younger than half its lease is
        confirmed by a read alone: nobody can take it back before the lease ends, and a POST
        takes far less than the other half. An older one is renewed — not fsynced: a renewal
        lost in a power cut leaves the older claim, whose sender is gone after the restart, so
        the call comes back as uncertain and is looked up before any resend.

        `posting`: the call's POST goes out now; its time is written (not fsynced: it survives
        a killed app; a power cut that loses it leaves the call uncertain, looked up once) and
        any doubt about an earlier POST is settled (the sender looked long enough first).
        """
        live = "(state='sending' OR (state='sent' AND task_state='pending'))"
        now = self._clock()
        if posting:
            with self._tx(durable=False) as db:
                cur = db.execute(
                    "UPDATE outbox SET claimed_at=?, posted_at=?, uncertain=0"
                    " WHERE id=? AND claimed_by=? AND state='sending'",
                    (now, now, entry_id, owner),
                )
            if cur.rowcount == 1:
                self._posted[entry_id] = (self._monotonic(), now)
            return cur.rowcount == 1
        row = self._db.execute(
            f"SELECT claimed_at FROM outbox WHERE id=? AND claimed_by=? AND {live}",
            (entry_id, owner),
        ).fetchone()
        if row is None:
            return False
        if row[0] is not None and now - float(row[0]) < self._lease / 2:
            return True
        with self._tx(durable=False) as db:
            cur = db.execute(
                f"UPDATE outbox SET claimed_at=? WHERE id=? AND claimed_by=? AND {live}",
                (now, entry_id, owner),
            )
            return cur.rowcount == 1

    def unclaim(self, entry_ids: list[int]) -> None:
        """Give back claimed calls that were never attempted (no lookup needed before sending)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE outbox SET state='waiting', claimed_by=NULL, claimed_at=NULL,"
                " attempts=max(attempts-1, 0) WHERE id=? AND state='sending'",
                [(i,) for i in entry_ids],
            )

    def recover_orphans(self, is_alive: Callable[[str], bool]) -> int:
        """Take back claims whose sender process is gone (killed mid-send): fate unknown."""
        owners = [
            row[0]
            for row in self._db.execute(
                "SELECT DISTINCT claimed_by FROM outbox WHERE claimed_by IS NOT NULL"
            ).fetchall()
        ]
        dead = [o for o in owners if o is not None and not is_alive(o)]
        recovered = 0
        for owner in dead:
            with self._tx() as db:
                cur = db.execute(
                    "UPDATE outbox SET state='waiting', uncertain=1, claimed_by=NULL,"
                    " claimed_at=NULL WHERE state='sending' AND claimed_by=?",
                    (owner,),
                )
                recovered += cur.rowcount
                cur = db.execute(
                    "UPDATE outbox SET claimed_by=NULL, claimed_at=NULL"
                    " WHERE state='sent' AND claimed_by=?",
                    (owner,),
                )
                recovered += cur.rowcount
        return recovered

    def release_claims(self, owner: str) -> None:
        """Give back what `owner` claimed (clean shutdown mid-send): fate unknown → uncertain."""
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state='waiting', uncertain=1, claimed_by=NULL, claimed_at=NULL"
                " WHERE state='sending' AND claimed_by=?",
                (owner,),
            )
            db.execute(
                "UPDATE outbox SET claimed_by=NULL, claimed_at=NULL"
                " WHERE state='sent' AND claimed_by=?",
                (owner,),
            )

    def mark_sent(self, entry_id: int, outreach_id: int) -> None:
        """Record delivery. Not fsynced: if a power cut loses this, the call is still claimed by
        a sender that is gone, comes back as uncertain, and is found in Outreach, not resent."""
        self._update(
            entry_id,
            durable=False,
            state="sent",
            outreach_id=outreach_id,
            uncertain=0,
            posted_at=None,
            last_error="",
        )
        self._posted.pop(entry_id, None)

    def mark_retry(
        self, entry_id: int, *, delay: float, error: str, uncertain: bool | None = None
    ) -> None:
        """Back to waiting for `delay` seconds (made finite, at most the ceiling). `uncertain`:
        whether a POST of this call may have been stored (None: unchanged)."""
        changes: dict[str, Any] = {
            "state": "waiting",
            "last_error": error,
            **self._wait(("call", entry_id), delay, "next_attempt_at", "retry_wait"),
        }
        if uncertain is not None:
            changes["uncertain"] = int(uncertain)
            if not uncertain:
                changes["posted_at"] = None
                self._posted.pop(entry_id, None)
        self._update(entry_id, **changes)

    def mark_checking(self, entry_id: int, *, delay: float, note: str) -> None:
        """Looked for in Outreach and not found yet: look again in `delay` seconds. A look is
        not an attempt: the attempts count (and with it the backoff) stays as it was."""
        self._update(
            entry_id,
            state="waiting",
            uncertain=1,
            last_error=note,
            attempts=self._attempts(entry_id) - 1,
            **self._wait(("call", entry_id), delay, "next_attempt_at", "retry_wait"),
        )

    def since_posted(self, entry: Entry) -> float:
        """Seconds since this call's last POST went out; infinity when unknown (a POST from
        before this version, or whose time a power cut lost: one look settles it then)."""
        mine = self._posted.get(entry.id)
        if mine is not None and mine[1] == entry.posted_at:
            return max(0.0, self._monotonic() - mine[0])
        if entry.posted_at is None or not math.isfinite(entry.posted_at):
            return math.inf
        return max(0.0, self._clock() - entry.posted_at)  # a clock set back: look longer

    def mark_attention(
        self,
        entry_id: int,
        error: str,
        field_errors: list[FieldError],
        *,
        uncertain: bool = False,
    ) -> None:
        """Set a call aside for the rep. `uncertain`: a POST of it may have been stored, so a
        resend looks for it in Outreach first."""
        self._posted.pop(entry_id, None)
        self._update(
            entry_id,
            state="attention",
            uncertain=int(uncertain),
            posted_at=None,
            last_error=error,
            field_errors=json.dumps([[f.pointer, f.field, f.message] for f in field_errors]),
        )

    def resend(self, entry_id: int, call: NewCall | None = None) -> None:
        """Put a call back in the queue now, optionally corrected by the rep."""
        changes: dict[str, Any] = {
            "state": "waiting",
            "next_attempt_at": 0,
            "retry_wait": 0,
            "field_errors": "[]",
            "last_error": "",
        }
        if call is not None:
            changes["body"] = json.dumps(call.to_document())
        self._update(entry_id, **changes)

    def retry_now(self) -> None:
        """Make every waiting call due at once (the rep pressed "Retry now")."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET next_attempt_at=0, retry_wait=0 WHERE state='waiting'")
            db.execute("UPDATE outbox SET task_next_at=0, task_wait=0 WHERE task_state='pending'")
        self._waits.clear()

    # -- task follow-ups ---------------------------------------------------------------------

    def claim_task(self, owner: str) -> Entry | None:
        """Take the oldest delivered call whose task is still to be marked complete, or None.

        A follow-up claimed by a sender that went silent for longer than the lease is taken
        back; the task's state in Outreach is read before it is completed, so it is never
        completed twice.
        """
        now, mono = self._clock(), self._monotonic()
        with self._tx() as db:
            rows = db.execute(
                "SELECT * FROM outbox WHERE state='sent' AND task_state='pending'"
                " AND (claimed_by IS NULL OR claimed_at < ?) ORDER BY id LIMIT 100",
                (now - self._lease,),
            ).fetchall()
            entry_id = next(
                (
                    row[0]
                    for row in rows
                    if self._left(("task", row[0]), row, now, mono, task=True) <= 0
                ),
                None,
            )
            if entry_id is None:
                return None
            db.execute(
                "UPDATE outbox SET claimed_by=?, claimed_at=?, task_attempts=task_attempts+1"
                " WHERE id=?",
                (owner, now, entry_id),
            )
        return self.get(entry_id)

    def mark_task_done(self, entry_id: int) -> None:
        self._update(entry_id, task_state="done", task_error="")

    def mark_task_retry(self, entry_id: int, *, delay: float, error: str) -> None:
        self._update(
            entry_id,
            task_error=error,
            **self._wait(("task", entry_id), delay, "task_next_at", "task_wait"),
        )

    def mark_task_failed(self, entry_id: int, error: str) -> None:
        """Outreach refused to complete the task (gone, not allowed): the rep sees why."""
        self._update(entry_id, task_state="failed", task_error=error)

    def discard(self, entry_id: int) -> None:
        self._update(entry_id, state="discarded")

    def _update(self, entry_id: int, *, durable: bool = True, **changes: Any) -> None:
        if changes.get("state") in ("sent", "attention", "discarded"):
            self._waits.pop(("call", entry_id), None)  # it waits for nothing any more
        if changes.get("task_state") in ("done", "failed"):
            self._waits.pop(("task", entry_id), None)
        changes["updated_at"] = _now_iso()
        changes.setdefault("claimed_by", None)
        changes.setdefault("claimed_at", None)
        cols = ", ".join(f"{k}=?" for k in changes)
        with self._tx(durable=durable) as db:
            db.execute(f"UPDATE outbox SET {cols} WHERE id=?", (*changes.values(), entry_id))

    # -- reading ----------------------------------------------------------------------------

    def get(self, entry_id: int) -> Entry:
        row = self._db.execute("SELECT * FROM outbox WHERE id=?", (entry_id,)).fetchone()
        if row is None:
            raise KeyError(entry_id)
        return self._entry(row)

    def entries(self, *, states: tuple[State, ...] = STATES, limit: int = 500) -> list[Entry]:
        marks = ",".join("?" for _ in states)
        rows = self._db.execute(
            f"SELECT * FROM outbox WHERE state IN ({marks}) ORDER BY id DESC LIMIT ?",
            (*states, limit),
        ).fetchall()
        return [self._entry(r) for r in rows]

    def state_of(self, entry_id: int) -> State | None:
        row = self._db.execute("SELECT state FROM outbox WHERE id=?", (entry_id,)).fetchone()
        return row[0] if row else None

    def contains(self, vendor_call_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM outbox WHERE vendor_call_id=?", (vendor_call_id,)
        ).fetchone()
        return row is not None

    def counts(self) -> Counts:
        rows = dict(
            self._db.execute("SELECT state, count(*) FROM outbox GROUP BY state").fetchall()
        )
        return Counts(
            waiting=rows.get("waiting", 0),
            sending=rows.get("sending", 0),
            sent=rows.get("sent", 0),
            attention=rows.get("attention", 0),
        )

    def today(self, now: datetime | None = None) -> Counts:
        """Counts of the calls logged since local midnight."""
        local_now = (now or datetime.now(UTC)).astimezone()
        midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
        since = midnight.astimezone(UTC).isoformat(timespec="milliseconds")
        rows = dict(
            self._db.execute(
                "SELECT state, count(*) FROM outbox WHERE created_at >= ? GROUP BY state",
                (since,),
            ).fetchall()
        )
        return Counts(
            waiting=rows.get("waiting", 0),
            sending=rows.get("sending", 0),
            sent=rows.get("sent", 0),
            attention=rows.get("attention", 0),
        )

    def export_csv(self, target: IO[str]) -> int:
        """Write every call (discarded ones too) as CSV; return how many rows were written."""
        writer = csv.writer(target)
        writer.writerow(
            [
                "logged_at",
                "state",
                "prospect",
                "prospect_id",
                "outcome",
                "dialed_at",
                "completed_at",
                "outreach_call_id",
                "vendor_call_id",
                "attempts",
                "last_error",
            ]
        )
        rows = self.entries(limit=1_000_000)
        for e in reversed(rows):
            a = e.call.attributes
            writer.writerow(
                [
                    e.created_at.isoformat(),
                    e.state,
                    e.summary,
                    e.prospect_id or "",
                    a.outcome or "",
                    a.wire().get("dialedAt", ""),
                    a.wire().get("completedAt", ""),
                    e.outreach_id or "",
                    e.vendor_call_id,
                    e.attempts,
                    e.last_error,
                ]
            )
        return len(rows)

    def next_due_in(self) -> float | None:
        """Seconds until the oldest waiting call or the next task follow-up is due (0 if now),
        None if nothing waits."""
        now, mono = self._clock(), self._monotonic()
        dues = []
        row = self._db.execute(
            "SELECT * FROM outbox WHERE state='waiting' ORDER BY id LIMIT 1"
        ).fetchone()
        if row is not None:
            dues.append(self._left(("call", row[0]), row, now, mono))
        for task in self._db.execute(
            "SELECT * FROM outbox WHERE state='sent' AND task_state='pending' ORDER BY id LIMIT 100"
        ).fetchall():
            left = self._left(("task", task[0]), task, now, mono, task=True)
            claimed_at = self._col(task, "claimed_at")
            if claimed_at is not None and math.isfinite(claimed_at):
                left = max(left, min(claimed_at + self._lease - now, self._lease))
            dues.append(max(0.0, left))
        return min(dues) if dues else None

    # -- waits ------------------------------------------------------------------------------

    def _wait(
        self, key: tuple[str, int], delay: float, due_column: str, wait_column: str
    ) -> dict[str, Any]:
        """The columns of a wait of `delay` seconds from now, remembered on the monotonic
        clock too."""
        wait = finite_delay(delay, self._ceiling)
        due = self._clock() + wait
        self._waits[key] = (self._monotonic() + wait, due)
        return {due_column: due, wait_column: wait}

    def _left(
        self,
        key: tuple[str, int],
        row: tuple[Any, ...],
        now: float,
        mono: float,
        *,
        task: bool = False,
    ) -> float:
        """Seconds until the row's call (or follow-up) is due; 0 when it is due now.

        A wait is measured on the monotonic clock: the one this process set, or a stored one
        from the moment this process first reads it (unless another process reschedules the
        row). A stored wait counts from the wall clock at that moment, but never for longer
        than the wait chosen nor the ceiling: a clock set back, or an absurd value written by
        an older build, cannot stretch it.
        """
        due = self._col(row, "task_next_at" if task else "next_attempt_at")
        mine = self._waits.get(key)
        if mine is not None and mine[1] == due:
            return max(0.0, mine[0] - mono)
        if due is None or not math.isfinite(due):
            return 0.0
        wait = self._col(row, "task_wait" if task else "retry_wait")
        most = self._ceiling if wait is None or not math.isfinite(wait) else wait
        left = min(max(0.0, due - now), max(0.0, min(most, self._ceiling)))
        if left > 0:
            self._waits[key] = (mono + left, due)  # from now on, on the monotonic clock
        return left

    def _col(self, row: tuple[Any, ...], name: str) -> float | None:
        value = row[self._column_index()[name]]
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        return None

    def _column_index(self) -> dict[str, int]:
        if self._columns is None:
            desc = self._db.execute("SELECT * FROM outbox LIMIT 0").description
            self._columns = [d[0] for d in desc]
        return {name: i for i, name in enumerate(self._columns)}

    def _attempts(self, entry_id: int) -> int:
        row = self._db.execute("SELECT attempts FROM outbox WHERE id=?", (entry_id,)).fetchone()
        return max(0, int(row[0]) if row and isinstance(row[0], int) else 0)

    def _entry(self, row: tuple[Any, ...]) -> Entry:
        """The row as an Entry; a row that cannot be read in full still becomes one, with
        `damaged` saying why (never an exception: one bad row must not stop the rest)."""
        index = self._column_index()
        r = {name: row[i] for name, i in index.items()}
        damaged = ""
        try:
            call = NewCall.from_document(json.loads(r["body"]))
        except Exception as exc:  # JSON, the contract, a wrong type: all the same to the rep
            call = NewCall()
            damaged = f"{type(exc).__name__}: {str(exc)[:120]}"
        try:
            field_errors = tuple(FieldError(*map(str, f)) for f in json.loads(r["field_errors"]))
        except Exception:
            field_errors = ()
        return Entry(
            id=r["id"],
            vendor_call_id=str(r["vendor_call_id"]),
            prospect_id=_int_or_none(r["prospect_id"]),
            call=call,
            summary=str(r["summary"] or ""),
            state=r["state"] if r["state"] in STATES else "attention",
            uncertain=bool(r["uncertain"]),
            attempts=_int_or_none(r["attempts"]) or 0,
            next_attempt_at=self._col(row, "next_attempt_at") or 0.0,
            last_error=str(r["last_error"] or ""),
            field_errors=field_errors,
            outreach_id=_int_or_none(r["outreach_id"]),
            created_at=_when(r["created_at"]),
            updated_at=_when(r["updated_at"]),
            task_id=_int_or_none(r.get("task_id")),
            task_action=str(r.get("task_action") or ""),
            task_state=_task_state(r.get("task_state")),
            task_attempts=_int_or_none(r.get("task_attempts")) or 0,
            task_error=str(r.get("task_error") or ""),
            posted_at=self._col(row, "posted_at"),
            damaged=damaged,
        )


def _task_state(value: object) -> TaskState:
    for state in TASK_STATES:
        if value == state:
            return state
    return ""


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _when(value: object) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def _short_id(vendor_call_id: str) -> str:
    """Enough of a vendorCallId to follow one call through the log."""
    return vendor_call_id[:8]
