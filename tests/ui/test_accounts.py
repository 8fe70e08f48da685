"""Accounts: profiles with errors beside their fields, sign-in in the browser, the held queue.

The sandbox runs with `--auto-approve`; the "browser" is an httpx client that follows the
authorize redirect to the app's loopback listener, as a real browser would.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtCore import Qt

from dialer_app.app import AccountsWiring, AppConfig, backend_factory
from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.secrets import KeyringStore
from dialer_app.core.auth.tokens import TokenSet
from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.core.settings import Settings
from dialer_app.services.accounts import AccountService
from dialer_app.services.session import build_services
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.accounts import AccountsDialog
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.keychain import MemoryKeyring
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SandboxServer
from tests.ui.conftest import Opened, close


class Browser:
    """Opens URLs by following redirects with httpx, in the background on the app's loop."""

    def __init__(self) -> None:
        self.pages: list[httpx.Response] = []
        self._tasks: list[asyncio.Task[None]] = []

    def open(self, url: str) -> bool:
        async def go() -> None:
            async with httpx.AsyncClient(follow_redirects=True, timeout=10) as client:
                self.pages.append(await client.get(url))

        self._tasks.append(asyncio.ensure_future(go()))
        return True


@pytest.fixture
def keychain() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def accounts(tmp_path: Path, keychain: MemoryKeyring, aio: Any) -> AccountService:
    return AccountService(
        TaskRunner(),
        tmp_path / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=Browser().open,
        keychain=KeyringStore(keychain),
    )


def _fill(dialog: AccountsDialog, **values: str) -> None:
    for key, value in values.items():
        dialog.inputs[key].setText(value)


def _accounts(tmp_path: Path, keyring: Any) -> AccountService:
    """Accounts on files under `tmp_path`, no admin file, a browser that opens nothing."""
    return AccountService(
        TaskRunner(),
        tmp_path / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=lambda _url: True,
        keychain=KeyringStore(keyring),
    )


def test_bad_input_is_refused_next_to_each_field(
    qtbot: Any, accounts: AccountService, tmp_path: Path
) -> None:
    dialog = AccountsDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.refresh()
    dialog.show()
    _fill(dialog, name="", api_base_url="ftp://x", client_id="", redirect_port="80")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["client_secret"].isVisible()
    _fill(dialog, client_secret="s")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    for field in ("name", "api_base_url", "client_id", "redirect_port"):
        assert dialog.errors[field].isVisible(), field
        assert dialog.errors[field].text()
    _fill(dialog, redirect_port="abc")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "number" in dialog.errors["redirect_port"].text()
    assert not (tmp_path / "profiles.json").exists()
    _fill(
        dialog,
        name="Acme",
        api_base_url="https://api.outreach.io/api/v2",
        client_id="acme",
        redirect_port="0",
    )
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not any(label.isVisible() for label in dialog.errors.values())
    assert dialog.list.count() == 1
    assert "Saved Acme" in dialog.message.text()
    assert "s" not in (tmp_path / "profiles.json").read_text(encoding="utf-8").split('"')[1::2]


def test_without_a_keychain_the_dialog_says_so_and_offers_the_labelled_fallback(
    qtbot: Any, tmp_path: Path, aio: Any
) -> None:
    from keyring.backends.fail import Keyring as NoKeyring

    opted = {"on": False}
    accounts = _accounts(tmp_path, NoKeyring())
    dialog = AccountsDialog(accounts, plain_file_allowed=lambda: opted["on"])
    dialog.plainFileOptIn.connect(lambda on: opted.update(on=on))
    qtbot.addWidget(dialog)
    dialog.refresh()
    dialog.show()
    assert "nothing is stored" in dialog.store_label.text()
    assert dialog.plain_file.isVisible()
    assert "NOT SECURE" in dialog.plain_file.text()
    _fill(dialog, name="Acme", client_id="acme", client_secret="sekret")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not (tmp_path / "plain.json").exists()
    dialog.plain_file.click()
    assert opted["on"]
    assert "plain file" in dialog.store_label.text()
    _fill(dialog, client_secret="sekret")
    dialog.select("acme")
    _fill(dialog, client_secret="sekret")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "sekret" in (tmp_path / "plain.json").read_text(encoding="utf-8")


