"""The SQLite schema, derived from the resource types, and its version."""

from __future__ import annotations

from collections.abc import Iterator

from .resources import RESOURCE_TYPES, ResourceType

SCHEMA_VERSION = 1

SEARCH_TERMS = (
    "CREATE TABLE IF NOT EXISTS search_terms "
    "(type TEXT NOT NULL, term TEXT NOT NULL, kind TEXT NOT NULL, rid INTEGER NOT NULL)"
)
SEARCH_TERMS_INDEXES = (
    "CREATE INDEX IF NOT EXISTS search_terms_lookup ON search_terms (type, term, kind, rid)",
    "CREATE INDEX IF NOT EXISTS search_terms_owner ON search_terms (type, rid, term)",
)
META = "CREATE TABLE IF NOT EXISTS sandbox_meta (key TEXT PRIMARY KEY, value TEXT)"
# OAuth: codes and tokens are stored as SHA-256 hashes, times as epoch seconds.
OAUTH_TABLES = (
    "CREATE TABLE IF NOT EXISTS oauth_codes (hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, "
    "redirect_uri TEXT NOT NULL, scope TEXT NOT NULL, user_id INTEGER NOT NULL, "
    "expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS oauth_access (hash TEXT PRIMARY KEY, user_id INTEGER NOT NULL, "
    "scope TEXT NOT NULL, expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS oauth_refresh (hash TEXT PRIMARY KEY, client_id TEXT NOT NULL, "
    "user_id INTEGER NOT NULL, scope TEXT NOT NULL, expires_at REAL NOT NULL)",
    "CREATE TABLE IF NOT EXISTS oauth_mints (user_id INTEGER PRIMARY KEY, at REAL NOT NULL)",
)


def table_ddl(rtype: ResourceType) -> str:
    """CREATE TABLE for one resource type."""
    columns = ["id INTEGER PRIMARY KEY AUTOINCREMENT", "attrs TEXT NOT NULL"]
    columns += [f"{rel.column} INTEGER" for rel in rtype.to_one]
    columns += [attr.column for attr in rtype.indexed]
    return f"CREATE TABLE IF NOT EXISTS {rtype.table} ({', '.join(columns)})"


def index_ddl(rtype: ResourceType) -> Iterator[str]:
    """CREATE INDEX statements for one resource type's lookups."""
    for rel in rtype.to_one:
        yield (
            f"CREATE INDEX IF NOT EXISTS {rtype.table}_{rel.column} "
            f"ON {rtype.table} ({rel.column}, id)"
        )
    for attr in (a for a in rtype.indexed if a.index):
        yield (
            f"CREATE INDEX IF NOT EXISTS {rtype.table}_{attr.column} "
            f"ON {rtype.table} ({attr.column}, id)"
        )


def tables() -> Iterator[str]:
    yield from (table_ddl(rtype) for rtype in RESOURCE_TYPES)
    yield SEARCH_TERMS
    yield META
    yield from OAUTH_TABLES


def indexes() -> Iterator[str]:
    """Created after the tables (and, when seeding, after the bulk load: faster)."""
    for rtype in RESOURCE_TYPES:
        yield from index_ddl(rtype)
    yield from SEARCH_TERMS_INDEXES
