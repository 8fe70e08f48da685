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

A call linked to a call task may also carry a follow-up, decided when it is logged: mark that
task complete in Outreach once the call is delivered (`task_state` '' → 'pending' → 'done', or
'failed' with the reason). The follow-up is claimed like a call, so it survives a crash between
the call's POST and `markComplete` and is done by one sender only.
"""

from __future__ import annotations

import csv
import json
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
)
TaskState = Literal["", "pending", "done", "failed"]

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
    ) -> None:
        self.path = path
        self._clock = clock
        self._lease = lease
        self._columns: list[str] | None = None
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
        return self.get(row_id)

    def claim_next(self, owner: str) -> Entry | None:
        """Take the oldest due call for sending, or None. Stale claims come back as uncertain."""
        claimed = self.claim_batch(owner, 1)
        return claimed[0] if claimed else None

    def claim_batch(self, owner: str, limit: int) -> list[Entry]:
        """Take up to `limit` calls, oldest first, in one durable transaction; stop at the first
        one not yet due, so calls go out in the order they were logged."""
        now = self._clock()
        with self._tx() as db:
            db.execute(
                "UPDATE outbox SET state='waiting', uncertain=1, claimed_by=NULL, claimed_at=NULL"
                " WHERE state='sending' AND claimed_at < ?",
                (now - self._lease,),
            )
            ids = []
            for row_id, due_at in db.execute(
                "SELECT id, next_attempt_at FROM outbox WHERE state='waiting' ORDER BY id LIMIT ?",
                (limit,),
            ).fetchall():
                if due_at > now:
                    break  # in order: a call waiting for its retry holds the ones behind it
                ids.append(row_id)
            db.executemany(
                "UPDATE outbox SET state='sending', claimed_by=?, claimed_at=?,"
                " attempts=attempts+1, updated_at=? WHERE id=?",
                [(owner, now, _now_iso(), i) for i in ids],
            )
        return [self.get(i) for i in ids]

    def confirm_claim(self, entry_id: int, owner: str) -> bool:
        """Right before sending: whether `owner` still holds the claim, renewing its lease.

        False when the claim was taken back meanwhile (this sender was too slow and another one
        now owns the call): the caller must not send it. A claim younger than half its lease is
        confirmed by a read alone: nobody can take it back before the lease ends, and a POST
        takes far less than the other half. An older one is renewed — not fsynced: a renewal
        lost in a power cut leaves the older claim, whose sender is gone after the restart, so
        the call comes back as uncertain and is looked up before any resend.
        """
        live = "(state='sending' OR (state='sent' AND task_state='pending'))"
        now = self._clock()
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
            last_error="",
        )

    def mark_retry(
        self, entry_id: int, *, delay: float, error: str, uncertain: bool | None = None
    ) -> None:
        changes: dict[str, Any] = {
            "state": "waiting",
            "next_attempt_at": self._clock() + delay,
            "last_error": error,
        }
        if uncertain is not None:
            changes["uncertain"] = int(uncertain)
        self._update(entry_id, **changes)

    def mark_attention(self, entry_id: int, error: str, field_errors: list[FieldError]) -> None:
        self._update(
            entry_id,
            state="attention",
            uncertain=0,
            last_error=error,
            field_errors=json.dumps([[f.pointer, f.field, f.message] for f in field_errors]),
        )

    def resend(self, entry_id: int, call: NewCall | None = None) -> None:
        """Put a call back in the queue now, optionally corrected by the rep."""
        changes: dict[str, Any] = {
            "state": "waiting",
            "next_attempt_at": 0,
            "field_errors": "[]",
            "last_error": "",
        }
        if call is not None:
            changes["body"] = json.dumps(call.to_document())
        self._update(entry_id, **changes)

    def retry_now(self) -> None:
        """Make every waiting call due at once (the rep pressed "Retry now")."""
        with self._tx() as db:
            db.execute("UPDATE outbox SET next_attempt_at=0 WHERE state='waiting'")

    # -- task follow-ups ---------------------------------------------------------------------

    def claim_task(self, owner: str) -> Entry | None:
        """Take the oldest delivered call whose task is still to be marked complete, or None.

        A follow-up claimed by a sender that went silent for longer than the lease is taken
        back; the task's state in Outreach is read before it is completed, so it is never
        completed twice.
        """
        now = self._clock()
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM outbox WHERE state='sent' AND task_state='pending'"
                " AND task_next_at <= ? AND (claimed_by IS NULL OR claimed_at < ?)"
                " ORDER BY id LIMIT 1",
                (now, now - self._lease),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE outbox SET claimed_by=?, claimed_at=?, task_attempts=task_attempts+1"
                " WHERE id=?",
                (owner, now, row[0]),
            )
        return self.get(row[0])

    def mark_task_done(self, entry_id: int) -> None:
        self._update(entry_id, task_state="done", task_error="")

    def mark_task_retry(self, entry_id: int, *, delay: float, error: str) -> None:
        self._update(entry_id, task_next_at=self._clock() + delay, task_error=error)

    def mark_task_failed(self, entry_id: int, error: str) -> None:
        """Outreach refused to complete the task (gone, not allowed): the rep sees why."""
        self._update(entry_id, task_state="failed", task_error=error)

    def discard(self, entry_id: int) -> None:
        self._update(entry_id, state="discarded")

    def _update(self, entry_id: int, *, durable: bool = True, **changes: Any) -> None:
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
        row = self._db.execute(
            "SELECT next_attempt_at FROM outbox WHERE state='waiting' ORDER BY id LIMIT 1"
        ).fetchone()
        task = self._db.execute(
            "SELECT min(max(task_next_at, coalesce(claimed_at + ?, 0))) FROM outbox"
            " WHERE state='sent' AND task_state='pending'",
            (self._lease,),
        ).fetchone()
        dues = [float(r[0]) for r in (row, task) if r is not None and r[0] is not None]
        if not dues:
            return None
        return max(0.0, min(dues) - self._clock())

    def _entry(self, row: tuple[Any, ...]) -> Entry:
        if self._columns is None:
            desc = self._db.execute("SELECT * FROM outbox LIMIT 0").description
            self._columns = [d[0] for d in desc]
        r = dict(zip(self._columns, row, strict=True))
        return Entry(
            id=r["id"],
            vendor_call_id=r["vendor_call_id"],
            prospect_id=r["prospect_id"],
            call=NewCall.from_document(json.loads(r["body"])),
            summary=r["summary"],
            state=r["state"],
            uncertain=bool(r["uncertain"]),
            attempts=r["attempts"],
            next_attempt_at=r["next_attempt_at"],
            last_error=r["last_error"],
            field_errors=tuple(FieldError(*f) for f in json.loads(r["field_errors"])),
            outreach_id=r["outreach_id"],
            created_at=datetime.fromisoformat(r["created_at"]),
            updated_at=datetime.fromisoformat(r["updated_at"]),
            task_id=r["task_id"],
            task_action=r["task_action"],
            task_state=r["task_state"],
            task_attempts=r["task_attempts"],
            task_error=r["task_error"],
        )