def _call(n: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(
            outcome="Answered", note=f"accounts {n}", vendorCallId=f"acc-{n}"
        ),
        relationships=CallRelationships.link(prospect=1),
    )


def test_sign_in_from_the_window_then_a_revoked_sign_in_holds_the_queue_until_signing_in_again(
    qtbot: Any,
    aio: Any,
    tmp_path: Path,
    keychain: MemoryKeyring,
    make_sandbox: Callable[..., SandboxServer],
) -> None:
    server = make_sandbox("--prospects", "5", "--auto-approve", "--mint-interval", "0")
    browser = Browser()
    accounts = AccountService(
        TaskRunner(),
        tmp_path / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=browser.open,
        keychain=KeyringStore(keychain),
    )
    profile = Profile("sbx", "Sandbox org", server.base_url, CLIENT_ID, 0)
    accounts.mint_interval = 0  # the one-a-minute rule has its own test
    accounts.save_profile(profile, CLIENT_SECRET)
    accounts.set_active("sbx")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    services = build_services(backend_factory(AppConfig(profile_id="sbx"), accounts), outbox)
    win = MainWindow(services, CallDesk(FakeClock()))
    qtbot.addWidget(win)
    opened = Opened(win, services, outbox, FakeClock())
    service = opened
    switched: list[str] = []
    wiring = AccountsWiring(win, services.connection, accounts, Settings(), switched.append)
    try:
        win.show()
        with qtbot.waitSignal(service.connection.signInRequired, timeout=10_000):
            services.start()  # a profile without tokens: the rep is asked to sign in
        assert win.account_button.text() == "Sign in again"

        qtbot.mouseClick(win.account_button, Qt.MouseButton.LeftButton)
        dialog = wiring.dialog
        assert dialog is not None
        assert dialog.isVisible()
        assert dialog.inputs["client_secret"].placeholderText().startswith("kept")
        with qtbot.waitSignal(service.lookup.referenceLoaded, timeout=15_000):
            qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        assert "Signed in" in browser.pages[-1].text
        assert service.connection.user.name in win.who_action.text()  # the ☰ menu says who
        assert win.account_button.accessibleDescription().startswith("token valid")
        saved = TokenSet.loads(keychain.passwords[("dialer-companion", "profile/sbx/tokens")])
        assert saved is not None
        assert CLIENT_SECRET not in (tmp_path / "profiles.json").read_text(encoding="utf-8")
        assert "signed in" in dialog.list.item(0).text()

        with qtbot.waitSignal(service.logbook.callSent, timeout=10_000):
            service.logbook.log_call(_call(1))

        server.admin("tokens/revoke-refresh", method="POST")
        server.admin("tokens/expire", method="POST")
        with qtbot.waitSignal(service.connection.signInRequired, timeout=10_000):
            service.logbook.log_call(_call(2))
        qtbot.waitUntil(lambda: service.logbook.held is not None, timeout=5000)
        assert win.account_button.text() == "Sign in again"
        assert ("dialer-companion", "profile/sbx/tokens") not in keychain.passwords
        assert service.logbook.counts().unsent == 1

        with qtbot.waitSignal(service.logbook.callSent, timeout=15_000):
            qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
        assert service.logbook.held is None
        assert win.account_button.accessibleDescription().startswith("token valid")
        assert switched == []

        qtbot.mouseClick(dialog.sign_out_button, Qt.MouseButton.LeftButton)
        assert ("dialer-companion", "profile/sbx/tokens") not in keychain.passwords
        assert win.account_button.text() == "Sign in again"
        assert "Signed out" in dialog.message.text()
    finally:
        wiring.disconnect()
        close(qtbot, aio, opened)


def test_signing_in_to_another_org_switches_the_window(
    qtbot: Any, aio: Any, tmp_path: Path, make_window: Any, sandbox: SandboxServer
) -> None:
    opened = make_window(sandbox)
    switched: list[str] = []
    accounts = _accounts(tmp_path, MemoryKeyring())
    wiring = AccountsWiring(opened.win, opened.connection, accounts, Settings(), switched.append)
    try:
        assert opened.win.account_button.text() == "Sign in…"
        accounts.signedIn.emit("other", TokenSet("a", "r", 0, 0))
        assert switched == ["other"]
    finally:
        wiring.disconnect()


