"""The local index: the prospects a rep is likely to call, on disk, searchable as you type.

It holds the rep's own prospects, those with the rep's open call tasks and those seen lately (found
in a search or opened), in one SQLite file in the data directory: an FTS5 table of their folded
names, companies and email addresses, and a table of their numbers. Type-ahead by name, company,
part of an email or the start of a number answers from here in about a millisecond — offline
too — before Outreach's answer, which is then merged with it (`dialer_app.core.index_sync` fills
it in the background).

`ProspectIndex.search` reads through a connection of its own and may run on the UI thread;
writing (`upsert`, `set_tasks`, `mark_seen`, `clear`, `set_meta`) belongs to one writer thread
and never blocks a reader (WAL). Candidates come from FTS5 in priority order — open call task,
then the rep's own, then the rest, newest first within each — and are then checked and ranked
exactly as Outreach's answers are (`dialer_app.core.outreach.search`), so the reasons agree.

A damaged or foreign file is set aside (`<name>.damaged`) and a new index started: it is a cache.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .outreach.models import Match, PhoneNumber, Prospect
from .outreach.search import Query, checked, digits_of, national_digits, rank, words

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
CANDIDATES = 40  # FTS5 rows read per search (in priority order), then checked and ranked
ID_BITS = 40  # FTS rowid = priority << ID_BITS | prospect id: `ORDER BY rowid DESC` ranks
# Why a prospect is in the index (a bit set; a prospect with no reason left leaves it): the
# rep's own, an open call task of the rep, seen lately, or an index of everyone (`ANY`).
OWN, TASK, SEEN, ANY = 1, 2, 4, 8

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS prospects (id INTEGER PRIMARY KEY, doc TEXT NOT NULL, "
    "why INTEGER NOT NULL, key INTEGER NOT NULL, owner INTEGER, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS numbers (number TEXT NOT NULL, prospect INTEGER NOT NULL, "
    "national TEXT NOT NULL, PRIMARY KEY (number, prospect)) WITHOUT ROWID",
    "CREATE INDEX IF NOT EXISTS numbers_national ON numbers (national)",
    "CREATE VIRTUAL TABLE IF NOT EXISTS prospect_text USING fts5("
    "name, company, emails, tokenize=\"unicode61 remove_diacritics 2\", prefix='1 2 3')",
)


class IndexUnusable(RuntimeError):
    """The index file cannot be used, not even after setting it aside."""


# ---- a prospect on disk: a compact JSON array --------------------------------------------


def encode(p: Prospect) -> str:
    numbers = [[n.number, n.phone_type, n.extension, n.id] for n in p.phone_numbers]
    row = [
        p.first_name,
        p.last_name,
        p.title,
        p.company,
        list(p.emails),
        p.time_zone,
        int(p.call_opted_out),
        numbers,
    ]
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


@functools.lru_cache(maxsize=256)  # the same prospects come back keystroke after keystroke
def decode(prospect_id: int, doc: str) -> Prospect:
    first, last, title, company, emails, tz, opted_out, numbers = json.loads(doc)
    return Prospect(
        id=prospect_id,
        first_name=first,
        last_name=last,
        title=title,
        company=company,
        emails=tuple(emails),
        time_zone=tz,
        call_opted_out=bool(opted_out),
        phone_numbers=tuple(PhoneNumber(i, n, t, x) for n, t, x, i in numbers),
    )


def _texts(p: Prospect) -> tuple[str, str, str]:
    """What FTS5 indexes: the folded words of the name, the company, the email addresses."""
    return (
        " ".join(words(f"{p.first_name} {p.last_name}")),
        " ".join(words(p.company)),
        " ".join(" ".join(words(x)) for x in p.emails),
    )


def _key(prospect_id: int, why: int) -> int:
    priority = 2 if why & TASK else 1 if why & OWN else 0
    return priority << ID_BITS | prospect_id


@dataclass(frozen=True, slots=True)
class Entry:
    """A prospect as the sync writes it: the card's fields, its owner and its last change."""

    prospect: Prospect
    owner: int | None = None
    updated_at: str = ""


