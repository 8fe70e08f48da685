"""The app's log file, for a helpdesk: `dialer-app.log` in the log folder (`paths.log_dir()`).

Rotating at 1 MB with four older generations (`dialer-app.log.1` … `.4`: 5 MB at most), written
through the redaction filter (`logsafe`): no token, secret or full phone number. The folder is
0700 and the files 0600. INFO and above go to the file (start-up, Qt's messages, connection
changes, what the sync decides); stderr shows warnings only. `DIALER_LOG_LEVEL` (INFO, DEBUG)
sets both, and lets the HTTP client's line per request in. A second launch that hands a link
over writes to the same file (a few lines; the window's process does the rotating).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from io import TextIOWrapper
from pathlib import Path

from . import logsafe, paths

LOG_NAME = "dialer-app.log"
MAX_BYTES = 1_000_000
BACKUPS = 4
LEVEL_ENV = "DIALER_LOG_LEVEL"
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"
# Loggers that say something at INFO for every request: only when DIALER_LOG_LEVEL asks.
CHATTY = ("httpx", "httpcore", "hpack", "asyncio", "keyring")

log = logging.getLogger(__name__)
# Kept referenced, so that the file is closed by logging's own shutdown at exit even when a
# caller (the self-test) swaps the root logger's handlers for a while.
_handlers: list[logging.Handler] = []


class PrivateRotatingFileHandler(logging.FileHandler):
    """A log file that rotates at `max_bytes` into `backups` older generations (`.1` newest),
    readable by its owner only (0600, set on every open: a file an older version left readable
    is narrowed too). Built on `FileHandler` rather than `logging.handlers`, which would load
    sockets and pickling before the window's first paint."""

    def __init__(self, filename: Path, max_bytes: int, backups: int) -> None:
        self.max_bytes = max_bytes
        self.backups = backups
        super().__init__(filename, mode="a", encoding="utf-8")

    def _open(self) -> TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)
        return open(fd, "a", encoding=self.encoding, errors=self.errors)

    def emit(self, record: logging.LogRecord) -> None:
        stream = self.stream
        if stream is not None:
            try:
                size = stream.tell()
                if size and size + len(self.format(record)) + 1 > self.max_bytes:
                    self._rotate()
            except (OSError, ValueError):
                pass  # no rotation this time; the line still goes to the current file
        super().emit(record)

    def _rotate(self) -> None:
        if self.stream is not None:
            self.stream.close()
        self.stream = None
        try:
            base = self.baseFilename
            for n in range(self.backups - 1, 0, -1):
                if os.path.exists(f"{base}.{n}"):
                    os.replace(f"{base}.{n}", f"{base}.{n + 1}")
            os.replace(base, f"{base}.1")
        finally:  # a rename refused (another process holds the file on Windows): carry on
            self.stream = self._open()


def log_file(folder: Path | None = None) -> Path:
    return (folder or paths.log_dir()) / LOG_NAME


def generations(folder: Path | None = None) -> list[Path]:
    """The log file and its older generations that exist, newest first."""
    current = log_file(folder)
    files = [current, *(current.with_name(f"{LOG_NAME}.{n}") for n in range(1, BACKUPS + 1))]
    return [f for f in files if f.is_file()]


def _level(name: str | None, default: int) -> int:
    if not name:
        return default
    value = logging.getLevelName(name.strip().upper())
    return value if isinstance(value, int) else default


def installed() -> PrivateRotatingFileHandler | None:
    return next(
        (h for h in logging.getLogger().handlers if isinstance(h, PrivateRotatingFileHandler)),
        None,
    )


def setup(folder: Path | None = None, *, console: bool = True) -> Path | None:
    """Log to the file (INFO) and, with `console` and unless something else already handles
    the root logger, to stderr (WARNING). Returns the file, or None when it cannot be written
    (then stderr only, saying why). Calling it again adds only what is missing: a launcher that
    hands its link over logs to the file alone, and adds stderr if it becomes the window."""
    root = logging.getLogger()
    wanted = _level(os.environ.get(LEVEL_ENV), logging.WARNING)
    file_level = min(wanted, logging.INFO)
    handler = installed()
    problem = ""
    if handler is None:
        try:
            folder = folder or paths.log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            if os.name == "posix":
                folder.chmod(0o700)
            handler = PrivateRotatingFileHandler(log_file(folder), MAX_BYTES, BACKUPS)
        except OSError as exc:
            problem = str(exc)
        else:
            handler.setLevel(file_level)
            handler.setFormatter(logging.Formatter(FORMAT))
            root.addHandler(handler)
            _handlers.append(handler)
    others = [h for h in root.handlers if h is not handler]
    if console and not others:
        stderr = logging.StreamHandler(sys.stderr)
        stderr.setLevel(wanted)
        stderr.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stderr)
        _handlers.append(stderr)
    root.setLevel(min(root.getEffectiveLevel(), file_level, wanted))
    if not os.environ.get(LEVEL_ENV):  # asked for a level: every logger speaks at it
        for name in CHATTY:
            logging.getLogger(name).setLevel(logging.WARNING)
    logsafe.install()  # no token, secret or full phone number in any line
    if problem:
        log.warning("no log file: %s", problem)
    return Path(handler.baseFilename) if handler is not None else None


def about() -> dict[str, str]:
    """What the start-up line and the diagnostics say about this installation."""
    uname = _uname()
    if uname is not None:
        machine = uname.machine
    else:
        import platform

        machine = platform.machine()
    return {
        "version": _version(),
        "python": sys.version.split()[0],  # as platform.python_version() says it
        "os": os_name(),
        "machine": machine,
        "build": "installed" if getattr(sys, "frozen", False) else "from source",
    }


def _uname() -> os.uname_result | None:
    """The kernel's release and machine where the system says them (not on Windows). The
    start-up line is written before the window shows: `platform` would cost ~3 ms there, and
    is loaded only where this does not say enough."""
    return os.uname() if hasattr(os, "uname") else None


def _version() -> str:
    from .. import __version__

    return __version__


def os_name() -> str:
    """The OS with its distribution, e.g. "Linux 6.1.0 (Debian GNU/Linux 12 (bookworm))"."""
    uname = _uname()
    if sys.platform.startswith("linux") and uname is not None:
        try:
            pretty = dict(_os_release()).get("PRETTY_NAME", "")
        except OSError:
            pretty = ""
        return f"Linux {uname.release}" + (f" ({pretty})" if pretty else "")
    import platform

    if sys.platform == "darwin":
        return f"macOS {platform.mac_ver()[0]}"
    if sys.platform == "win32":
        return f"Windows {platform.version()} ({platform.win32_edition() or 'unknown edition'})"
    return platform.platform()


def _os_release() -> Iterator[tuple[str, str]]:
    with open("/etc/os-release", encoding="utf-8") as f:
        for line in f:
            key, sep, value = line.strip().partition("=")
            if sep:
                yield key, value.strip('"')