def test_the_app_starts_on_the_active_profile_and_automation_flags_still_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aio: Any, qtbot: Any
) -> None:
    from dialer_app.app import choose_config, outbox_path
    from dialer_app.core.auth.profiles import ADMIN_ENV
    from dialer_app.core.auth.tokens import OAuthToken

    monkeypatch.setenv("DIALER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(ADMIN_ENV, str(tmp_path / "no-admin.json"))
    assert choose_config(AppConfig()) == AppConfig()  # no profile: demo mode
    keychain = MemoryKeyring()
    accounts = AccountService(
        TaskRunner(),
        tmp_path / "home" / "config" / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=lambda _url: True,
        keychain=KeyringStore(keychain),
    )
    accounts.save_profile(Profile("acme", "Acme", "https://acme.test/api/v2", "c"), "s")
    accounts.set_active("acme")
    config = choose_config(AppConfig())
    assert config == AppConfig(api_base_url="https://acme.test/api/v2", profile_id="acme")
    assert outbox_path(config) != outbox_path(AppConfig())
    given = AppConfig(api_base_url="http://127.0.0.1:9/api/v2", access_token="tok")
    assert choose_config(given) is given

    async def make() -> Any:
        return await backend_factory(config, accounts)()

    task = aio.create_task(make())
    qtbot.waitUntil(task.done, timeout=5000)
    made = task.result()
    assert made.label == "Acme"
    assert not made.demo
    assert isinstance(made.token_source, OAuthToken)
    assert made.token_source.tokens is None  # signed out: the window will ask to sign in


def test_a_session_ends_with_the_profile_signed_in_to_and_the_next_one_starts_on_it(
    qtbot: Any, aio: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtWidgets import QApplication

    from dialer_app.app import _session, new_window
    from dialer_app.core.auth.profiles import ADMIN_ENV

    monkeypatch.setenv("DIALER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv(ADMIN_ENV, str(tmp_path / "no-admin.json"))
    accounts = _accounts(tmp_path, MemoryKeyring())
    acme = accounts.save_profile(Profile("acme", "Acme", "https://acme.test/api/v2", "c"), "s")
    shown = new_window(AppConfig(), Settings())
    shown.show()
    session = aio.create_task(_session(shown, AppConfig(), accounts, Settings()))

    def window() -> MainWindow | None:
        found = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        return found[0] if found and found[0].isVisible() else None

    qtbot.waitUntil(lambda: window() is not None, timeout=5000)
    win = window()
    assert win is not None
    qtbot.waitUntil(lambda: win.wrapup.disposition.count() > 0, timeout=30_000)  # demo is up
    assert win.mode_label.text() == "<b>Demo</b>"
    accounts.signedIn.emit("acme", TokenSet("a", "r", 0, 0))
    qtbot.waitUntil(session.done, timeout=15_000)
    assert session.result() == acme


def test_a_sign_in_waiting_for_the_browser_can_be_cancelled(
    qtbot: Any, aio: Any, tmp_path: Path
) -> None:
    opened: list[str] = []
    accounts = AccountService(
        TaskRunner(),
        tmp_path / "profiles.json",
        None,
        tmp_path / "plain.json",
        open_browser=lambda url: opened.append(url) is None,
        keychain=KeyringStore(MemoryKeyring()),
    )
    accounts.save_profile(Profile("acme", "Acme", "https://acme.test/api/v2", "c"), "s")
    dialog = AccountsDialog(accounts)
    qtbot.addWidget(dialog)
    dialog.refresh()
    dialog.show()
    with qtbot.waitSignal(accounts.signInWaiting, timeout=5000) as waiting:
        qtbot.mouseClick(dialog.sign_in_button, Qt.MouseButton.LeftButton)
    assert opened == [waiting.args[1]]
    assert waiting.args[1].startswith("https://acme.test/oauth/authorize?")
    assert "state=" in waiting.args[1]
    assert dialog.cancel_button.isVisible()
    assert "browser" in dialog.message.text()
    with qtbot.waitSignal(accounts.signInFailed, timeout=5000):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Sign-in cancelled."
    assert not dialog.cancel_button.isVisible()
    assert not accounts.signing_in
