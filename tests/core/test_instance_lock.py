"""One window per data folder, and a socket only its user can reach: the lock, the published
socket path, the ownership checks and the private socket folder (another user's is refused)."""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from dialer_app.core import remote
from dialer_app.core.remote import (
    LOCK_FILE,
    InstanceLock,
    ownership_problem,
    published_socket,
    socket_dir,
    socket_path,
    socket_problem,
)

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534

HOLD = """
import sys
from pathlib import Path
from dialer_app.core.remote import InstanceLock
lock = InstanceLock(Path(sys.argv[1]))
print("held" if lock.acquire() else "busy", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A runtime folder of the test's own (what $XDG_RUNTIME_DIR is on a desktop), with a
    short path as real ones have."""
    folder = Path(tempfile.mkdtemp(prefix="run-", dir="/tmp"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock of `tmp_path / "data"`."""
    (tmp_path / "data").mkdir(exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "data")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    yield proc
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(10)
    proc.stdout.close()


def test_the_lock_is_one_holders_at_a_time_and_freed_when_it_ends(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    data = tmp_path / "data"
    mine = InstanceLock(data)
    assert not mine.acquire()  # another process holds it
    assert holder.stdin is not None
    holder.stdin.close()  # it ends (the system frees its lock however it ends)
    holder.wait(10)
    assert mine.acquire()
    assert stat.S_IMODE((data / LOCK_FILE).stat().st_mode) == 0o600
    assert mine.acquire()  # taking it again in the same process is a no-op
    mine.publish("/run/x/abc.sock")
    assert published_socket(data) == "/run/x/abc.sock"
    mine.release()
    assert published_socket(data) is None  # released: nothing is said any more
    assert mine.acquire()
    mine.release()


def test_a_killed_holder_frees_the_lock(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.kill()
    holder.wait(10)
    with InstanceLock(tmp_path / "data") as lock:
        assert lock.acquire()


@pytest.mark.parametrize(
    "content",
    [b"", b"{", b"[]", b'{"socket": 5}', b'{"socket": ""}', b"\xff" * 9000],
)
def test_a_lock_file_that_says_nothing_usable_publishes_nothing(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / LOCK_FILE).write_bytes(content)
    assert published_socket(tmp_path) is None


def test_the_socket_folder_is_private_and_reused(runtime: Path) -> None:
    folder, problem = socket_dir()
    assert problem is None
    assert folder == runtime / f"dialer-companion-{os.getuid()}"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    folder.chmod(0o755)  # loosened by someone: ours, so made private again
    assert socket_dir() == (folder, None)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    path, problem = socket_path(runtime / "data")
    assert problem is None
    assert Path(path).parent == folder
    assert len(path) - len(str(runtime)) < 50


def test_a_socket_path_too_long_for_the_system_goes_to_a_short_private_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deep = tmp_path / ("x" * 60) / ("y" * 60)
    deep.mkdir(parents=True, mode=0o700)
    deep.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(deep))
    path, problem = socket_path(tmp_path / "data")
    assert problem is None  # nothing wrong to tell the rep: a folder of the run's own
    assert Path(path).parent != remote.usual_socket_dir()  # removed when the window closes
    assert len(path.encode()) <= remote.MAX_SOCKET_PATH
    assert stat.S_IMODE(Path(path).parent.stat().st_mode) == 0o700
    os.rmdir(Path(path).parent)


def test_a_symlink_in_place_of_the_socket_folder_is_not_followed(runtime: Path) -> None:
    elsewhere = runtime / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (runtime / f"dialer-companion-{os.getuid()}").symlink_to(elsewhere)
    folder, problem = socket_dir()
    assert problem is not None
    assert "symbolic link" in problem
    assert folder.parent == runtime
    assert folder.name.startswith("dialer-companion-")
    assert folder != elsewhere
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_an_unsafe_runtime_folder_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    assert remote.runtime_base() != shared
    monkeypatch.setenv("XDG_RUNTIME_DIR", "relative/path")
    assert remote.runtime_base() != Path("relative/path")


def test_what_is_not_ones_own_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "f"
    folder.mkdir(mode=0o700)
    assert ownership_problem(folder, kind="folder") is None
    folder.chmod(0o770)
    assert "open to other users" in (ownership_problem(folder, kind="folder") or "")
    assert "not a socket" in (ownership_problem(folder, kind="socket") or "")
    assert "does not exist" in (ownership_problem(tmp_path / "nope", kind="file") or "")
    link = tmp_path / "link"
    link.symlink_to(folder)
    assert "symbolic link" in (ownership_problem(link, kind="folder") or "")


@pytest.mark.skipif(not AS_ROOT, reason="giving a folder to another user needs root here")
def test_another_users_folder_or_socket_is_refused(runtime: Path, tmp_path: Path) -> None:
    squatted = runtime / f"dialer-companion-{os.getuid()}"
    squatted.mkdir(mode=0o700)
    os.chown(squatted, NOBODY, NOBODY)
    folder, problem = socket_dir()
    assert problem is not None
    assert "belongs to user 'nobody'" in problem
    assert folder != squatted
    assert folder.stat().st_uid == os.getuid()
    # a socket in it that a launch is told about: refused, never connected to
    name = str(squatted / "abc.sock")
    server = socket.socket(socket.AF_UNIX)
    server.bind(name)
    os.chown(name, NOBODY, NOBODY)
    try:
        assert "belongs to user 'nobody'" in (socket_problem(name) or "")
        # ours in a folder of ours: fine; theirs in a folder of ours: refused
        own = folder / "own.sock"
        mine = socket.socket(socket.AF_UNIX)
        mine.bind(str(own))
        assert socket_problem(str(own)) is None
        os.chown(own, NOBODY, NOBODY)
        assert "belongs to user 'nobody'" in (socket_problem(str(own)) or "")
        mine.close()
    finally:
        server.close()
    assert socket_problem(str(folder / "not-yet.sock")) is None  # absent: connecting just fails


def test_a_folder_in_place_of_the_lock_file_is_set_aside(tmp_path: Path) -> None:
    from dialer_app.core.files import notices

    notices.take()
    (tmp_path / LOCK_FILE).mkdir()
    lock = InstanceLock(tmp_path)
    assert lock.acquire()
    lock.release()
    (told,) = notices.take()
    assert "was not a file" in told
    assert list(tmp_path.glob(f"{LOCK_FILE}.unreadable-*"))
