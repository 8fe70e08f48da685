"""Opening the data directory: its database if it holds data, else a freshly seeded one.

A new database is built next to its final name with journaling off (fast), synced, and then
renamed into place, so the directory never holds a half-seeded database, even after a kill.
A database that holds data is opened as it is, its seeded open tasks rolled forward to the day
of `now` (`dialer_app.sandbox.demo_day.roll_forward`).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from .demo_day import local_now, roll_forward
from .seed import SeedSummary, seed
from .store import DB_FILE, Store

SIDE_FILES = ("-wal", "-shm", "-journal")


def _remove_db(path: Path) -> None:
    for suffix in ("", *SIDE_FILES):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def open_seeded(
    data_dir: Path | None, prospects: int, seed_value: int, now: datetime | None = None
) -> tuple[Store, SeedSummary | None]:
    """The store of `data_dir` (in memory when None) and the summary if it was seeded now.

    `now` (default: the current time) is the seed's epoch, or the day to roll forward to.
    """
    now = now or local_now()
    if data_dir is None:
        store = Store.open(None)
        return store, seed(store, prospects=prospects, seed=seed_value, now=now)
    data_dir.mkdir(parents=True, exist_ok=True)
    final = data_dir / DB_FILE
    if final.exists():
        store = Store.open(data_dir)
        if not store.is_empty():
            roll_forward(store, now)
            return store, None
        store.close()
        _remove_db(final)
    building = data_dir / f"{DB_FILE}.seeding"
    _remove_db(building)
    bulk = Store.open_file(str(building), bulk=True)
    try:
        summary = seed(bulk, prospects=prospects, seed=seed_value, now=now)
        bulk.create_indexes()
    finally:
        bulk.close()
    with open(building, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(building, final)
    return Store.open(data_dir), summary
