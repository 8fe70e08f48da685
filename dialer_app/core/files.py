"""Local files: written whole or not at all, read without ever stopping the app.

Writing: `write_atomic` (and `write_json`) put the bytes in a temporary file in the same folder,
then rename it over the target, so a crash leaves the old file or the new one, never half of
either. `durable=True` also flushes the file and its folder to the disk (surviving a power cut);
`durable=False` is for writes repeated on every keystroke, where the next one follows soon. The
temporary file is removed whatever goes wrong, and the file is private to the user (0600).

Reading: `read_json` answers the document, None when the file does not exist, or raises
`Unreadable` with the reason in plain words (a folder, a pipe, no permission, not text, empty,
not JSON, nested too deeply, too large). `load_json` also checks the document's shape and, when
the file cannot be used, moves it aside with a timestamp (to `settings.json.unreadable-
20261129T203000`, say) so that the app carries on with defaults, and tells the rep once through
`notices`.

`notices` is the app-wide bridge for such messages (as qutebrowser's `message` module is): core
code adds a sentence; the window, when it listens, shows each one once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

if TYPE_CHECKING:  # the window's start (paths, its lock, its log) reads no JSON and moves nothing
    from datetime import datetime

log = logging.getLogger(__name__)

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
MAX_READ = 32 * 1024 * 1024
SET_ASIDE_MARK = ".unreadable-"
ON_WINDOWS = os.name == "nt"

T = TypeVar("T")


class Unreadable(Exception):
    """A local file the app cannot use; `reason` says why, in words a rep can read."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- modes ----------------------------------------------------------------------------------


def chmod_private(path: Path | str, mode: int = PRIVATE_FILE) -> None:
    """Make `path` the user's own (0600 files, 0700 folders). A no-op on Windows, where the
    per-user profile already is private and modes mean only "read-only or not"."""
    if ON_WINDOWS:
        return
    with contextlib.suppress(OSError):  # best effort: whoever opens it next says what is wrong
        os.chmod(path, mode)


def private_dir(path: Path) -> Path:
    """`path` as an existing folder only its user can enter (0700), parents created.

    Something else in its place (a file left by accident) is moved aside first, with a notice.
    """
    try:
        st = os.stat(path)
    except OSError:
        st = None  # missing; or a symlink loop and its kind, which the mkdir below reports
    if st is not None and not stat.S_ISDIR(st.st_mode):
        moved = set_aside(path)
        notices.add(
            f"{path} should be a folder but is not; "
            + (f"it was moved aside as {moved.name}." if moved else "it could not be moved aside.")
        )
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    chmod_private(path, PRIVATE_DIR)  # an existing one, and past the umask
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty and private if it is missing (before a library such as SQLite
    creates it with looser permissions); make an existing one private."""
    if not ON_WINDOWS:
        with contextlib.suppress(OSError):
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_NONBLOCK", 0)
            os.close(os.open(path, flags, PRIVATE_FILE))
    chmod_private(path, PRIVATE_FILE)
    return path


# -- writing --------------------------------------------------------------------------------


def fsync_dir(folder: Path) -> None:
    """Flush a folder's entries (a rename in it) to the disk, where the system allows it."""
    if ON_WINDOWS:
        return  # NTFS journals renames; a folder cannot be opened for fsync there
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse it (EINVAL)
            os.fsync(fd)
    finally:
        os.close(fd)


def sync_file(path: Path) -> None:
    """Flush what `path` holds now (written without `durable`), and its folder, to the disk:
    the fsync of a quick write, made later — on a thread that may wait for the disk. Nothing
    when the file is gone meanwhile. Raises OSError."""
    try:
        fd = os.open(path, os.O_RDWR)  # Windows flushes only a handle open for writing
    except FileNotFoundError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    fsync_dir(path.parent)