@dataclass(frozen=True, slots=True)
class _Stored:
    why: int
    key: int
    doc: str
    owner: int | None
    updated_at: str


class ProspectIndex:
    """One index file: reads from one thread (the UI's), writes from one writer thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._reader = self._open()

    # -- the file ---------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=0.05, isolation_level=None)
        conn.execute("PRAGMA busy_timeout=50")
        return conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for attempt in (1, 2):
            conn: sqlite3.Connection | None = None
            try:
                conn = self._connect()
                conn.execute("PRAGMA journal_mode=WAL").fetchall()
                (version,) = conn.execute("PRAGMA user_version").fetchall()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise sqlite3.DatabaseError(f"schema version {version}, not {SCHEMA_VERSION}")
                for statement in SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
                conn.execute("SELECT count(*) FROM prospect_text").fetchall()
                return conn
            except sqlite3.DatabaseError as exc:
                if conn is not None:
                    conn.close()
                if attempt == 2:
                    raise IndexUnusable(f"cannot use the local index {self.path}: {exc}") from exc
                self._set_aside(exc)
        raise AssertionError("unreachable")  # pragma: no cover

    def _set_aside(self, why: BaseException) -> None:
        aside = self.path.with_name(self.path.name + ".damaged")
        log.warning("the local index %s is unreadable (%s): set aside as %s", self.path, why, aside)
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{aside}{suffix}")

    def close(self) -> None:
        """Close the reader (and this thread's writer, if any)."""
        self.close_writer()
        self._reader.close()

    @property
    def _writer(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "writer", None)
        if conn is None:
            conn = self._connect()
            conn.execute("PRAGMA synchronous=NORMAL")  # a cache: a power cut may lose a pass
            conn.execute("PRAGMA cache_size=-1024")  # 1 MB: writes stream through
            self._local.writer = conn
        return conn

    def close_writer(self) -> None:
        """Close the calling thread's writer connection (the writer thread, when it ends)."""
        writer = getattr(self._local, "writer", None)
        if writer is not None:
            writer.close()
            self._local.writer = None

    # -- reading ----------------------------------------------------------------------------

    def _one(self, sql: str, args: tuple[object, ...] = ()) -> tuple[Any, ...] | None:
        rows = self._reader.execute(sql, args).fetchall()  # all: no read left open
        return rows[0] if rows else None

    def __len__(self) -> int:
        row = self._one("SELECT count(*) FROM prospects")
        return int(row[0]) if row else 0

    def meta(self, key: str) -> str | None:
        row = self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return None if row is None else str(row[0])

    def get(self, prospect_id: int) -> Prospect | None:
        row = self._one("SELECT doc FROM prospects WHERE id = ?", (prospect_id,))
        return None if row is None else decode(prospect_id, row[0])

    def search(self, query: Query, limit: int = 20) -> list[Match]:
        """Indexed prospects matching `query`, checked and ranked; [] when the file is busy."""
        try:
            ids = self._candidates(query)
            if not ids:
                return []
            marks = ",".join("?" * len(ids))
            rows = self._reader.execute(  # in priority order, whichever table found them
                f"SELECT id, doc FROM prospects WHERE id IN ({marks}) ORDER BY key DESC", ids
            ).fetchall()
        except sqlite3.Error as exc:  # a local answer is a bonus, never an error for the rep
            log.warning("the local index could not be searched: %s", exc)
            return []
        prospects = [decode(pid, doc) for pid, doc in rows]
        return rank(query, checked(query, prospects), limit)

    def _candidates(self, query: Query) -> list[int]:
        ids: list[int] = []
        if query.kind == "phone":
            ids += self._column("SELECT prospect FROM numbers WHERE number = ?", query.e164)
        elif query.kind == "partial phone" and len(query.digits) >= 3:
            ids += self._number_prefix(query)
        if query.tokens and query.kind != "phone":
            rows = self._reader.execute(
                "SELECT rowid FROM prospect_text WHERE prospect_text MATCH ? "
                "ORDER BY rowid DESC LIMIT ?",
                (" ".join(f'"{t}"*' for t in query.tokens), CANDIDATES),
            ).fetchall()
            ids += [r[0] & ((1 << ID_BITS) - 1) for r in rows]
        return list(dict.fromkeys(ids))

    def _column(self, sql: str, *args: object) -> list[int]:
        return [r[0] for r in self._reader.execute(f"{sql} LIMIT {CANDIDATES}", args).fetchall()]

    def _number_prefix(self, query: Query) -> list[int]:
        """Numbers starting with the digits typed: with the country code (`+`, `00`), else as
        a national number (a trunk `0` dropped) or a whole number without its `+`."""
        typed = query.digits
        if query.text.startswith("+") or typed.startswith("00"):
            ranges = [("number", "+" + (typed if query.text.startswith("+") else typed[2:]))]
        else:
            ranges = [("national", typed.lstrip("0") or typed), ("number", "+" + typed)]
        out: list[int] = []
        for column, start in ranges:
            out += self._column(
                f"SELECT prospect FROM numbers WHERE {column} >= ? AND {column} < ?",
                start,
                start + "\uffff",
            )
        return out

    # -- writing (the writer thread only) ---------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self._writer
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def set_meta(self, values: Mapping[str, str]) -> None:
        with self._transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", list(values.items()))

    def upsert(
        self,
        entries: Iterable[Entry],
        *,
        add: int = 0,
        me: int | None = None,
        keep_numbers: bool = False,
    ) -> int:
        """Write prospects with the reasons `add` added; with `me`, the own reason follows the
        owner; with `keep_numbers`, a prospect given without numbers keeps those it had.
        Returns how many were written (a prospect left with no reason is removed instead).
        A prospect given twice counts as given once, the last time (with `keep_numbers`, with
        the numbers it was last given)."""
        latest: dict[int, Entry] = {}
        for entry in entries:
            earlier = latest.get(entry.prospect.id)
            if keep_numbers and earlier is not None and not entry.prospect.phone_numbers:
                numbers = earlier.prospect.phone_numbers
                entry = replace(entry, prospect=replace(entry.prospect, phone_numbers=numbers))
            latest[entry.prospect.id] = entry
        with self._transaction() as conn:
            olds = self._stored_many(conn, list(latest))
            gone: list[tuple[int, _Stored]] = []
            fresh: list[tuple[Prospect, _Stored]] = []
            for pid, entry in latest.items():
                p, old = entry.prospect, olds.get(pid)
                why = (old.why if old else 0) | add
                if me is not None:
                    why = why | OWN if entry.owner == me else why & ~OWN
                if old is not None:
                    gone.append((pid, old))
                if why == 0:
                    continue
                if keep_numbers and old is not None and not p.phone_numbers:
                    p = replace(p, phone_numbers=decode(pid, old.doc).phone_numbers)
                owner = entry.owner if entry.owner is not None else (old.owner if old else None)
                updated = entry.updated_at or (old.updated_at if old else "")
                fresh.append((p, _Stored(why, _key(pid, why), encode(p), owner, updated)))
            self._remove_all(conn, gone)
            self._insert_all(conn, fresh)
        return len(fresh)

    @staticmethod
    def _stored_many(conn: sqlite3.Connection, ids: list[int]) -> dict[int, _Stored]:
        out: dict[int, _Stored] = {}
        for first in range(0, len(ids), 500):
            chunk = ids[first : first + 500]
            rows = conn.execute(
                "SELECT id, why, key, doc, owner, updated_at FROM prospects "
                f"WHERE id IN ({','.join('?' * len(chunk))})",
                chunk,
            ).fetchall()
            out.update((row[0], _Stored(*row[1:])) for row in rows)
        return out

    @staticmethod
    def _remove_all(conn: sqlite3.Connection, gone: list[tuple[int, _Stored]]) -> None:
        """Take prospects out of every table (their old record says what to take)."""
        conn.executemany("DELETE FROM prospect_text WHERE rowid = ?", [(o.key,) for _, o in gone])
        conn.executemany(
            "DELETE FROM numbers WHERE number = ? AND prospect = ?",
            [
                ("+" + digits_of(n.number), pid)
                for pid, old in gone
                for n in decode(pid, old.doc).phone_numbers
            ],
        )
        conn.executemany("DELETE FROM prospects WHERE id = ?", [(pid,) for pid, _ in gone])

    @staticmethod
    def _insert_all(conn: sqlite3.Connection, fresh: list[tuple[Prospect, _Stored]]) -> None:
        conn.executemany(
            "INSERT INTO prospects (id, doc, why, key, owner, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(p.id, n.doc, n.why, n.key, n.owner, n.updated_at) for p, n in fresh],
        )
        conn.executemany(
            "INSERT INTO prospect_text (rowid, name, company, emails) VALUES (?, ?, ?, ?)",
            [(n.key, *_texts(p)) for p, n in fresh],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO numbers (number, prospect, national) VALUES (?, ?, ?)",
            [
                ("+" + digits_of(x.number), p.id, national_digits(x.number))
                for p, _ in fresh
                for x in p.phone_numbers
                if digits_of(x.number)
            ],
        )

    def mark_seen(self, prospects: Iterable[Prospect]) -> int:
        """Prospects the rep saw (found or opened): found from the index from now on."""
        return self.upsert((Entry(p) for p in prospects), add=SEEN, keep_numbers=True)

    def set_tasks(self, prospect_ids: Iterable[int]) -> list[int]:
        """Exactly these prospects have the rep's open call tasks. Returns those not indexed
        yet (to be read and written with `upsert(add=TASK)`)."""
        wanted = set(prospect_ids)
        present: set[int] = set()
        with self._transaction() as conn:
            flagged = conn.execute("SELECT id FROM prospects WHERE why & ?", (TASK,)).fetchall()
            for (pid,) in flagged:
                if pid not in wanted:
                    self._change_why(conn, pid, lambda why: why & ~TASK)
            for pid in wanted:
                if self._change_why(conn, pid, lambda why: why | TASK):
                    present.add(pid)
        return sorted(wanted - present)

    def keep_own(self, prospect_ids: Iterable[int]) -> int:
        """After a full pass over the rep's prospects: those not in it are no longer the rep's
        (reassigned or deleted). Returns how many lost that reason."""
        keep = set(prospect_ids)
        dropped = 0
        with self._transaction() as conn:
            owned = conn.execute("SELECT id FROM prospects WHERE why & ?", (OWN,)).fetchall()
            for (pid,) in owned:
                if pid not in keep:
                    self._change_why(conn, pid, lambda why: why & ~OWN)
                    dropped += 1
        return dropped

    def clear(self) -> None:
        """Forget every prospect and the sync's progress (another rep signed in)."""
        with self._transaction() as conn:
            for table in ("prospects", "numbers", "prospect_text", "meta"):
                conn.execute(f"DELETE FROM {table}")

    def _change_why(self, conn: sqlite3.Connection, pid: int, change: Callable[[int], int]) -> bool:
        rows = conn.execute("SELECT why, key FROM prospects WHERE id = ?", (pid,)).fetchall()
        if not rows:
            return False
        (old_why, old_key), why = rows[0], change(rows[0][0])
        if why == old_why:
            return True
        if why == 0:  # no reason left to keep it
            old = self._stored_many(conn, [pid])[pid]
            self._remove_all(conn, [(pid, old)])
            return True
        key = _key(pid, why)  # a new priority: the same row under its new key
        conn.execute("UPDATE prospects SET why = ?, key = ? WHERE id = ?", (why, key, pid))
        conn.execute("UPDATE prospect_text SET rowid = ? WHERE rowid = ?", (key, old_key))
        return True


def size_on_disk(path: Path) -> int:
    """Bytes of an index file with its WAL."""
    total = 0
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            total += Path(f"{path}{suffix}").stat().st_size
    return total
