"""The sandbox's SQLite database: every resource type in one file, WAL, synchronous commits.

A `Store` is used by one thread at a time (the server runs it on one worker thread, see
`dialer_app.sandbox.worker`). Lists use keyset pagination over indexed columns, so a page costs
the same at row 100,000 as at row 1.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .query import Condition, CursorKey, ListQuery
from .resources import BY_TYPE, ResourceType, ToMany
from .schema import SCHEMA_VERSION, indexes, tables
from .search import TERM_SOURCES, fold

DB_FILE = "sandbox.sqlite3"
# A prefix matching more terms than this is answered by walking the rows in order and probing
# each one's terms (few probes fill a page); a rarer prefix by collecting its matches first.
BROAD_PREFIX = 2000


class StoreError(RuntimeError):
    """The database cannot be used (another schema version, unreadable file)."""


@dataclass(frozen=True, slots=True)
class Row:
    """A stored resource: its attributes and the ids of its to-one relationships."""

    type: str
    id: int
    attrs: dict[str, Any]
    links: Mapping[str, int | None] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a list, the key to continue after it, and the total when asked for."""

    rows: list[Row]
    next_key: CursorKey | None
    count: int | None


def _dumps(attrs: dict[str, Any]) -> str:
    return json.dumps(attrs, ensure_ascii=False, separators=(",", ":"))


def _indexed_value(value: object, folded: bool) -> object:
    if value is None:
        return None
    if folded:
        return fold(str(value))
    if isinstance(value, bool | int | float | str):
        return value
    return _dumps({"v": value})


