"""Help in the ☰ menu: Copy diagnostics… lists the bundle before saving it; Open log folder opens
the folder the README names. And the connection's changes reach the log."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu

from dialer_app.app import log_connection
from dialer_app.core import logfile, paths
from dialer_app.core.outreach.models import User
from dialer_app.ui.diagnostics import DiagnosticsDialog
from tests.ui.conftest import Opened

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def _help_menu(opened: Opened) -> QMenu:
    menu = opened.win.menu_button.menu()
    (help_action,) = [a for a in menu.actions() if a.text() == "Help"]
    sub = help_action.menu()
    assert isinstance(sub, QMenu)
    return sub


def test_the_menu_has_help_with_diagnostics_and_the_log_folder(
    make_window: Any, sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: Opened = make_window(sandbox)
    help_menu = _help_menu(opened)
    assert [a.text() for a in help_menu.actions()] == ["Copy diagnostics…", "Open log folder"]
    opened_urls: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened_urls.append(url) or True)
    opened.win.log_folder_action.trigger()
    assert [u.toLocalFile() for u in opened_urls] == [str(paths.log_dir())]


def test_copy_diagnostics_lists_every_file_then_saves_exactly_that(
    make_window: Any, sandbox: Any, qtbot: Any, tmp_path: Path
) -> None:
    opened: Opened = make_window(sandbox)
    # A log line carrying this session's token (as no line should): it must not reach the zip.
    log_file = logfile.log_file()
    with log_file.open("a", encoding="utf-8") as f:
        f.write(f"2026-11-29 10:00:00,000 1 INFO test: a line with {sandbox.token} in it\n")
    opened.win.diagnostics_action.trigger()
    dialog = opened.win.diagnostics_dialog
    assert isinstance(dialog, DiagnosticsDialog)
    qtbot.waitUntil(dialog.isVisible)
    listed = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert [x.split()[0] for x in listed] == [
        "about.txt",
        "settings.json",
        "profiles.json",
        "outbox.json",
        "logs/dialer-app.log",
        "logs/demo-sandbox.log",
    ]
    assert "Qt platform: offscreen" in dialog.contents.toPlainText()  # about.txt, shown first
    dialog.files.setCurrentRow(4)
    assert "a line with [hidden] in it" in dialog.contents.toPlainText()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dialog.grab().save(str(SCREENSHOTS / "diagnostics-dialog.png"))

    target = tmp_path / "for-the-helpdesk.zip"
    assert dialog.save_to(target)
    assert str(target) in dialog.status.text()
    with zipfile.ZipFile(target) as z:
        texts = {name: z.read(name).decode() for name in z.namelist()}
    assert texts["manifest.txt"].strip() == dialog.bundle.listing()
    assert all(sandbox.token not in text for text in texts.values())
    assert json.loads(texts["settings.json"])["dial_scheme"] == "tel"


def test_a_save_that_fails_says_why_and_keeps_the_dialog(
    make_window: Any, sandbox: Any, tmp_path: Path
) -> None:
    opened: Opened = make_window(sandbox)
    dialog = opened.win.show_diagnostics()
    folder = tmp_path / "saves"
    folder.mkdir()
    blocker = folder / "a-file"
    blocker.write_text("not a folder")
    assert not dialog.save_to(blocker / "diagnostics.zip")
    assert dialog.status.text().startswith("Not saved:")
    assert dialog.isVisible()
    assert list(folder.iterdir()) == [blocker]  # no partial zip left anywhere
    assert dialog.save_to(folder / "diagnostics.zip")  # another place works
    assert sorted(p.name for p in folder.iterdir()) == ["a-file", "diagnostics.zip"]


def test_connection_changes_are_logged_at_info(
    make_window: Any, sandbox: Any, caplog: pytest.LogCaptureFixture
) -> None:
    opened: Opened = make_window(sandbox)
    service = opened
    log_connection(service.connection)
    with caplog.at_level(logging.INFO, logger="dialer_app.app"):
        service.connection.connecting.emit("Connecting…")
        service.connection.connected.emit(User(7, "rep@example.com", "Rep", "One"), "Demo")
        service.connection.tokenChanged.emit("Sign in again")
        service.connection.connectionFailed.emit("the sandbox did not answer")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "connection: Connecting…"),
        ("INFO", "connected to Demo as user 7"),
        ("INFO", "sign-in: Sign in again"),
        ("WARNING", "not connected: the sandbox did not answer"),
    ]
    assert "rep@example.com" not in caplog.text