def write_atomic(
    path: Path, data: bytes | str, *, durable: bool = True, mode: int = PRIVATE_FILE
) -> None:
    """Replace `path` with `data` all at once (see the module docstring). Raises OSError."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        chmod_private(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_dir(path.parent)


def write_json(
    path: Path,
    doc: Any,
    *,
    durable: bool = True,
    indent: int | None = None,
    sort_keys: bool = False,
) -> None:
    """`write_atomic` of `doc` as UTF-8 JSON."""
    import json

    separators = (",", ":") if indent is None else None
    text = json.dumps(doc, indent=indent, sort_keys=sort_keys, separators=separators)
    write_atomic(path, text, durable=durable)


# -- reading --------------------------------------------------------------------------------


def _why(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "you have no permission to read it"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder, not a file"
    return exc.strerror or type(exc).__name__


def _regular_size(path: Path) -> int | None:
    """The size of the regular file `path`; None when it does not exist; else `Unreadable`."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):  # no such file (under a file: none either)
        return None
    except OSError as exc:  # a symlink loop, a name too long, no permission on the folder
        raise Unreadable(_why(exc)) from None
    if stat.S_ISDIR(st.st_mode):
        raise Unreadable("it is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise Unreadable("it is not a regular file")
    return st.st_size


def _read(path: Path, size: int) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        raise Unreadable(_why(exc)) from None


def read_bytes(path: Path, *, limit: int = MAX_READ) -> bytes | None:
    """The file's bytes; None when it does not exist; `Unreadable` when it cannot be read.

    Only a regular file is opened: a pipe in its place would block the app for good.
    """
    size = _regular_size(path)
    if size is None:
        return None
    if size > limit:
        raise Unreadable(f"it is too large ({size:,} bytes)")
    data = _read(path, limit + 1)
    if data is not None and len(data) > limit:
        raise Unreadable("it is too large")
    return data


def read_head(path: Path, size: int) -> bytes | None:
    """The first `size` bytes of a regular file (see `read_bytes`)."""
    return None if _regular_size(path) is None else _read(path, size)


def read_json(path: Path, *, limit: int = MAX_READ) -> Any:
    """The JSON document in `path`; None when there is no such file; else `Unreadable`."""
    import json

    data = read_bytes(path, limit=limit)
    if data is None:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("it is not text") from None
    if not text.strip():
        raise Unreadable("it is empty")
    try:
        return json.loads(text)
    except RecursionError:
        raise Unreadable("it is nested too deeply") from None
    except ValueError:
        raise Unreadable("it is not valid JSON") from None


def set_aside(path: Path, *, now: datetime | None = None) -> Path | None:
    """Rename `path` (file, folder or anything else) to `<name>.unreadable-<timestamp>` in the
    same folder; the new path, or None when it could not be moved."""
    from datetime import datetime

    stamp = (now or datetime.now()).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}{SET_ASIDE_MARK}{stamp}")
    n = 1
    while os.path.lexists(target):
        n += 1
        target = path.with_name(f"{path.name}{SET_ASIDE_MARK}{stamp}-{n}")
    try:
        os.rename(path, target)
    except OSError as exc:
        log.warning("could not move %s aside: %s", path.name, exc)
        return None
    return target


class SetAside(NamedTuple):
    """A file the app could not read, where it went, and what the app does without it."""

    path: Path
    moved_to: Path | None
    reason: str
    what: str
    outcome: str

    def sentence(self) -> str:
        where = (
            f"It was moved aside as {self.moved_to.name} in {self.path.parent}"
            if self.moved_to is not None
            else f"It could not be moved aside (in {self.path.parent})"
        )
        return (
            f"{self.what} ({self.path.name}) could not be read: {self.reason}. "
            f"{where}; {self.outcome}."
        )


def load_json(
    path: Path,
    shape: Callable[[Any], T],
    *,
    what: str,
    outcome: str,
    told: list[SetAside] | None = None,
) -> T | None:
    """`shape(document)` of the JSON in `path`, or None when there is none or it is unusable.

    `shape` raises ValueError, TypeError, KeyError or AttributeError when the document is not
    in the form the app writes. An unusable file is moved aside and `notices` tells the rep
    `what` it was and `outcome`, what the app does instead (the record is also appended to
    `told`, when given).
    """
    try:
        doc = read_json(path)
        if doc is None:
            return None
        try:
            return shape(doc)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
            raise Unreadable("its content is not in the form the app writes") from None
    except Unreadable as exc:
        record = set_aside_and_tell(path, exc.reason, what=what, outcome=outcome)
        if told is not None:
            told.append(record)
        return None


def set_aside_and_tell(path: Path, reason: str, *, what: str, outcome: str) -> SetAside:
    """Move `path` aside (see `set_aside`), log it and tell the rep (see `SetAside`)."""
    record = SetAside(path, set_aside(path), reason, what, outcome)
    log.warning("%s", record.sentence())
    notices.add(record.sentence())
    return record


def expect_object(doc: Any) -> dict[str, Any]:
    """A `shape` for `load_json`: the document must be a JSON object."""
    if not isinstance(doc, dict):
        raise TypeError("not an object")
    return doc


# -- telling the rep ------------------------------------------------------------------------


class Notices:
    """Sentences for the rep (a file set aside, a file that could not be saved), each shown once.

    Until someone listens they wait; `listen(show)` hands over those waiting, then each new one.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._listeners: list[Callable[[str], None]] = []

    def add(self, text: str) -> None:
        with self._lock:
            listeners = list(self._listeners)
            if not listeners:
                self._pending.append(text)
        for listener in listeners:
            listener(text)

    def listen(self, show: Callable[[str], None]) -> Callable[[], None]:
        """Call `show` with every notice from now on (and those waiting); returns the undo."""
        with self._lock:
            waiting, self._pending = self._pending, []
            self._listeners.append(show)
        for text in waiting:
            show(text)

        def stop() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._listeners.remove(show)

        return stop

    def take(self) -> list[str]:
        """The notices waiting (and forget them)."""
        with self._lock:
            waiting, self._pending = self._pending, []
        return waiting


notices = Notices()
