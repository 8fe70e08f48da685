"""Where the app keeps its data, config and logs (platformdirs; `DIALER_HOME` overrides all)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_DIR_NAME = "dialer-companion"


def _home() -> Path | None:
    home = os.environ.get("DIALER_HOME")
    return Path(home) if home else None


def data_dir() -> Path:
    """Durable data: the demo sandbox's database, the outbox, drafts."""
    home = _home()
    path = (
        home / "data" if home else Path(platformdirs.user_data_dir(APP_DIR_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Settings and org profiles."""
    home = _home()
    path = (
        home / "config"
        if home
        else Path(platformdirs.user_config_dir(APP_DIR_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    home = _home()
    path = home / "logs" if home else Path(platformdirs.user_log_dir(APP_DIR_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path
