"""Accounts → Check this org…: the doctor's table for a signed-in profile, read-only."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.secrets import KeyringStore
from dialer_app.core.auth.tokens import TokenSet
from dialer_app.services.accounts import AccountService
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.accounts import AccountsDialog
from tests.support.keychain import MemoryKeyring
from tests.support.sandbox import CLIENT_ID, SandboxServer


def _signed_in(tmp_path: Path, server: SandboxServer, scope: str | None = None) -> AccountService:
    accounts = AccountService(
        TaskRunner(),
        tmp_path / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=lambda _url: True,
        keychain=KeyringStore(MemoryKeyring()),
    )
    store = accounts.open()
    profile = store.save(
        Profile(
            id="sandbox", name="Sandbox org", api_base_url=server.base_url, client_id=CLIENT_ID
        ),
        "secret",
    )
    tokens = server.sign_in(**({"scope": scope} if scope else {}))
    now = time.time()
    store.secrets.set(
        profile.tokens_key,
        TokenSet(
            tokens["access_token"], tokens["refresh_token"], now + 3600, now, tokens["scope"]
        ).dumps(),
    )
    return accounts


def test_an_admin_checks_the_org_and_reads_what_the_app_will_do(
    qtbot: Any, aio: Any, tmp_path: Path, make_sandbox: Any
) -> None:
    server: SandboxServer = make_sandbox("--prospects", "20", "--unknown-filters", "reject")
    accounts = _signed_in(tmp_path, server)
    dialog = AccountsDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.refresh()
    dialog.show()
    dialog.select("sandbox")
    assert dialog.check_button.isEnabled()
    calls_before = server.calls_count()
    with qtbot.waitSignal(accounts.orgChecked, timeout=20_000):
        qtbot.mouseClick(dialog.check_button, Qt.MouseButton.LeftButton)
        assert "Checking Sandbox org" in dialog.message.text()
    assert server.calls_count() == calls_before
    doctor = dialog.doctor
    assert doctor is not None
    assert doctor.isVisible()
    table = doctor.table
    rows = {
        table.item(r, 1).text(): (table.item(r, 0).text(), table.item(r, 3).text())
        for r in range(table.rowCount())
    }
    assert rows["Prefix search (filter[q])"][0] == "✗"
    assert "filter[firstName]" in rows["Prefix search (filter[q])"][1]
    assert rows["Sign-in"][0] == "✓"
    assert rows["Scope calls.write"][0] == "✓"
    assert "1 problem(s)" in doctor.summary.text()
    assert "1 problem(s)" in dialog.message.text()
    qtbot.waitExposed(doctor)
    qtbot.waitUntil(lambda: table.rowHeight(4) < 3 * table.rowHeight(1))  # wrapped, not padded
    assert not doctor.grab().isNull()  # it renders
    qtbot.mouseClick(doctor.copy_button, Qt.MouseButton.LeftButton)
    copied = json.loads(QGuiApplication.clipboard().text())
    assert copied["ok"] is False
    assert len(copied["checks"]) == table.rowCount()
    doctor.close()


def test_a_profile_not_signed_in_cannot_be_checked(
    qtbot: Any, aio: Any, tmp_path: Path, make_sandbox: Any
) -> None:
    server: SandboxServer = make_sandbox("--prospects", "5")
    accounts = _signed_in(tmp_path, server)
    accounts.sign_out("sandbox")
    dialog = AccountsDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.refresh()
    dialog.select("sandbox")
    assert not dialog.check_button.isEnabled()
    with qtbot.waitSignal(accounts.orgCheckFailed) as failed:
        accounts.check_org("sandbox")
    assert "Sign in first" in failed.args[1]
