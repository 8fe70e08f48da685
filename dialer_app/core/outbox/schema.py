"""The outbox file's tables, and how an outbox of an earlier version becomes one of this version.

Version 2 (this one) keeps *operations* (`operations`) and what each waits for (`needs`: one row
per earlier operation it needs, under a role name such as `call` or `prospect`).

Version 1 kept one row per call in `outbox`, with the call's task follow-up in `task_*` columns
(and columns added over its life: see `FIRST_LATER_COLUMNS`). Opening one migrates it in a single
transaction: every call becomes a `call` operation with its id, state, waits, claim and errors;
every follow-up becomes a `complete_task` operation that needs that call (waiting, done, or
needing attention when it had failed); then the old table is dropped, so that an older version
opening the file later finds an empty outbox rather than calls it would send a second time.
"""

from __future__ import annotations

import json
import sqlite3
import uuid

VERSION = 2

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS operations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        ref TEXT NOT NULL UNIQUE,
        prospect_id INTEGER,
        body TEXT NOT NULL,
        summary TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL DEFAULT 'waiting',
        uncertain INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL DEFAULT 0,
        retry_wait REAL,
        claimed_by TEXT,
        claimed_at REAL,
        posted_at REAL,
        last_error TEXT NOT NULL DEFAULT '',
        field_errors TEXT NOT NULL DEFAULT '[]',
        outreach_id INTEGER,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS operations_due ON operations (state, id)",
    # The counts (all, and today's) read these indexes alone, not the table with its bodies:
    # they are asked after every change the view shows.
    "CREATE INDEX IF NOT EXISTS operations_tally ON operations (kind, state)",
    "CREATE INDEX IF NOT EXISTS operations_today ON operations (created_at, kind, state)",
    "DROP INDEX IF EXISTS operations_created",  # the first files of this version had it
    """CREATE TABLE IF NOT EXISTS needs (
        op INTEGER NOT NULL,
        role TEXT NOT NULL,
        needs INTEGER NOT NULL,
        PRIMARY KEY (op, role)
    )""",
    "CREATE INDEX IF NOT EXISTS needs_by_need ON needs (needs)",
)

# -- version 1, as it was written (kept to open and migrate such files, and to test that) -------

FIRST_SCHEMA = """
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
# Columns version 1 added over its life; a file may have any prefix of them.
FIRST_LATER_COLUMNS = (
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


class NewerVersion(Exception):
    """The file was written by a newer version of the app."""


def prepare(db: sqlite3.Connection, now: float) -> None:
    """Make the file an outbox of this version (creating or migrating it); idempotent.

    Runs in one `BEGIN IMMEDIATE` transaction, so two processes opening the same old file
    migrate it once. Raises `sqlite3.Error` (the file cannot be used: nothing is changed) or
    `NewerVersion`.
    """
    if _version(db) == VERSION and _has(db, "operations") and _has(db, "operations_today", "index"):
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _version(db)
        if version > VERSION:
            raise NewerVersion(f"it was written by a newer version of the app (format {version})")
        for statement in SCHEMA:
            db.execute(statement)
        if _has(db, "outbox"):
            _migrate_first(db, now)
        db.execute(f"PRAGMA user_version = {VERSION}")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _version(db: sqlite3.Connection) -> int:
    row = db.execute("PRAGMA user_version").fetchone()
    return int(row[0]) if row else 0


def _has(db: sqlite3.Connection, name: str, type_: str = "table") -> bool:
    row = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type=? AND name=?", (type_, name)
    ).fetchone()
    return row is not None


def _migrate_first(db: sqlite3.Connection, now: float) -> None:
    """Version 1's `outbox` table → operations (see the module docstring)."""
    have = {row[1] for row in db.execute("PRAGMA table_info(outbox)").fetchall()}
    for name, decl in FIRST_LATER_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {decl}")
            if name == "posted_at":  # a build before it may have been mid-POST: look for
                db.execute(  # those calls over a whole window from now
                    "UPDATE outbox SET posted_at=? WHERE state='sending' OR"
                    " (state='waiting' AND uncertain=1)",
                    (now,),
                )
    db.execute(
        "INSERT INTO operations (id, kind, ref, prospect_id, body, summary, state, uncertain,"
        " attempts, next_attempt_at, retry_wait, claimed_by, claimed_at, posted_at, last_error,"
        " field_errors, outreach_id, created_at, updated_at)"
        " SELECT id, 'call', vendor_call_id, prospect_id, body, summary, state, uncertain,"
        " attempts, next_attempt_at, retry_wait,"
        " CASE WHEN state='sending' THEN claimed_by END,"
        " CASE WHEN state='sending' THEN claimed_at END,"
        " posted_at, last_error, field_errors, outreach_id, created_at, updated_at"
        " FROM outbox ORDER BY id"
    )
    follow_ups = db.execute(
        "SELECT id, prospect_id, summary, task_id, task_action, task_state, task_attempts,"
        " task_next_at, task_wait, task_error, created_at, updated_at FROM outbox"
        " WHERE task_state IN ('pending', 'done', 'failed') AND task_id IS NOT NULL ORDER BY id"
    ).fetchall()
    for (
        call_id,
        prospect_id,
        summary,
        task_id,
        action,
        task_state,
        attempts,
        next_at,
        wait,
        error,
        created_at,
        updated_at,
    ) in follow_ups:
        state = {"pending": "waiting", "done": "sent", "failed": "attention"}[task_state]
        body = {"task": task_id, "completionAction": action or ""}
        cur = db.execute(
            "INSERT INTO operations (kind, ref, prospect_id, body, summary, state, attempts,"
            " next_attempt_at, retry_wait, last_error, outreach_id, created_at, updated_at)"
            " VALUES ('complete_task', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                uuid.uuid4().hex,
                prospect_id,
                json.dumps(body),
                summary,
                state,
                attempts or 0,
                next_at or 0,
                wait,
                error or "",
                task_id if state == "sent" else None,
                created_at,
                updated_at,
            ),
        )
        db.execute(
            "INSERT INTO needs (op, role, needs) VALUES (?, 'call', ?)", (cur.lastrowid, call_id)
        )
    db.execute("DROP TABLE outbox")
