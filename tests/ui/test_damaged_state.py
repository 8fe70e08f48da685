"""Damaged local state is a message, never a crash: the app starts through its real composition
root (`ui.app`), says what it set aside (once), and delivers every call queued before.

Each local file the app reads — settings, recently seen prospects, org profiles, window state,
the plain-file secrets fallback — is damaged in each way a crash, a disk, a tool or a person can
leave it. "Unreadable" is `chmod 000` where the tests run as another user than root; as root that
does not bite, so a named pipe stands in (a file that cannot be read: it would block a reader
that opened it for good). The outbox is different: it may hold unsent calls, so it is never
moved; when it cannot be opened the window still works and says so.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends.fail import Keyring as NoKeyring

from dialer_app.app import AppConfig, _run, first_window, outbox_path
from dialer_app.core import files
from dialer_app.core.auth.profiles import ADMIN_ENV
from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.remote import Request
from dialer_app.ui.accounts import AccountsDialog
from dialer_app.ui.main_window import MainWindow
from tests.support.sandbox import SandboxServer

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
QUEUED = 3

# Each file: where it lives under DIALER_HOME, what the app wrote there, and the words that
# name it in the notice.
FILES: dict[str, tuple[str, str, str]] = {
    "settings.json": (
        "config/settings.json",
        json.dumps({"plain_file_secrets": True, "region": "GB", "confirm_outside_hours": False}),
        "Your settings",
    ),
    "recent.json": (
        "data/recent.json",
        json.dumps(
            {
                "prospects": [{"id": 1, "first_name": "Ada", "last_name": "Byron", "emails": []}],
                "tags": ["follow-up"],
            }
        ),
        "prospects you saw recently",
    ),
    "profiles.json": (
        "config/profiles.json",
        json.dumps(
            {
                "active": None,
                "profiles": [
                    {
                        "id": "acme",
                        "name": "Acme",
                        "api_base_url": "https://acme.test/api/v2",
                        "client_id": "c",
                        "redirect_port": 0,
                    }
                ],
            }
        ),
        "Your org profiles",
    ),
    "window.ini": ("config/window.ini", "[General]\ncompact=false\n", "size and position"),
    "secrets-NOT-SECURE.json": (
        "config/secrets-NOT-SECURE.json",
        json.dumps({"profile/acme/tokens": "{}"}),
        "saved sign-ins",
    ),
}
KINDS = ("empty", "garbage", "wrong types", "a folder", "unreadable")


def damage(path: Path, kind: str) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(b"\x00\x9c\xff garbage {[\n=\n\x1b")
    elif kind == "wrong types":
        if path.suffix == ".ini":
            path.write_text("[General]\ngeometry=12\ncompact=banana\n", encoding="utf-8")
        else:
            path.write_text(json.dumps([{"prospects": 5}, "x"]), encoding="utf-8")
    elif kind == "a folder":
        path.mkdir()
    elif kind == "unreadable":
        if AS_ROOT:
            os.mkfifo(path)
        else:
            path.write_text("{}", encoding="utf-8")
            path.chmod(0)
    else:  # pragma: no cover
        raise AssertionError(kind)


def kept(name: str, kind: str) -> bool:
    """An empty INI file is a valid, empty window state: nothing to set aside."""
    return (name, kind) == ("window.ini", "empty")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    sandbox = SandboxServer(
        tmp_path_factory.mktemp("damaged") / "data", extra_args=("--prospects", "10")
    ).start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DIALER_HOME with every file as the app wrote it; no working keychain (so the plain-file
    fallback the settings opt in to is read)."""
    home = tmp_path / "home"
    monkeypatch.setenv("DIALER_HOME", str(home))
    monkeypatch.setenv(ADMIN_ENV, str(tmp_path / "no-admin-profiles.json"))
    for where, content, _what in FILES.values():
        (home / where).parent.mkdir(parents=True, exist_ok=True)
        (home / where).write_text(content, encoding="utf-8")
    old = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    files.notices.take()
    yield home
    keyring.set_keyring(old)
    files.notices.take()
    for path in home.rglob("*"):  # let pytest clean up what was made unreadable
        if not path.is_symlink():
            path.chmod(0o700)


def queue_calls(config: AppConfig) -> list[str]:
    """Calls logged in an earlier run and not sent yet."""
    outbox = Outbox(outbox_path(config))
    ids = []
    try:
        for n in range(QUEUED):
            vendor_id = f"damaged-{n}-{secrets.token_hex(6)}"
            outbox.enqueue(
                NewCall(
                    attributes=CallAttributes(outcome="Not Answered", vendorCallId=vendor_id),
                    relationships=CallRelationships.link(prospect=n + 1),
                ),
                summary=f"Queued {n}",
            )
            ids.append(vendor_id)
    finally:
        outbox.close()
    return ids


def delivered(server: SandboxServer, ids: list[str]) -> bool:
    with server.client() as api:
        stored = api.get("/calls", params={"page[size]": 1000, "sort": "-id"}).json()["data"]
    return set(ids) <= {c["attributes"]["vendorCallId"] for c in stored}


