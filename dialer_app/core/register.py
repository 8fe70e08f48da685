"""`dialer-app --register-handlers` on Linux: install the `.desktop` entry and make it the user's
handler for each scheme with `xdg-mime`. The entry itself comes from `handlers.desktop_entry`."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .. import APP_ID
from . import files
from .handlers import URL_SCHEMES, desktop_entry

DESKTOP_FILE = f"{APP_ID}.desktop"
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


class RegisterError(RuntimeError):
    """Registration failed; the message says what to do."""


def exec_quote(arg: str) -> str:
    """One argument of a desktop entry's Exec key, quoted as the freedesktop spec asks."""
    arg = arg.replace("%", "%%")
    if not any(ch in _RESERVED for ch in arg):
        return arg
    escaped = "".join("\\" + ch if ch in '"`$\\' else ch for ch in arg)
    return f'"{escaped}"'


def launch_command() -> str:
    """How the desktop starts this very installation of the app."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "dialer-app" and script.exists():
        return exec_quote(str(script.resolve()))
    return " ".join(exec_quote(a) for a in (sys.executable, "-m", "dialer_app"))


def applications_dir() -> Path:
    data_home = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "applications"


def register_linux(exec_command: str | None = None) -> Path:
    """Write the entry to the user's applications directory and make it the scheme handler."""
    xdg_mime = shutil.which("xdg-mime")
    if xdg_mime is None:
        raise RegisterError("xdg-mime is missing: install xdg-utils and run this again.")
    apps = applications_dir()
    apps.mkdir(parents=True, exist_ok=True)
    path = apps / DESKTOP_FILE
    # Desktop entries are read by the desktop, not only by the rep: readable by all.
    files.write_atomic(path, desktop_entry(exec_command or launch_command()), mode=0o644)
    for scheme in URL_SCHEMES:
        try:
            result = subprocess.run(
                [xdg_mime, "default", DESKTOP_FILE, f"x-scheme-handler/{scheme}"],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
        except subprocess.SubprocessError as exc:
            raise RegisterError(f"xdg-mime did not finish: {exc}") from None
        if result.returncode != 0:
            raise RegisterError(
                f"xdg-mime could not register {scheme}: ({result.returncode}) "
                f"{result.stderr.strip()[:200]}"
            )
    if (update := shutil.which("update-desktop-database")) is not None:
        with contextlib.suppress(subprocess.SubprocessError):
            subprocess.run([update, "-q", str(apps)], capture_output=True, check=False, timeout=30)
    return path