class Store:
    """Reads and writes resources described by `dialer_app.sandbox.resources`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    @classmethod
    def open(cls, data_dir: Path | None) -> Store:
        """Open (creating if needed) the database in `data_dir`; in memory when None."""
        if data_dir is None:
            return cls.open_file(":memory:")
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls.open_file(str(data_dir / DB_FILE))

    @classmethod
    def open_file(cls, target: str, *, bulk: bool = False) -> Store:
        """Open one database file; `bulk` trades crash safety for speed (for a file built aside)."""
        conn = sqlite3.connect(target, check_same_thread=False)
        try:
            cls._prepare(conn, bulk)
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreError(f"cannot use the sandbox database {target}: {exc}") from exc
        except StoreError:
            conn.close()
            raise
        return cls(conn)

    @staticmethod
    def _prepare(conn: sqlite3.Connection, bulk: bool) -> None:
        conn.execute(f"PRAGMA journal_mode={'OFF' if bulk else 'WAL'}")
        conn.execute(f"PRAGMA synchronous={'OFF' if bulk else 'FULL'}")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA busy_timeout=5000")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version not in (0, SCHEMA_VERSION):
            raise StoreError(
                f"the sandbox database has schema version {version}, this sandbox needs "
                f"{SCHEMA_VERSION}: start with an empty --data directory"
            )
        with conn:
            for statement in tables():
                conn.execute(statement)
            if not bulk:
                for statement in indexes():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def close(self) -> None:
        self._conn.close()

    @property
    def connection(self) -> sqlite3.Connection:
        """For the database's other tables (OAuth); the same one-thread rule applies."""
        return self._conn

    def create_indexes(self) -> None:
        """After a bulk load into a store opened with `bulk=True`."""
        with self._conn:
            for statement in indexes():
                self._conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one commit (rolled back if the block raises)."""
        with self._conn:
            yield

    # ---- metadata -------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return self._conn.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None

    def set_meta(self, key: str, value: str) -> None:
        with self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO sandbox_meta (key, value) VALUES (?, ?)", (key, value)
            )

    def meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM sandbox_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # ---- writes ---------------------------------------------------------------------------

    def insert_many(self, rtype: ResourceType, rows: Iterable[Row]) -> None:
        """Insert rows with their ids as given, plus their search terms (no commit)."""
        columns = ["id", "attrs", *(r.column for r in rtype.to_one)]
        columns += [a.column for a in rtype.indexed]
        sql = (
            f"INSERT INTO {rtype.table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        terms: list[tuple[str, str, str, int]] = []
        source = TERM_SOURCES.get(rtype.type)

        def values() -> Iterator[tuple[object, ...]]:
            for row in rows:
                if source is not None:
                    terms.extend((rtype.type, t, k, row.id) for k, t in source(row.attrs))
                yield (
                    row.id,
                    _dumps(row.attrs),
                    *(row.links.get(r.name) for r in rtype.to_one),
                    *(_indexed_value(row.attrs.get(a.name), a.folded) for a in rtype.indexed),
                )

        self._conn.executemany(sql, values())
        if terms:
            self._conn.executemany(
                "INSERT INTO search_terms (type, term, kind, rid) VALUES (?, ?, ?, ?)",
                terms,
            )

    def create(
        self, rtype: ResourceType, attrs: dict[str, Any], links: dict[str, int | None]
    ) -> Row:
        """Insert one resource with a new id and commit it."""
        with self._conn:
            next_id = self._conn.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = ?", (rtype.table,)
            ).fetchone()
            new_id = (next_id[0] if next_id else 0) + 1
            row = Row(rtype.type, new_id, attrs, links)
            self.insert_many(rtype, [row])
        return row

    def update(self, row: Row) -> None:
        """Replace one resource's attributes and links (not its search terms) and commit."""
        rtype = BY_TYPE[row.type]
        columns = ["attrs", *(r.column for r in rtype.to_one), *(a.column for a in rtype.indexed)]
        values = [
            _dumps(row.attrs),
            *(row.links.get(r.name) for r in rtype.to_one),
            *(_indexed_value(row.attrs.get(a.name), a.folded) for a in rtype.indexed),
        ]
        assignments = ", ".join(f"{c} = ?" for c in columns)
        with self._conn:
            self._conn.execute(
                f"UPDATE {rtype.table} SET {assignments} WHERE id = ?", [*values, row.id]
            )

    def update_many(self, rtype: ResourceType, rows: Sequence[Row], *, terms: bool = False) -> None:
        """Replace rows' attributes and links in one commit; their search terms too if `terms`."""
        columns = ["attrs", *(r.column for r in rtype.to_one), *(a.column for a in rtype.indexed)]
        assignments = ", ".join(f"{c} = ?" for c in columns)
        source = TERM_SOURCES.get(rtype.type) if terms else None
        with self._conn:
            self._conn.executemany(
                f"UPDATE {rtype.table} SET {assignments} WHERE id = ?",
                [
                    (
                        _dumps(row.attrs),
                        *(row.links.get(r.name) for r in rtype.to_one),
                        *(_indexed_value(row.attrs.get(a.name), a.folded) for a in rtype.indexed),
                        row.id,
                    )
                    for row in rows
                ],
            )
            if source is not None:
                for row in rows:
                    self._conn.execute(
                        "DELETE FROM search_terms WHERE type = ? AND rid = ?", (rtype.type, row.id)
                    )
                    self._conn.executemany(
                        "INSERT INTO search_terms (type, term, kind, rid) VALUES (?, ?, ?, ?)",
                        [(rtype.type, t, k, row.id) for k, t in source(row.attrs)],
                    )

    def count(self, rtype: ResourceType) -> int:
        return int(self._conn.execute(f"SELECT COUNT(*) FROM {rtype.table}").fetchone()[0])

    def delete(self, rtype: ResourceType, rid: int) -> bool:
        with self._conn:
            gone = self._conn.execute(f"DELETE FROM {rtype.table} WHERE id = ?", (rid,)).rowcount
            self._conn.execute(
                "DELETE FROM search_terms WHERE type = ? AND rid = ?", (rtype.type, rid)
            )
        return gone > 0

    # ---- reads ----------------------------------------------------------------------------

    def _select(self, rtype: ResourceType) -> str:
        rels = "".join(f", {r.column}" for r in rtype.to_one)
        return f"SELECT id, attrs{rels} FROM {rtype.table}"

    def _row(self, rtype: ResourceType, raw: Sequence[Any]) -> Row:
        links = {r.name: raw[2 + i] for i, r in enumerate(rtype.to_one)}
        return Row(rtype.type, raw[0], json.loads(raw[1]), links)

    def get(self, rtype: ResourceType, rid: int) -> Row | None:
        raw = self._conn.execute(f"{self._select(rtype)} WHERE id = ?", (rid,)).fetchone()
        return None if raw is None else self._row(rtype, raw)

    def get_many(self, rtype: ResourceType, ids: Iterable[int]) -> list[Row]:
        wanted = sorted(set(ids))
        out: list[Row] = []
        for chunk in _chunks(wanted, 500):
            marks = ", ".join("?" * len(chunk))
            cur = self._conn.execute(f"{self._select(rtype)} WHERE id IN ({marks})", chunk)
            out += [self._row(rtype, raw) for raw in cur]
        return out

    def exists(self, type_name: str, rid: int) -> bool:
        rtype = BY_TYPE.get(type_name)
        if rtype is None:
            return False
        sql = f"SELECT 1 FROM {rtype.table} WHERE id = ?"
        return self._conn.execute(sql, (rid,)).fetchone() is not None

    def linkage(self, rel: ToMany, owner_ids: Sequence[int]) -> dict[int, list[int]]:
        """For each owner id, the ids of its `rel` children, in order."""
        child = BY_TYPE[rel.target]
        via = f"rel_{rel.via}"
        out: dict[int, list[int]] = {i: [] for i in owner_ids}
        order = f"{rel.order}, " if rel.order else ""
        for chunk in _chunks(list(owner_ids), 500):
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT {via}, id FROM {child.table} WHERE {via} IN ({marks})"
            args: list[object] = list(chunk)
            if rel.only is not None:
                sql += f" AND {rel.only[0]} = ?"
                args.append(rel.only[1])
            for owner, cid in self._conn.execute(f"{sql} ORDER BY {via}, {order}id", args):
                out[owner].append(cid)
        return out

    def _where(
        self, rtype: ResourceType, conditions: Iterable[Condition], probe: bool
    ) -> tuple[list[str], list[object]]:
        clauses: list[str] = []
        args: list[object] = []
        for cond in conditions:
            sql, cond_args = self._condition_sql(rtype, cond, probe)
            clauses.append(sql)
            args += cond_args
        return clauses, args

    def page(self, rtype: ResourceType, query: ListQuery) -> Page:
        count = None
        if query.count:  # every match is visited anyway: collecting them is cheapest
            clauses, args = self._where(rtype, query.conditions, probe=False)
            where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
            sql = f"SELECT COUNT(*) FROM {rtype.table}{where}"
            count = int(self._conn.execute(sql, args).fetchone()[0])
        clauses, args = self._where(rtype, query.conditions, probe=True)
        direction = "DESC" if query.descending else "ASC"
        cmp = "<" if query.descending else ">"
        by_id = query.sort_column == "id"
        if query.after is not None:
            if by_id:
                clauses.append(f"id {cmp} ?")
            else:
                clauses.append(f"({query.sort_column}, id) {cmp} (?, ?)")
            args += list(query.after[-1:] if by_id else query.after[-2:])
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        order = f"id {direction}" if by_id else f"{query.sort_column} {direction}, id {direction}"
        sort_value = "" if by_id else f", {query.sort_column}"
        rels = "".join(f", {r.column}" for r in rtype.to_one)
        sql = (
            f"SELECT id, attrs{rels}{sort_value} FROM {rtype.table}{where} ORDER BY {order} LIMIT ?"
        )
        raws = self._conn.execute(sql, [*args, query.size + 1]).fetchall()
        next_key: CursorKey | None = None
        if len(raws) > query.size:
            last = raws[query.size - 1]
            next_key = (last[0],) if by_id else (last[-1], last[0])
            raws = raws[: query.size]
        return Page([self._row(rtype, raw) for raw in raws], next_key, count)

    def _condition_sql(
        self, rtype: ResourceType, cond: Condition, probe: bool
    ) -> tuple[str, list[object]]:
        flt, values = cond.filter, list[object](cond.values)
        if flt.kind == "ids":
            return f"{flt.column} IN ({', '.join('?' * len(values))})", values
        if flt.kind in ("exact", "folded"):
            return f"{flt.column} = ?", values
        if flt.kind == "range":
            low, high = values
            bounds = [(f"{flt.column} >= ?", low), (f"{flt.column} <= ?", high)]
            used = [(sql, value) for sql, value in bounds if value != ""]
            return " AND ".join(sql for sql, _ in used) or "1", [value for _, value in used]
        if flt.kind == "phone":  # the normalised dialect: digits only, national ones as suffix
            scope, digits = values
            if not digits:
                return "0", []
            if scope == "intl":
                return f"{flt.column} = ?", [f"+{digits}"]
            return f"{flt.column} LIKE ?", [f"%{digits}"]
        if flt.kind == "term":
            sql = "id IN (SELECT rid FROM search_terms WHERE type = ? AND term = ? AND kind = ?)"
            if flt.exact_attr:  # the exact dialect: the stored value, case and blanks included
                sql += f" AND json_extract(attrs, '$.{flt.exact_attr}') = ?"
                return sql, [rtype.type, values[0], flt.term_kind, values[1]]
            return sql, [rtype.type, values[0], flt.term_kind]
        if not values:
            return "0", []
        args = [rtype.type, *values]
        if probe and self._is_broad(args):
            sql = (
                "EXISTS (SELECT 1 FROM search_terms AS s WHERE s.type = ? "
                f"AND s.rid = {rtype.table}.id AND s.term >= ? AND s.term < ?)"
            )
        else:
            sql = "id IN (SELECT rid FROM search_terms WHERE type = ? AND term >= ? AND term < ?)"
        return sql, args

    def _is_broad(self, args: list[object]) -> bool:
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM search_terms "
            "WHERE type = ? AND term >= ? AND term < ? LIMIT ?)"
        )
        return int(self._conn.execute(sql, [*args, BROAD_PREFIX]).fetchone()[0]) >= BROAD_PREFIX


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
