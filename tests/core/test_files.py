"""Local files: written whole or not at all (private, no temp file left), and every reader of a
damaged file carries on, sets the file aside with a timestamp and says so once."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core import files
from dialer_app.core import settings as s
from dialer_app.core.auth.profiles import ProfileStore
from dialer_app.core.auth.secrets import MemoryStore, PlainFileStore
from dialer_app.core.files import notices
from dialer_app.core.recent import RecentProspects

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
FIXTURE_PER_TEST = HealthCheck.function_scoped_fixture  # examples overwrite the same files
SET_ASIDE = re.compile(r"\.unreadable-\d{8}T\d{6}(-\d+)?$")


@pytest.fixture(autouse=True)
def _no_notices_left() -> Iterator[None]:
    notices.take()
    yield
    notices.take()


# -- writing --------------------------------------------------------------------------------


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=4096) | st.text(max_size=2048), durable=st.booleans())
def test_a_write_is_whole_private_and_leaves_no_temp_file(
    tmp_path: Path, data: bytes | str, durable: bool
) -> None:
    target = tmp_path / "w" / "state.json"
    files.write_atomic(target, data, durable=durable)
    expected = data.encode("utf-8") if isinstance(data, str) else data
    assert target.read_bytes() == expected
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_durable_writes_reach_the_disk_and_quick_ones_skip_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    files.write_json(tmp_path / "a.json", {"x": 1})
    assert synced == ["file", "dir"]
    synced.clear()
    files.write_json(tmp_path / "a.json", {"x": 2}, durable=False)
    assert synced == []
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": 2}


def test_a_quick_write_is_flushed_later_as_it_stands_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[bytes | str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
        synced.append("dir" if is_dir else os.pread(fd, 100, 0))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "draft.json"
    files.write_json(target, {"x": 1}, durable=False)
    files.write_json(target, {"x": 2}, durable=False)
    assert synced == []
    files.sync_file(target)
    assert synced == [b'{"x":2}', "dir"]  # what the file holds now, and the rename in it
    synced.clear()
    files.sync_file(tmp_path / "gone.json")  # removed meanwhile: nothing to flush
    assert synced == []


@pytest.mark.parametrize("failing", ["write", "fsync", "replace"])
def test_a_failed_write_keeps_the_old_file_and_removes_its_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "settings.json"
    target.write_text('{"old": true}', encoding="utf-8")

    def boom(*_args: Any, **_kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    if failing == "write":
        monkeypatch.setattr(files.os, "fdopen", lambda fd, mode: _FailingFile(fd))
    elif failing == "fsync":
        monkeypatch.setattr(files.os, "fsync", boom)
    else:
        monkeypatch.setattr(files.os, "replace", boom)
    with pytest.raises(OSError, match="No space"):
        files.write_json(target, {"new": True})
    assert target.read_text(encoding="utf-8") == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]


class _FailingFile:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def __enter__(self) -> _FailingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)

    def write(self, _data: bytes) -> int:
        raise OSError(28, "No space left on device")


def test_a_replace_over_a_folder_fails_cleanly(tmp_path: Path) -> None:
    (tmp_path / "profiles.json").mkdir()
    with pytest.raises(IsADirectoryError):
        files.write_json(tmp_path / "profiles.json", {})
    assert [p.name for p in tmp_path.iterdir()] == ["profiles.json"]


# -- every reader of a local file, every kind of damage ---------------------------------------


def _damage(path: Path, kind: str) -> None:
    """Put a damaged `path` in place: what a crash, a disk, a person or a tool can leave."""
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"\x00\xff\xfe garbage \x9c{[")
    elif kind == "not JSON":
        path.write_text("{'single': quotes,", encoding="utf-8")
    elif kind == "wrong types":
        path.write_text(json.dumps([{"prospects": 5, "profiles": "x"}]), encoding="utf-8")
    elif kind == "wrong inner types":
        path.write_text(
            json.dumps({"prospects": [{"id": "7", "first_name": 3}], "profiles": 7, "tags": [1]}),
            encoding="utf-8",
        )
    elif kind == "deeply nested":
        path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    elif kind == "a folder":
        path.mkdir()
        (path / "inside").write_text("x", encoding="utf-8")
    elif kind == "unreadable":
        # chmod 000 bites only when not root; as root a named pipe is what cannot be read (and
        # would block a reader that opened it for good).
        if AS_ROOT:
            os.mkfifo(path)
        else:
            path.write_text("{}", encoding="utf-8")
            path.chmod(0)
    elif kind == "a symlink loop":
        path.symlink_to(path.name)
    else:  # pragma: no cover
        raise AssertionError(kind)


DAMAGE = (
    "empty",
    "garbage",
    "not JSON",
    "wrong types",
    "wrong inner types",
    "deeply nested",
    "a folder",
    "unreadable",
    "a symlink loop",
)


def _settings(path: Path) -> Any:
    return s.Settings(path).get(s.REGION)


def _recent(path: Path) -> Any:
    return RecentProspects(path).search("a")


def _profiles(path: Path) -> Any:
    return ProfileStore(path, None, MemoryStore()).all()


def _secrets(path: Path) -> Any:
    return PlainFileStore(path).get("profile/x/tokens")


READERS: dict[str, tuple[str, Callable[[Path], Any], Any]] = {
    "settings.json": ("Your settings", _settings, "US"),
    "recent.json": ("recently", _recent, []),
    "profiles.json": ("Your org profiles", _profiles, []),
    "secrets-NOT-SECURE.json": ("saved sign-ins", _secrets, None),
}
# Documents that are valid JSON of the right outer type: a reader keeps them, per its rules.
# (settings fall back per key; the secrets file drops what is not a string).
KEPT = {("settings.json", "wrong inner types"), ("secrets-NOT-SECURE.json", "wrong inner types")}


@pytest.mark.parametrize("kind", DAMAGE)
@pytest.mark.parametrize("name", sorted(READERS))
def test_every_reader_carries_on_sets_aside_and_says_so_once(
    tmp_path: Path, name: str, kind: str
) -> None:
    what, read, default = READERS[name]
    path = tmp_path / name
    _damage(path, kind)
    if (name, kind) in KEPT:
        read(path)  # never raises; nothing to set aside
        assert notices.take() == []
        return
    assert read(path) == default
    assert not os.path.lexists(path)
    (aside,) = [p for p in tmp_path.iterdir() if p.name.startswith(name)]
    assert SET_ASIDE.search(aside.name), aside.name
    (told,) = notices.take()
    assert what in told
    assert aside.name in told
    assert read(path) == default  # the next start: nothing left to say
    assert notices.take() == []


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    doc=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(["prospects", "tags", "profiles", "active", "id", "region"])
                | st.text(max_size=4),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_any_json_document_in_any_local_file_is_read_or_set_aside_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory, doc: Any
) -> None:
    folder = tmp_path_factory.mktemp("doc")
    text = json.dumps(doc)
    for name, (_what, read, _default) in READERS.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        read(path)
        if os.path.lexists(path):
            read(path)  # kept: read again the same way
    recent = RecentProspects(folder / "recent.json")
    recent.search("a")
    recent.search("+14155550123")
    recent.save()  # and what it kept can be written back
    notices.take()


def test_a_set_aside_never_overwrites_an_earlier_one(tmp_path: Path) -> None:
    from datetime import datetime

    at = datetime(2026, 11, 29, 20, 30, 0)
    names = []
    for n in range(3):
        path = tmp_path / "recent.json"
        path.write_text(str(n), encoding="utf-8")
        moved = files.set_aside(path, now=at)
        assert moved is not None
        names.append(moved.name)
    assert names == [
        "recent.json.unreadable-20261129T203000",
        "recent.json.unreadable-20261129T203000-2",
        "recent.json.unreadable-20261129T203000-3",
    ]
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0", "1", "2"]


def test_a_file_that_cannot_be_moved_is_still_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "settings.json"
    path.write_text("[]", encoding="utf-8")

    def refuse(*_args: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(files.os, "rename", refuse)
    assert s.Settings(path).get(s.REGION) == "US"
    (told,) = notices.take()
    assert "could not be moved aside" in told


def test_settings_that_cannot_be_saved_are_kept_for_the_run_and_said(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    settings_ = s.Settings(blocker / "settings.json")
    assert settings_.set(s.REGION, "GB") is False
    assert settings_.get(s.REGION) == "GB"
    (told,) = notices.take()
    assert "could not be saved" in told


def test_notices_wait_for_a_listener_then_go_straight_to_it() -> None:
    notices.add("one")
    shown: list[str] = []
    stop = notices.listen(shown.append)
    notices.add("two")
    stop()
    notices.add("three")
    assert shown == ["one", "two"]
    assert notices.take() == ["three"]


# -- private by default ---------------------------------------------------------------------


def test_the_apps_folders_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dialer_app.core import paths

    monkeypatch.setenv("DIALER_HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "logs").mkdir(parents=True)
    (tmp_path / "home" / "logs").chmod(0o755)  # an older version's folder: tightened
    for folder in (paths.data_dir(), paths.config_dir(), paths.log_dir()):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_file_where_a_folder_belongs_is_set_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dialer_app.core import paths

    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    (tmp_path / "config").write_text("oops", encoding="utf-8")
    assert paths.config_dir().is_dir()
    (told,) = notices.take()
    assert "should be a folder" in told
    (aside,) = tmp_path.glob("config.unreadable-*")
    assert aside.read_text(encoding="utf-8") == "oops"


def test_databases_are_private_with_their_side_files(tmp_path: Path) -> None:
    from dialer_app.core import paths
    from dialer_app.core.outbox import Outbox

    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(paths.database(path))
    try:
        outbox.counts()
        for p in tmp_path.iterdir():
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p.name
        assert {p.name for p in tmp_path.iterdir()} >= {"outbox.sqlite3", "outbox.sqlite3-wal"}
    finally:
        outbox.close()
    path.chmod(0o644)  # an older version's outbox: made private when opened again
    paths.database(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
