"""Start-up: the one place the QApplication and the asyncio (qasync) loop are created."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import qasync
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QSystemTrayIcon  # before qasync: it binds PySide6

from .. import APP_ID, APP_NAME, __version__
from ..core import logsafe, paths
from ..core import settings as setting
from ..core.auth.profiles import Profile, ProfileStore, admin_profiles_path
from ..core.auth.secrets import MemoryStore
from ..core.auth.tokens import OAuthToken, TokenSet
from ..core.clock import SystemClock
from ..core.demo import SandboxProcess
from ..core.drafts import DraftStore
from ..core.outbox import Outbox
from ..core.outreach import errors as e
from ..core.session import CallSession
from ..core.settings import Settings
from ..services.accounts import AccountService
from ..services.dialer import Backend, BackendFactory, DialerService, start_demo_backend
from ..services.tasks import TaskRunner
from .accounts import AccountsDialog
from .main_window import MainWindow
from .probe import PROBE_ENV, FirstPaintProbe
from .resources import app_icon
from .tray import Tray

log = logging.getLogger(__name__)


PLAIN_FILE_SECRETS = "secrets-NOT-SECURE.json"


@dataclass(frozen=True)
class AppConfig:
    api_base_url: str | None = None
    access_token: str | None = None
    profile_id: str | None = None


def profiles_file() -> Path:
    return paths.config_dir() / "profiles.json"


def choose_config(config: AppConfig) -> AppConfig:
    """Automation flags win; else the active profile (read without the keychain); else demo."""
    if config.api_base_url and config.access_token:
        return config
    active = ProfileStore(profiles_file(), admin_profiles_path(), MemoryStore()).active()
    if active is None:
        return AppConfig()
    return AppConfig(api_base_url=active.api_base_url, profile_id=active.id)


def make_accounts(runner: TaskRunner) -> AccountService:
    return AccountService(
        runner,
        profiles_file(),
        admin_profiles_path(),
        paths.config_dir() / PLAIN_FILE_SECRETS,
        open_browser=lambda url: QDesktopServices.openUrl(QUrl(url)),
    )


def backend_factory(
    config: AppConfig,
    accounts: AccountService | None = None,
    settings: Settings | None = None,
) -> BackendFactory:
    """How to reach Outreach: the given API and token, a signed-in profile, or the demo sandbox."""
    if config.api_base_url and config.access_token:
        url, token = config.api_base_url, config.access_token

        async def given() -> Backend:
            return Backend(url, token, demo=False, label=url)

        return given
    if config.profile_id is not None and accounts is not None:
        profile_id = config.profile_id
        plain = settings.get(setting.PLAIN_FILE_SECRETS) if settings else False

        async def signed_in() -> Backend:
            store = accounts.open(allow_plain_file=plain)  # the keychain: after the window shows
            profile = store.get(profile_id)
            if profile is None:
                raise e.SignInRequired("The active profile is gone: choose one in Accounts.")
            source = OAuthToken.load(profile, store.secrets, mint_interval=accounts.mint_interval)
            return Backend(
                profile.api_base_url, "", demo=False, label=profile.name, token_source=source
            )

        return signed_in
    sandbox = SandboxProcess(
        data_dir=paths.data_dir() / "demo-sandbox", log_file=paths.log_dir() / "demo-sandbox.log"
    )
    return lambda: start_demo_backend(sandbox)


def outbox_path(config: AppConfig) -> Path:
    """One outbox per place calls go: demo calls can never leak into a real org."""
    if config.api_base_url:
        digest = hashlib.sha256(config.api_base_url.rstrip("/").encode()).hexdigest()[:12]
        return paths.data_dir() / f"outbox-{digest}.sqlite3"
    return paths.data_dir() / "outbox-demo.sqlite3"


class AccountsWiring:
    """The Accounts dialog of one window, and what a sign-in or sign-out does to that window.

    Signing in again to the profile the window runs on hands the tokens over and releases the
    held queue; signing in to another org (or from demo mode) calls `switch(profile_id)`.
    """

    def __init__(
        self,
        window: MainWindow,
        service: DialerService,
        accounts: AccountService,
        settings: Settings,
        switch: Callable[[str], None],
    ) -> None:
        self.window = window
        self.service = service
        self.accounts = accounts
        self.settings = settings
        self._switch = switch
        self.dialog: AccountsDialog | None = None
        window.accountsRequested.connect(self.show_dialog)
        accounts.signedIn.connect(self._on_accounts_signed_in)
        accounts.signedOut.connect(self._on_accounts_signed_out)

    def disconnect(self) -> None:
        self.accounts.signedIn.disconnect(self._on_accounts_signed_in)
        self.accounts.signedOut.disconnect(self._on_accounts_signed_out)

    def show_dialog(self) -> AccountsDialog:
        if self.dialog is None:
            self.dialog = AccountsDialog(
                self.accounts,
                plain_file_allowed=lambda: self.settings.get(setting.PLAIN_FILE_SECRETS),
                parent=self.window,
            )
            self.dialog.plainFileOptIn.connect(
                lambda on: self.settings.set(setting.PLAIN_FILE_SECRETS, on)
            )
        self.dialog.refresh()
        oauth = self.service.oauth
        if oauth is not None:
            self.dialog.select(oauth.profile.id)
        if self.dialog.isVisible():
            self.dialog.raise_()  # already open behind the window: bring it forward
        else:
            self.dialog.show()
        return self.dialog

    def _on_accounts_signed_in(self, profile_id: str, tokens: TokenSet) -> None:
        oauth = self.service.oauth
        if oauth is not None and oauth.profile.id == profile_id:
            self.service.signed_in(tokens)
        else:
            self._switch(profile_id)

    def _on_accounts_signed_out(self, profile_id: str) -> None:
        oauth = self.service.oauth
        if oauth is not None and oauth.profile.id == profile_id:
            oauth.forget()


async def _run(app: QApplication, config: AppConfig) -> int:
    settings = Settings(paths.config_dir() / "settings.json")
    accounts_runner = TaskRunner()
    accounts = make_accounts(accounts_runner)
    current = choose_config(config)
    while True:
        switch_to = await _run_window(current, accounts, settings)
        if switch_to is None:
            await accounts_runner.cancel_all()  # a sign-in still waiting for the browser
            return 0
        current = AppConfig(api_base_url=switch_to.api_base_url, profile_id=switch_to.id)


async def _run_window(
    config: AppConfig, accounts: AccountService, settings: Settings
) -> Profile | None:
    """One window on one backend; the profile to switch to, or None when the rep quit."""
    runner = TaskRunner()
    outbox = Outbox(outbox_path(config))
    service = DialerService(
        runner,
        backend_factory(config, accounts, settings),
        outbox,
        region=settings.get(setting.REGION),
    )
    drafts = DraftStore(outbox.path.with_suffix(".draft.json"))
    window = MainWindow(
        service,
        CallSession(SystemClock()),
        drafts,
        settings,
        state_file=paths.config_dir() / "window.ini",
    )
    tray = _tray(window, service)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    switch_to: list[Profile] = []

    def switch(profile_id: str) -> None:
        profile = accounts.open().get(profile_id)
        if profile is not None:
            switch_to.append(profile)
            window.close()

    wiring = AccountsWiring(window, service, accounts, settings, switch)
    runner.failed.connect(window.statusBar().showMessage)
    if os.environ.get(PROBE_ENV):
        FirstPaintProbe(window)
    window.show()
    service.start()
    await closed.wait()
    if tray is not None:
        tray.hide()
    wiring.disconnect()
    await service.aclose()
    outbox.close()
    window.deleteLater()
    return switch_to[0] if switch_to else None


def _tray(window: MainWindow, service: DialerService) -> Tray | None:
    """A tray icon where the desktop has a tray: open, compact, quit, and the sync state."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    tray = Tray(window)
    tray.open_action.triggered.connect(window.showNormal)
    tray.open_action.triggered.connect(window.raise_)
    tray.compact_action.toggled.connect(window.set_compact)
    window.compact_button.toggled.connect(tray.compact_action.setChecked)
    tray.quit_action.triggered.connect(window.close)
    service.outboxChanged.connect(tray.show_counts)
    tray.show()
    return tray


def run_app(config: AppConfig) -> int:
    logging.basicConfig(level=os.environ.get("DIALER_LOG_LEVEL", "WARNING"))
    logsafe.install()  # no token, secret or full phone number in any log line
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    return qasync.run(_run(app, config))
