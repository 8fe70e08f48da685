"""The queue: operations committed to SQLite before any network attempt, sent in order, once.

One row an operation (`operations`), identified by its `ref` (a call's `vendorCallId`; a fresh id
for other kinds, which Outreach keeps with what it creates so that it can be found again). States:

    waiting ──claim──▶ sending ──▶ sent            (what Outreach gave is kept: `outreach_id`)
       ▲                  │
       └──── retry ───────┤                        (backoff; `uncertain` when a write's fate is
                          │                         unknown: look in Outreach before resending)
                          └──▶ attention            (Outreach refused it: field errors kept, the
                                                     rep fixes and resends, or discards)

An operation may need earlier ones (`Step.needs`, kept in `needs`): it is not claimed until each
of them is sent, and its kind then reads what they gave (a call waits for the prospect it is
logged against to be created). Operations go out in the order they were added: a due one whose
retry wait runs holds those behind it, and so does one that waits for an operation still being
sent. One whose needs are set aside (needing attention) is passed over — it never blocks the
others — and goes once they are sent; discarding an operation discards those that need it.

The database runs in WAL mode with synchronous writes, so a committed operation survives a crash
or a power cut. Claiming is one `BEGIN IMMEDIATE` transaction, so two processes sharing the file
never send the same operation; a claim older than its lease (a sender that died) is taken back as
`uncertain`, and a sender confirms (and renews) its claim right before each write, so an
operation it claimed long ago but another sender has since taken back is skipped, not sent twice.

Retry times are stored as wall time (`next_attempt_at`) with the wait chosen (`retry_wait`), and
measured in the running process on a monotonic clock: a wall clock that jumps (NTP, a laptop's
sleep, a −1 h change) neither holds an operation nor lets it go early. A stored wait read back
after a restart counts at most its own length and never more than the ceiling
(`RETRY_CEILING`, 15 min). Waits are always finite: NaN and infinity never reach the database.

`posted_at` says when the operation's last write went out (written right before it, without
fsync: it survives a killed app): after a write of unknown fate, the sender keeps looking for it
in Outreach over a window counted from that moment before it may send it again.

A row the app cannot read (a damaged body, a kind this version does not know) is set aside as
"needs attention" when it comes up, with the reason; it never blocks the operations behind it
and never stops the sender.

Every change is noted (`touched()` answers the ids changed since it was last asked), so that
whoever shows the outbox can update those rows alone.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from ..calls import NewCall
from ..jsonapi import FieldError, JsonObject
from ..outreach.headers import RETRY_CEILING
from ..outreach.retry import finite_delay
from . import schema

if TYPE_CHECKING:
    from .kinds import Kind

log = logging.getLogger(__name__)

State = Literal["waiting", "sending", "sent", "attention", "discarded"]
STATES: tuple[State, ...] = ("waiting", "sending", "sent", "attention", "discarded")
LEASE_SECONDS = 120.0
DEPENDENCY_POLL = 5.0  # how soon to look again at an operation waiting on another sender's
PAGE = 64  # rows read at a time while claiming
ROLE = re.compile(r"[a-z][A-Za-z_]{0,31}")
UNREADABLE = (
    "This {what}'s saved data is damaged and cannot be sent ({reason}). It is kept here:"
    " export the outbox for support, or discard it."
)
NEEDED_DISCARDED = "It needed {what}, which was discarded: it cannot be sent. Discard it too."

_SELECT = (
    "SELECT o.*, (SELECT group_concat(n.role || ' ' || n.needs || ' ' || d.state, ',')"
    " FROM needs n JOIN operations d ON d.id = n.needs WHERE n.op = o.id) AS deps"
    " FROM operations o"
)


class OutboxError(RuntimeError):
    """The outbox cannot store or update operations (disk full, read-only, corrupt); nothing
    was lost that had been stored before, and the message says what to do."""


@dataclass(frozen=True, slots=True)
class After:
    """An earlier step of the same `submit`, by its position (0 = the first)."""

    index: int


Needs = Mapping[str, "int | After"]


@dataclass(frozen=True, slots=True)
class Step:
    """An operation to add: its kind, the body to save, and what it needs.

    `ref`: the operation's reference ('' → a fresh one); a call's is its `vendorCallId`.
    `needs`: role → an earlier operation (its id) or an earlier step of the same submission.
    """

    kind: str
    body: JsonObject
    ref: str = ""
    summary: str = ""
    prospect_id: int | None = None
    needs: Needs = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Link:
    """An operation this one needs: under which role, its id, and how it stands."""

    role: str
    id: int
    state: State


@dataclass(frozen=True, slots=True)
class Entry:
    """One operation in the outbox."""

    id: int
    kind: str
    ref: str
    prospect_id: int | None
    body: JsonObject
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
    posted_at: float | None = None  # wall time of the last write whose fate is not settled
    needs: tuple[Link, ...] = ()
    damaged: str = ""  # why the saved body cannot be read as JSON ('' when it can)
    payload: object = field(default=None, compare=False, repr=False)  # the kind's reading

    @property
    def vendor_call_id(self) -> str:
        """A call's `vendorCallId` (its `ref`)."""
        return self.ref

    @property
    def call(self) -> NewCall:
        """The call a `call` operation logs (raises `CallValidationError` when damaged)."""
        if isinstance(self.payload, NewCall):
            return self.payload
        return NewCall.from_document(self.body)

    @property
    def waiting_for(self) -> tuple[Link, ...]:
        """What it needs that is not sent yet."""
        return tuple(link for link in self.needs if link.state != "sent")

    def need(self, role: str) -> int | None:
        """The id of the operation it needs as `role`."""
        return next((link.id for link in self.needs if link.role == role), None)


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


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class Queue:
    """A durable queue of operations. Thread-compatible: one connection per instance."""

    def __init__(
        self,
        path: Path,
        *,
        kinds: Mapping[str, Kind[Any]] | None = None,
        clock: Callable[[], float] = time.time,
        lease: float = LEASE_SECONDS,
        monotonic: Callable[[], float] | None = None,
        ceiling: float = RETRY_CEILING,
    ) -> None:
        """`kinds` are what it may hold (by default every kind this version sends); `clock` is
        wall time (stored); `monotonic` measures waits in this process (by default
        `time.monotonic`, or `clock` itself when a test gives a clock of its own)."""
        if kinds is None:
            from .kinds import built_in

            kinds = built_in()
        self.kinds: Mapping[str, Kind[Any]] = kinds
        self.path = path
        self.refusal = ""  # why nothing can be added ('' for a queue that opened)
        self._clock = clock
        self._monotonic = monotonic or (time.monotonic if clock is time.time else clock)
        self._lease = lease
        self._ceiling = ceiling
        # waits this process set: id → (monotonic due, the wall due it wrote)
        self._waits: dict[int, tuple[float, float]] = {}
        self._posted: dict[int, tuple[float, float]] = {}  # id → (monotonic, wall) of its write
        self._touched: set[int] = set()
        self._touched_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._synchronous = "FULL"  # what every transaction gets unless it says otherwise
            schema.prepare(self._db, self._clock())
        except schema.NewerVersion as exc:
            raise OutboxError(f"Cannot open the outbox at {path}: {exc}") from None
        except (sqlite3.Error, OSError) as exc:
            raise OutboxError(f"Cannot open the outbox at {path}: {exc}") from None

    @classmethod
    def unopened(cls, path: Path, refusal: str, **kwargs: Any) -> Self:
        """An empty queue in memory standing in for the one at `path`, which could not be
        opened: the sender finds nothing to send, and adding anything raises `OutboxError`
        with `refusal`. The file itself is never moved: it may hold calls not yet sent."""
        queue = cls(Path(":memory:"), **kwargs)
        queue.path = path
        queue.refusal = refusal
        return queue

    def sibling(self) -> Self:
        """Another connection to the same file, with the same kinds and clocks, for another
        thread (a connection serves the thread that opened it): open it there."""
        return type(self)(
            self.path,
            kinds=self.kinds,
            clock=self._clock,
            lease=self._lease,
            monotonic=self._monotonic,
            ceiling=self._ceiling,
        )

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self, *, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One write transaction; `durable=False` skips the fsync (safe only where losing the
        change in a power cut leads back to a safe state — see `mark_sent`).

        The connection keeps the mode of its last transaction and changes it only when the
        next one needs the other: a sender marking calls sent one after the other sets it once,
        not twice per call."""
        mode = "FULL" if durable else "NORMAL"
        if self._synchronous != mode:
            self._synchronous = ""  # unknown until the PRAGMA has run
            self._db.execute(f"PRAGMA synchronous={mode}")
            self._synchronous = mode
        with self._tx_inner() as db:
            yield db

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

    def _touch(self, ids: Iterable[int]) -> None:
        with self._touched_lock:
            self._touched.update(ids)

    def touched(self) -> set[int]:
        """The ids of the operations changed since the last time this was asked."""
        with self._touched_lock:
            ids, self._touched = self._touched, set()
        return ids

    # -- adding ------------------------------------------------------------------------------

    def submit(self, steps: Sequence[Step]) -> list[Entry]:
        """Store operations durably, in order, in one transaction: all are safe on disk when
        this returns, or none is stored. Raises ValueError for a step that cannot be stored
        (an unknown kind, a reference already used, a need that is not an earlier operation)
        and `OutboxError` when the disk refuses."""
        if self.refusal:
            raise OutboxError(self.refusal)
        for index, step in enumerate(steps):
            kind = self.kinds.get(step.kind)
            if kind is None:
                raise ValueError(f"this app does not send operations of kind {step.kind!r}")
            for role, need in step.needs.items():
                if not ROLE.fullmatch(role) or role not in kind.roles:
                    raise ValueError(f"a {step.kind} cannot need a {role!r}")
                if isinstance(need, After) and not 0 <= need.index < index:
                    raise ValueError("a step can only need an earlier step")
        stamp = now_iso()
        ids: list[int] = []
        try:
            with self._tx() as db:
                for step in steps:
                    cur = db.execute(
                        "INSERT INTO operations (kind, ref, prospect_id, body, summary,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            step.kind,
                            step.ref or uuid.uuid4().hex,
                            step.prospect_id,
                            json.dumps(step.body),
                            step.summary,
                            stamp,
                            stamp,
                        ),
                    )
                    assert cur.lastrowid is not None
                    ids.append(cur.lastrowid)
                    for role, need in step.needs.items():
                        needed = ids[need.index] if isinstance(need, After) else need
                        if needed >= ids[-1] or self._state(needed) is None:
                            raise ValueError(f"a step needs operation {needed}, not before it")
                        db.execute(
                            "INSERT INTO needs (op, role, needs) VALUES (?, ?, ?)",
                            (ids[-1], role, needed),
                        )
        except sqlite3.IntegrityError:
            refs = ", ".join(s.ref for s in steps if s.ref)
            raise ValueError(f"{refs or 'an operation'} is already in the outbox") from None
        except sqlite3.Error as exc:
            what = "The call" if steps and steps[0].kind == "call" else "It"
            raise OutboxError(_friendly(exc, f"{what} could not be saved")) from None
        self._touch(ids)
        entries = self.get_many(ids)
        for entry in entries:
            log.info("%s queued", tag(entry))
        return entries

    # -- claiming ----------------------------------------------------------------------------

    def claim_next(self, owner: str) -> Entry | None:
        """Take the oldest due operation for sending, or None."""
        claimed = self.claim_batch(owner, 1)
        return claimed[0] if claimed else None

    def claim_batch(self, owner: str, limit: int) -> list[Entry]:
        """Take up to `limit` operations, oldest first, in one durable transaction; stop at the
        first one not yet due (so they go out in the order they were added) or waiting for an
        operation still being sent. One whose needs need attention is passed over; one that
        cannot be read is set aside on the way (needs attention), never claimed, never
        blocking. Stale claims come back as uncertain."""
        now, mono = self._clock(), self._monotonic()
        claimed: list[Entry] = []
        touched: list[int] = []
        with self._tx() as db:
            cur = db.execute(
                "UPDATE operations SET state='waiting', uncertain=1, claimed_by=NULL,"
                " claimed_at=NULL WHERE state='sending' AND claimed_at < ? RETURNING id",
                (now - self._lease,),
            )
            touched += [row[0] for row in cur.fetchall()]
            passed: set[int] = set()  # passed over: set aside, or waiting on one that is
            mine: set[int] = set()
            stamp = now_iso()
            for row in self._waiting(db):
                entry = self._entry(row)
                verdict = self._verdict(entry, passed, mine)
                if verdict == "stop":
                    break
                if verdict == "pass":
                    passed.add(entry.id)
                    continue
                problem, payload = (verdict, None) if verdict else self._read(entry)
                if problem:
                    self._set_aside(db, entry, problem, stamp)
                    passed.add(entry.id)
                    touched.append(entry.id)
                    continue
                if self._left(entry.id, row, now, mono) > 0:
                    break  # in order: one waiting for its retry holds the ones behind it
                db.execute(
                    "UPDATE operations SET state='sending', claimed_by=?, claimed_at=?,"
                    " attempts=attempts+1, updated_at=? WHERE id=?",
                    (owner, now, stamp, entry.id),
                )
                mine.add(entry.id)
                touched.append(entry.id)
                claimed.append(
                    replace(
                        entry,
                        state="sending",
                        attempts=entry.attempts + 1,
                        payload=payload,
                    )
                )
                if len(claimed) >= limit:
                    break
        self._touch(touched)
        return claimed

    def _waiting(self, db: sqlite3.Connection) -> Iterator[sqlite3.Row]:
        """The waiting operations, oldest first, a page at a time."""
        after = 0
        while True:
            rows = db.execute(
                _SELECT + " WHERE o.state='waiting' AND o.id > ? ORDER BY o.id LIMIT ?",
                (after, PAGE),
            ).fetchall()
            if not rows:
                return
            yield from rows
            after = rows[-1]["id"]

    def _verdict(self, entry: Entry, passed: set[int], mine: set[int]) -> str | None:
        """For a waiting operation, by what it needs: a reason to set it aside (one it needs
        was discarded), 'pass' (one it needs is set aside, or waits for one that is), 'stop'
        (it waits for one still to be sent), or None (free to go)."""
        gone = [link for link in entry.needs if link.state == "discarded"]
        if gone:
            return NEEDED_DISCARDED.format(what=f"its {gone[0].role}")
        if any(link.state == "attention" or link.id in passed for link in entry.needs):
            return "pass"
        if any(link.id in mine or link.state in ("waiting", "sending") for link in entry.needs):
            return "stop"
        return None

    def _read(self, entry: Entry) -> tuple[str, object]:
        """The kind's reading of the saved body, or why it cannot be sent as saved."""
        kind = self.kinds.get(entry.kind)
        if kind is None:
            return (
                f"This {entry.kind} cannot be sent by this version of the app. It is kept here:"
                " open the outbox with the version that logged it, or discard it."
            ), None
        if entry.damaged:
            return UNREADABLE.format(what=kind.label.lower(), reason=entry.damaged), None
        try:
            return "", kind.check(entry.body)
        except Exception as exc:  # JSON, the contract, a wrong type: all the same to the rep
            reason = f"{type(exc).__name__}: {str(exc)[:120]}"
            return UNREADABLE.format(what=kind.label.lower(), reason=reason), None

    def _set_aside(self, db: sqlite3.Connection, entry: Entry, problem: str, stamp: str) -> None:
        db.execute(
            "UPDATE operations SET state='attention', uncertain=0, last_error=?, updated_at=?"
            " WHERE id=?",
            (problem, stamp, entry.id),
        )
        log.warning("%s set aside: %s", tag(entry), problem)

    def confirm_claim(self, entry_id: int, owner: str, *, posting: bool = False) -> bool:
        """Right before sending: whether `owner` still holds the claim, renewing its lease.

        False when the claim was taken back meanwhile (this sender was too slow and another one
        now owns it): the caller must not send it. A claim younger than half its lease is
        confirmed by a read alone: nobody can take it back before the lease ends, and a write
        takes far less than the other half. An older one is renewed — not fsynced: a renewal
        lost in a power cut leaves the older claim, whose sender is gone after the restart, so
        the operation comes back as uncertain and is looked up before any resend.

        `posting`: the write goes out now; its time is written (not fsynced: it survives a
        killed app; a power cut that loses it leaves it uncertain, looked up once) and any
        doubt about an earlier write is settled (the sender looked long enough first).
        """
        now = self._clock()
        if posting:
            with self._tx(durable=False) as db:
                cur = db.execute(
                    "UPDATE operations SET claimed_at=?, posted_at=?, uncertain=0"
                    " WHERE id=? AND claimed_by=? AND state='sending'",
                    (now, now, entry_id, owner),
                )
            if cur.rowcount == 1:
                self._posted[entry_id] = (self._monotonic(), now)
            return cur.rowcount == 1
        row = self._db.execute(
            "SELECT claimed_at FROM operations WHERE id=? AND claimed_by=? AND state='sending'",
            (entry_id, owner),
        ).fetchone()
        if row is None:
            return False
        if row[0] is not None and now - float(row[0]) < self._lease / 2:
            return True
        with self._tx(durable=False) as db:
            cur = db.execute(
                "UPDATE operations SET claimed_at=? WHERE id=? AND claimed_by=?"
                " AND state='sending'",
                (now, entry_id, owner),
            )
            return cur.rowcount == 1

    def unclaim(self, entry_ids: Sequence[int]) -> None:
        """Give back claimed operations never attempted (no look-up needed before sending)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE operations SET state='waiting', claimed_by=NULL, claimed_at=NULL,"
                " attempts=max(attempts-1, 0) WHERE id=? AND state='sending'",
                [(i,) for i in entry_ids],
            )
        self._touch(entry_ids)

    def recover_orphans(self, is_alive: Callable[[str], bool]) -> int:
        """Take back claims whose sender process is gone (killed mid-send): fate unknown."""
        owners = [
            row[0]
            for row in self._db.execute(
                "SELECT DISTINCT claimed_by FROM operations WHERE claimed_by IS NOT NULL"
            ).fetchall()
        ]
        recovered = 0
        for owner in [o for o in owners if o is not None and not is_alive(o)]:
            with self._tx() as db:
                cur = db.execute(
                    "UPDATE operations SET state='waiting', uncertain=1, claimed_by=NULL,"
                    " claimed_at=NULL WHERE state='sending' AND claimed_by=? RETURNING id",
                    (owner,),
                )
                ids = [row[0] for row in cur.fetchall()]
            recovered += len(ids)
            self._touch(ids)
        return recovered

    def release_claims(self, owner: str) -> None:
        """Give back what `owner` claimed (clean shutdown mid-send): fate unknown → uncertain."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE operations SET state='waiting', uncertain=1, claimed_by=NULL,"
                " claimed_at=NULL WHERE state='sending' AND claimed_by=? RETURNING id",
                (owner,),
            )
            ids = [row[0] for row in cur.fetchall()]
        self._touch(ids)

    # -- outcomes ----------------------------------------------------------------------------

    def mark_sent(self, entry_id: int, outreach_id: int | None) -> None:
        """Record delivery. Not fsynced: if a power cut loses this, the operation is still
        claimed by a sender that is gone, comes back as uncertain, and is found in Outreach,
        not sent again."""
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
        whether a write of it may have been stored (None: unchanged)."""
        changes: dict[str, Any] = {
            "state": "waiting",
            "last_error": error,
            **self._wait(entry_id, delay),
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
            attempts=max(0, self._attempts(entry_id) - 1),
            **self._wait(entry_id, delay),
        )

    def since_posted(self, entry: Entry) -> float:
        """Seconds since its last write went out; infinity when unknown (a write from before
        this version, or whose time a power cut lost: one look settles it then)."""
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
        field_errors: Sequence[FieldError],
        *,
        uncertain: bool = False,
    ) -> None:
        """Set it aside for the rep. `uncertain`: a write of it may have been stored, so a
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

    def resend(
        self, entry_id: int, call: NewCall | None = None, *, body: JsonObject | None = None
    ) -> None:
        """Put it back in the queue now, optionally corrected by the rep (a call's `call`, or
        any kind's `body`)."""
        changes: dict[str, Any] = {
            "state": "waiting",
            "next_attempt_at": 0,
            "retry_wait": 0,
            "field_errors": "[]",
            "last_error": "",
        }
        if call is not None:
            body = call.to_document()
        if body is not None:
            changes["body"] = json.dumps(body)
        self._update(entry_id, **changes)

    def retry_now(self) -> list[int]:
        """Make every waiting operation due at once (the rep pressed "Retry now"); their ids."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE operations SET next_attempt_at=0, retry_wait=0 WHERE state='waiting'"
                " RETURNING id"
            )
            ids = [row[0] for row in cur.fetchall()]
        self._waits.clear()
        self._touch(ids)
        return ids

    def discard(self, entry_id: int) -> list[int]:
        """Throw it away unsent (waiting or needing attention), and every waiting or parked
        operation that needs it, however indirectly; the ids discarded (none when it was
        already being sent or sent)."""
        stamp = now_iso()
        with self._tx() as db:
            cur = db.execute(
                "UPDATE operations SET state='discarded', updated_at=?, claimed_by=NULL,"
                " claimed_at=NULL WHERE id=? AND state IN ('waiting', 'attention') RETURNING id",
                (stamp, entry_id),
            )
            ids = [row[0] for row in cur.fetchall()]
            frontier = list(ids)
            while frontier:
                marks = ",".join("?" for _ in frontier)
                cur = db.execute(
                    "UPDATE operations SET state='discarded', updated_at=?, claimed_by=NULL,"
                    " claimed_at=NULL WHERE state IN ('waiting', 'attention') AND id IN"
                    f" (SELECT op FROM needs WHERE needs IN ({marks})) RETURNING id",
                    (stamp, *frontier),
                )
                frontier = [row[0] for row in cur.fetchall()]
                ids += frontier
        for gone in ids:
            self._waits.pop(gone, None)
        self._touch(ids)
        return ids

    def _update(self, entry_id: int, *, durable: bool = True, **changes: Any) -> None:
        if changes.get("state") in ("sent", "attention", "discarded"):
            self._waits.pop(entry_id, None)  # it waits for nothing any more
        changes["updated_at"] = now_iso()
        changes.setdefault("claimed_by", None)
        changes.setdefault("claimed_at", None)
        cols = ", ".join(f"{k}=?" for k in changes)
        with self._tx(durable=durable) as db:
            db.execute(f"UPDATE operations SET {cols} WHERE id=?", (*changes.values(), entry_id))
        touched = [entry_id]
        if "state" in changes:  # what waits for it reads differently now
            rows = self._db.execute("SELECT op FROM needs WHERE needs=?", (entry_id,))
            touched += [row[0] for row in rows.fetchall()]
        self._touch(touched)

    # -- reading -----------------------------------------------------------------------------

    def get(self, entry_id: int) -> Entry:
        row = self._db.execute(_SELECT + " WHERE o.id=?", (entry_id,)).fetchone()
        if row is None:
            raise KeyError(entry_id)
        return self._entry(row)

    def get_many(self, entry_ids: Iterable[int]) -> list[Entry]:
        """Those of `entry_ids` that exist, oldest first."""
        wanted = sorted(set(entry_ids))
        found: list[Entry] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" for _ in chunk)
            rows = self._db.execute(
                _SELECT + f" WHERE o.id IN ({marks}) ORDER BY o.id", chunk
            ).fetchall()
            found += [self._entry(r) for r in rows]
        return found

    def entries(
        self,
        *,
        states: tuple[State, ...] = STATES,
        kinds: tuple[str, ...] | None = None,
        limit: int = 500,
    ) -> list[Entry]:
        """The newest operations first (of `kinds`, when given)."""
        marks = ",".join("?" for _ in states)
        where = f"o.state IN ({marks})"
        params: list[object] = [*states]
        if kinds is not None:
            where += f" AND o.kind IN ({','.join('?' for _ in kinds)})"
            params += kinds
        rows = self._db.execute(
            _SELECT + f" WHERE {where} ORDER BY o.id DESC LIMIT ?", (*params, limit)
        ).fetchall()
        return [self._entry(r) for r in rows]

    def followers(self, entry_id: int) -> list[Entry]:
        """The operations that need this one, oldest first."""
        rows = self._db.execute("SELECT op FROM needs WHERE needs=?", (entry_id,)).fetchall()
        return self.get_many(row[0] for row in rows)

    def given(self, entry: Entry) -> dict[str, Entry]:
        """What it needs, by role (each should be sent before it goes)."""
        found = {e.id: e for e in self.get_many(link.id for link in entry.needs)}
        return {link.role: found[link.id] for link in entry.needs if link.id in found}

    def state_of(self, entry_id: int) -> State | None:
        return self._state(entry_id)

    def _state(self, entry_id: int) -> State | None:
        row = self._db.execute("SELECT state FROM operations WHERE id=?", (entry_id,)).fetchone()
        return _state(row[0]) if row else None

    def contains(self, ref: str) -> bool:
        """Whether an operation with this reference (a call's `vendorCallId`) is stored."""
        row = self._db.execute("SELECT 1 FROM operations WHERE ref=?", (ref,)).fetchone()
        return row is not None

    def find(self, ref: str) -> Entry | None:
        """The operation with this reference, if one is stored."""
        row = self._db.execute(_SELECT + " WHERE o.ref=?", (ref,)).fetchone()
        return self._entry(row) if row else None

    def tally(self, *, since: str | None = None) -> dict[tuple[str, State], int]:
        """How many operations, by kind and state (added at or after `since`, ISO time)."""
        sql = "SELECT kind, state, count(*) FROM operations"
        params: tuple[str, ...] = ()
        if since is not None:
            sql += " WHERE created_at >= ?"
            params = (since,)
        rows = self._db.execute(sql + " GROUP BY kind, state", params).fetchall()
        return {(str(kind), _state(state)): int(n) for kind, state, n in rows}

    def next_due_in(self) -> float | None:
        """Seconds until the next operation in order is due (0 if now), None if nothing
        waits (or everything waiting is held by what needs attention)."""
        now, mono = self._clock(), self._monotonic()
        passed: set[int] = set()
        for row in self._waiting(self._db):
            entry = self._entry(row)
            verdict = self._verdict(entry, passed, set())
            if verdict == "pass":
                passed.add(entry.id)
                continue
            if verdict == "stop":
                return DEPENDENCY_POLL  # behind another sender's: look again soon
            return self._left(entry.id, row, now, mono)
        return None

    # -- waits -------------------------------------------------------------------------------

    def _wait(self, entry_id: int, delay: float) -> dict[str, Any]:
        """The columns of a wait of `delay` seconds from now, remembered on the monotonic
        clock too."""
        wait = finite_delay(delay, self._ceiling)
        due = self._clock() + wait
        self._waits[entry_id] = (self._monotonic() + wait, due)
        return {"next_attempt_at": due, "retry_wait": wait}

    def _left(self, entry_id: int, row: sqlite3.Row, now: float, mono: float) -> float:
        """Seconds until the row is due; 0 when it is due now.

        A wait is measured on the monotonic clock: the one this process set, or a stored one
        from the moment this process first reads it (unless another process reschedules the
        row). A stored wait counts from the wall clock at that moment, but never for longer
        than the wait chosen nor the ceiling: a clock set back, or an absurd value written by
        an older build, cannot stretch it.
        """
        due = _float(row["next_attempt_at"])
        mine = self._waits.get(entry_id)
        if mine is not None and mine[1] == due:
            return max(0.0, mine[0] - mono)
        if due is None or not math.isfinite(due):
            return 0.0
        wait = _float(row["retry_wait"])
        most = self._ceiling if wait is None or not math.isfinite(wait) else wait
        left = min(max(0.0, due - now), max(0.0, min(most, self._ceiling)))
        if left > 0:
            self._waits[entry_id] = (mono + left, due)  # from now on, on the monotonic clock
        return left

    def _attempts(self, entry_id: int) -> int:
        row = self._db.execute("SELECT attempts FROM operations WHERE id=?", (entry_id,)).fetchone()
        return max(0, int(row[0]) if row and isinstance(row[0], int) else 0)

    def _entry(self, row: sqlite3.Row) -> Entry:
        """The row as an Entry; a row that cannot be read in full still becomes one, with
        `damaged` saying why (never an exception: one bad row must not stop the rest)."""
        damaged = ""
        try:
            body = json.loads(row["body"])
            if not isinstance(body, dict):
                raise ValueError("not a JSON object")
        except Exception as exc:
            body = {}
            damaged = f"{type(exc).__name__}: {str(exc)[:120]}"
        try:
            field_errors = tuple(FieldError(*map(str, f)) for f in json.loads(row["field_errors"]))
        except Exception:
            field_errors = ()
        return Entry(
            id=row["id"],
            kind=str(row["kind"]),
            ref=str(row["ref"]),
            prospect_id=_int_or_none(row["prospect_id"]),
            body=body,
            summary=str(row["summary"] or ""),
            state=_state(row["state"]),
            uncertain=bool(row["uncertain"]),
            attempts=_int_or_none(row["attempts"]) or 0,
            next_attempt_at=_float(row["next_attempt_at"]) or 0.0,
            last_error=str(row["last_error"] or ""),
            field_errors=field_errors,
            outreach_id=_int_or_none(row["outreach_id"]),
            created_at=_when(row["created_at"]),
            updated_at=_when(row["updated_at"]),
            posted_at=_float(row["posted_at"]),
            needs=_links(row["deps"]),
            damaged=damaged,
        )


def tag(entry: Entry) -> str:
    """Enough to follow one operation through the log, never its content: "call 12 (3f2a9c1b)"."""
    return f"{entry.kind.replace('_', ' ')} {entry.id} ({entry.ref[:8]})"


def _links(text: object) -> tuple[Link, ...]:
    if not isinstance(text, str) or not text:
        return ()
    links = []
    for part in text.split(","):
        role, _, rest = part.partition(" ")
        ident, _, state = rest.partition(" ")
        if ident.isdigit():
            links.append(Link(role, int(ident), _state(state)))
    return tuple(sorted(links, key=lambda link: link.id))


def _state(value: object) -> State:
    for state in STATES:
        if value == state:
            return state
    return "attention"  # a state this version does not know: the rep looks at it


def _float(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _when(value: object) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, UTC)
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