def run_the_app(qtbot: Any, aio: Any, server: SandboxServer) -> tuple[MainWindow, Any, list[str]]:
    """Start the app as `run_app` does (minus the QApplication it shares with the tests), with
    calls already queued; the window once every one of them reached the sandbox."""
    config = AppConfig(api_base_url=server.base_url, access_token=server.token)
    ids = queue_calls(config)
    window, config = first_window(config)
    window.show()
    task = aio.create_task(_run(window, config, Request("show"), []))
    qtbot.waitUntil(lambda: window.outbox_label.text() == "All calls synced", timeout=30_000)
    assert delivered(server, ids)
    window.accountsRequested.emit()  # the Accounts dialog reads profiles and saved sign-ins
    (dialog,) = window.findChildren(AccountsDialog)
    qtbot.waitUntil(lambda: dialog.isVisible(), timeout=5000)
    return window, task, ids


def close(qtbot: Any, window: MainWindow, task: Any) -> None:
    for dialog in window.findChildren(AccountsDialog):
        dialog.close()
    window.close()
    qtbot.waitUntil(task.done, timeout=15_000)
    assert task.result() == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", sorted(FILES))
def test_each_damaged_file_is_set_aside_said_and_calls_flow(
    qtbot: Any, aio: Any, server: SandboxServer, home: Path, name: str, kind: str
) -> None:
    where, _content, what = FILES[name]
    path = home / where
    if path.exists():
        path.unlink()
    damage(path, kind)
    window, task, _ids = run_the_app(qtbot, aio, server)
    try:
        if kept(name, kind):
            assert window.notices.isHidden()
            assert os.path.lexists(path)
            return
        qtbot.waitUntil(lambda: any(what in t for t in window.notices.texts), timeout=5000)
        (notice,) = [t for t in window.notices.texts if what in t]
        assert "could not be read" in notice
        assert not os.path.lexists(path)
        (aside,) = path.parent.glob(f"{path.name}.unreadable-*")
        assert aside.name in notice
        assert window.notices.isVisible()
        assert len(window.notices.texts) == 1, window.notices.texts  # nothing else to say
    finally:
        close(qtbot, window, task)


def test_every_file_damaged_at_once_then_a_second_start_says_nothing(
    qtbot: Any, aio: Any, server: SandboxServer, home: Path
) -> None:
    for where, _content, _what in FILES.values():
        (home / where).unlink()
        damage(home / where, "garbage")
    window, task, _ids = run_the_app(qtbot, aio, server)
    try:
        # (the plain-file secrets are not read: the settings that opt in to them are damaged)
        for name, (_where, _content, what) in FILES.items():
            if name != "secrets-NOT-SECURE.json":
                qtbot.waitUntil(
                    lambda w=what: any(w in t for t in window.notices.texts), timeout=5000
                )
        # the rep reads them, dismisses them
        window.notices.dismiss.click()
        assert window.notices.isHidden()
    finally:
        close(qtbot, window, task)
    # the next start: the files were set aside, the app wrote fresh ones; nothing more to say
    window, task, _ids = run_the_app(qtbot, aio, server)
    try:
        assert window.notices.texts == []
        assert window.notices.isHidden()
    finally:
        close(qtbot, window, task)


def test_an_outbox_that_is_not_a_database_keeps_its_file_and_the_window_works(
    qtbot: Any, aio: Any, server: SandboxServer, home: Path
) -> None:
    config = AppConfig(api_base_url=server.base_url, access_token=server.token)
    path = outbox_path(config)
    garbage = b"not a database, but the rep's calls may be in here \x00\xff" * 100
    path.write_bytes(garbage)
    window, config = first_window(config)
    window.show()
    task = aio.create_task(_run(window, config, Request("show"), []))
    try:
        qtbot.waitUntil(lambda: window.wrapup.disposition.count() > 1, timeout=30_000)
        qtbot.waitUntil(lambda: any("outbox" in t for t in window.notices.texts), timeout=5000)
        (notice,) = [t for t in window.notices.texts if "outbox" in t]
        assert path.name in notice
        assert "left as it is" in notice
        assert window.outbox_label.text() == "Outbox not open"
        # logging a call says why it cannot be saved, and keeps the call in the form
        from tests.support.qt import end_a_call

        end_a_call(qtbot, window, window)
        window.wrapup.notes.setPlainText("kept")
        window.log_button.click()
        assert "Not saved" in window.log_message.text()
        assert "outbox cannot be opened" in window.log_message.text()
        assert window.wrapup.notes.toPlainText() == "kept"
    finally:
        close(qtbot, window, task)
    assert path.read_bytes() == garbage  # never moved, never rewritten
    assert not list(path.parent.glob(f"{path.name}.unreadable-*"))


@pytest.mark.parametrize("kind", ["a folder", "unreadable", "wrong types"])
def test_an_outbox_that_cannot_open_in_other_ways_keeps_it_too(
    qtbot: Any, aio: Any, server: SandboxServer, home: Path, kind: str
) -> None:
    config = AppConfig(api_base_url=server.base_url, access_token=server.token)
    path = outbox_path(config)
    if kind == "wrong types":  # a database, but not an outbox
        import sqlite3

        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE outbox (x)")
        db.close()
    else:
        damage(path, kind)
    before = os.lstat(path).st_ino
    window, config = first_window(config)
    window.show()
    task = aio.create_task(_run(window, config, Request("show"), []))
    try:
        qtbot.waitUntil(lambda: window.wrapup.disposition.count() > 1, timeout=30_000)
        qtbot.waitUntil(lambda: any("outbox" in t for t in window.notices.texts), timeout=5000)
    finally:
        close(qtbot, window, task)
    assert os.lstat(path).st_ino == before  # the same file, where it was
    assert not list(path.parent.glob(f"{path.name}.unreadable-*"))
