"""Where the app keeps its data, config and logs (platformdirs; `DIALER_HOME` overrides all).

Each folder is private to the user (0700; on Windows the per-user profile already is).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from .files import private_dir, private_file

APP_DIR_NAME = "dialer-companion"


def _home() -> Path | None:
    home = os.environ.get("DIALER_HOME")
    return Path(home) if home else None


def _platform(kind: Literal["data", "config", "log"]) -> Path:
    """The user's folder of `kind` as the OS lays them out."""
    import platformdirs  # only without DIALER_HOME

    if kind == "data":
        return Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    if kind == "config":
        return Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))
    return Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))


def data_dir() -> Path:
    """Durable data: the demo sandbox's database, the outbox, drafts."""
    home = _home()
    return private_dir(home / "data" if home else _platform("data"))


def config_dir() -> Path:
    """Settings and org profiles."""
    home = _home()
    return private_dir(home / "config" if home else _platform("config"))


def log_dir() -> Path:
    home = _home()
    return private_dir(home / "logs" if home else _platform("log"))


def database(path: Path) -> Path:
    """`path` made ready for SQLite to open: created private (0600) if missing, made private
    if not; SQLite gives its `-wal` and `-shm` files the database's own mode."""
    for suffix in ("-wal", "-shm"):
        side = path.with_name(path.name + suffix)
        if side.is_file():
            private_file(side)
    if path.is_dir() or (path.exists() and not path.is_file()):
        return path  # not a database: the caller's open fails and says so; nothing is touched
    return private_file(path)
