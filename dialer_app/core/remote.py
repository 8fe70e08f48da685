"""What a second launch asks of the running window, the checks it passes first, and how the
launch finds that window.

`dialer-app tel:+1…` (a link), `dialer-app event <kind> --number N …` (a softphone hook) and a
plain `dialer-app` (show the window) are turned into a `Request` by `parse_request`, in the
launching process (to refuse bad input with a reason before anything is forwarded) and again in
the running window (which trusts nothing it receives). On the wire a request is one line of JSON,
`{"argv": [...]}`, capped in size.

One window per data folder: the window holds `InstanceLock` (an OS lock on `instance.lock` in the
data folder, released by the system even when the process is killed) and writes into it where
its socket is. The socket lives in a folder only the user can enter (`socket_dir`: 0700, owned by
the user, checked before each use); when the usual one is taken by another user, a folder with an
unguessable name is used instead, which only the lock file (in the user's private data folder)
tells. A launch that finds the lock held reads the socket's path there, checks that the socket
and its folder belong to the user, and forwards; it never forwards to anyone else's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from . import files

# A launch with no window running takes the lock and nothing else from here before the window
# is painted: what parses a request (events, links, JSON) and names a socket loads on use.
if TYPE_CHECKING:
    from .softphone.events import CallEvent

MAX_MESSAGE = 8 * 1024
MAX_ARGS = 16


class RequestError(ValueError):
    """Not a request the app accepts; the message says why."""


class Request(NamedTuple):
    """`show` the window, `open` a phone link, or apply a call `event`."""

    kind: Literal["show", "open", "event"]
    uri: str = ""
    event: CallEvent | None = None

    @property
    def argv(self) -> list[str]:
        """The arguments that ask for this again (what the launching process forwards)."""
        if self.kind == "open":
            return [self.uri]
        if self.kind == "event" and self.event is not None:
            e = self.event
            argv = ["event", e.kind]
            number = f"tel:{e.number};ext={e.extension}" if e.extension else e.number
            argv += ["--number", number] if number else []
            argv += ["--call-id", e.call_id] if e.call_id else []
            argv += ["--direction", e.direction] if e.direction else []
            return argv
        return []


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise RequestError(message)


def event_parser() -> argparse.ArgumentParser:
    from .softphone.events import EVENT_KINDS

    parser = _Parser(
        prog="dialer-app event",
        description="Tell the running window what the softphone is doing with a call.",
    )
    parser.add_argument("kind", choices=EVENT_KINDS, help="what happened")
    parser.add_argument("--number", default="", help="the other party's number or phone link")
    parser.add_argument("--call-id", default="", help="the softphone's id for the call")
    parser.add_argument("--direction", choices=("inbound", "outbound"), default=None)
    return parser


def parse_request(argv: Sequence[str], *, region: str = "US") -> Request:
    """The request these arguments make; RequestError with the reason if they make none."""
    from .softphone.events import EventError, make_event
    from .uri import MAX_URI, UriError, is_phone_uri, parse_uri

    args = list(argv)
    if len(args) > MAX_ARGS or any(not isinstance(a, str) or len(a) > MAX_URI for a in args):
        raise RequestError("Too many or too long arguments.")
    if not args:
        return Request("show")
    if args[0] == "event":
        ns = event_parser().parse_args(args[1:])
        try:
            event = make_event(
                ns.kind, ns.number, call_id=ns.call_id, direction=ns.direction, region=region
            )
        except EventError as exc:
            raise RequestError(str(exc)) from None
        return Request("event", event=event)
    if len(args) == 1 and is_phone_uri(args[0]):
        try:
            parse_uri(args[0], region=region)
        except UriError as exc:
            raise RequestError(str(exc)) from None
        return Request("open", uri=args[0].strip())
    raise RequestError(
        f"{args[0][:40]!r} is not a tel:, callto:, sip: or sips: link, nor 'event …'."
    )


def encode_message(argv: Sequence[str]) -> bytes:
    import json

    data = json.dumps({"argv": list(argv)}).encode() + b"\n"
    if len(data) > MAX_MESSAGE:
        raise RequestError("The request is too long.")
    return data


def decode_message(data: bytes) -> list[str]:
    """The argv in one received line; RequestError if it is not one."""
    import json

    if len(data) > MAX_MESSAGE:
        raise RequestError("The request is too long.")
    try:
        message = json.loads(data)
    except ValueError:
        raise RequestError("The request is not JSON.") from None
    argv = message.get("argv") if isinstance(message, dict) else None
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise RequestError("The request has no argument list.")
    return argv


def instance_name(data_dir: Path, user: str | None = None) -> str:
    """The name of the running window's socket for `data_dir`: one per user and per data folder
    (a full path on Linux and macOS, see `socket_path`; a pipe name on Windows)."""
    import getpass
    import hashlib

    who = user if user is not None else getpass.getuser()
    digest = hashlib.sha256(f"{who}\0{data_dir.resolve()}".encode()).hexdigest()[:16]
    safe_user = "".join(ch for ch in who if ch.isalnum())[:16] or "user"
    return f"dialer-companion-{safe_user}-{digest}"


# -- whose is it ----------------------------------------------------------------------------

ON_WINDOWS = os.name == "nt"
LOCK_FILE = "instance.lock"
MAX_LOCK_CONTENT = 4096
MAX_SOCKET_PATH = 100  # a Unix socket address holds 104 bytes on macOS, 108 on Linux


def _owner(uid: int) -> str:
    try:
        import pwd

        return f"user {pwd.getpwuid(uid).pw_name!r}"
    except (ImportError, KeyError):
        return f"user id {uid}"


def ownership_problem(path: Path, *, kind: Literal["folder", "socket", "file"]) -> str | None:
    """None when `path` is a `kind` that belongs to this user and no one else can use; else a
    sentence saying what is wrong. Symbolic links are refused (they could point anywhere).
    Windows: None (the per-user profile and the pipe's access list do this there)."""
    if ON_WINDOWS:
        return None
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return f"{path} does not exist"
    except OSError as exc:
        return f"{path} cannot be checked ({exc.strerror})"
    if stat.S_ISLNK(st.st_mode):
        return f"{path} is a symbolic link"
    if st.st_uid != os.getuid():
        return f"{path} belongs to {_owner(st.st_uid)}, not to you"
    expected = {"folder": stat.S_ISDIR, "socket": stat.S_ISSOCK, "file": stat.S_ISREG}[kind]
    if not expected(st.st_mode):
        return f"{path} is not a {kind}"
    if kind == "folder" and st.st_mode & 0o077:
        return f"{path} is open to other users (mode {stat.S_IMODE(st.st_mode):o})"
    return None


def runtime_base() -> Path:
    """Where per-user runtime files go: `$XDG_RUNTIME_DIR` when it is the user's own and
    private (it is on systemd desktops), else the temporary folder."""
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and os.path.isabs(xdg) and ownership_problem(Path(xdg), kind="folder") is None:
        return Path(xdg)
    return Path(tempfile.gettempdir())


def usual_socket_dir() -> Path:
    """The folder the window's socket goes in when nothing is wrong (see `socket_dir`)."""
    return runtime_base() / f"dialer-companion-{os.getuid()}"


def socket_dir() -> tuple[Path, str | None]:
    """A folder for the window's socket that only this user can enter, and, when the usual one
    (`dialer-companion-<uid>` in `runtime_base()`) could not be used, why not: then a fresh
    folder with an unguessable name is made instead."""
    preferred = usual_socket_dir()
    with contextlib.suppress(OSError):
        preferred.mkdir(mode=files.PRIVATE_DIR)
    with contextlib.suppress(OSError):
        st = os.lstat(preferred)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid():
            os.chmod(preferred, files.PRIVATE_DIR)  # ours but loose: make it private
    problem = ownership_problem(preferred, kind="folder")
    if problem is None:
        return preferred, None
    return Path(tempfile.mkdtemp(prefix="dialer-companion-", dir=runtime_base())), problem


def socket_path(data_dir: Path) -> tuple[str, str | None]:
    """Where the window for `data_dir` listens (see `socket_dir`), and any problem found."""
    name = instance_name(data_dir)
    if ON_WINDOWS:
        return name, None  # a named pipe, limited to the user by its access list
    folder, problem = socket_dir()
    file = f"{name.rsplit('-', 1)[-1]}.sock"
    if len(str(folder / file).encode()) > MAX_SOCKET_PATH:  # a long $TMPDIR: Unix sockets
        folder = Path(tempfile.mkdtemp(prefix="dialer-companion-", dir="/tmp"))  # take ~100
        # bytes: a private folder of this run's own, nothing wrong to tell anyone about
    return str(folder / file), problem


def socket_problem(name: str) -> str | None:
    """Why the socket `name` (or its folder) must not be used: it exists but is not this
    user's own. None when it is, or is not there (yet): connecting then simply fails."""
    if ON_WINDOWS:
        return None
    path = Path(name)
    if os.path.lexists(path.parent):
        problem = ownership_problem(path.parent, kind="folder")
        if problem is not None:
            return problem
    return ownership_problem(path, kind="socket") if os.path.lexists(path) else None


class InstanceLock:
    """The lock that makes one window per data folder, and where that window's socket is.

    `acquire()` never waits. The lock belongs to the open file, so the system lets it go when
    the process ends however it ends; the file itself stays (removing a lock file races).
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_FILE
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lock if no one holds it; True when this process holds it now.

        Something other than a file in its place is moved aside first (with a notice); OSError
        when the lock file cannot be made at all (a read-only data folder).
        """
        if self._fd is not None:
            return True
        if os.path.lexists(self.path) and not os.path.isfile(self.path):
            moved = files.set_aside(self.path)
            files.notices.add(
                f"{self.path} was not a file; "
                + (f"it was moved aside as {moved.name}." if moved else "it could not be moved.")
            )
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, files.PRIVATE_FILE)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def publish(self, socket: str) -> None:
        """Tell later launches where this window listens."""
        if self._fd is None:
            raise RuntimeError("publish() needs the lock")
        import json

        data = json.dumps({"pid": os.getpid(), "socket": socket}).encode()
        os.ftruncate(self._fd, 0)
        os.lseek(self._fd, 0, os.SEEK_SET)
        os.write(self._fd, data)

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    _LOCK_OFFSET = 1 << 20  # far past the content, which other launches must still read

    def _lock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        os.lseek(fd, 0, os.SEEK_SET)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


def published_socket(data_dir: Path) -> str | None:
    """The socket the window holding `data_dir`'s lock published; None when there is none yet
    (or the lock file is not this user's own)."""
    import json

    path = data_dir / LOCK_FILE
    if ownership_problem(path, kind="file") is not None:
        return None
    try:
        data = files.read_bytes(path, limit=MAX_LOCK_CONTENT)
        doc = json.loads(data) if data else None
    except (files.Unreadable, ValueError):
        return None
    socket = doc.get("socket") if isinstance(doc, dict) else None
    return socket if isinstance(socket, str) and socket else None
