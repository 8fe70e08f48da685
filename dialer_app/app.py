"""The composition root: the one place the QApplication, the asyncio (qasync) loop, the stores
and the services are created and wired to the window.

The window's frame — its title and search box, where it was left — is painted first, with
only Qt's widget classes it shows and the light parts of `core`. Then the rest of the window is
built (its call desk, card, call, wrap-up, status bar and keys), and qasync, httpx, pydantic,
the keychain and the outbox load, while the rep already sees the window ("Connecting…"). Then
one session runs per backend (demo, a signed-in org profile, or the automation flags): its
outbox, its services (`services.session`) and the window's wiring to them; signing in to
another org ends the session and opens the next one.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication  # before qasync: it binds PySide6

from . import APP_ID, APP_NAME, __version__
from .core import files, logfile, paths
from .ui.main_window import MainWindow, open_with_os
from .ui.probe import PROBE_ENV, FirstPaintProbe
from .ui.resources import app_icon

# What the window's frame needs is imported above, and nothing more: the first paint comes
# before Qt's namespace of enums, the call desk, the window's parts, qasync and the network
# stack load (tests/test_architecture.py holds that line).
if TYPE_CHECKING:
    from .core.auth.profiles import Profile
    from .core.auth.tokens import TokenSet
    from .core.outbox import Outbox
    from .core.remote import InstanceLock, Request
    from .core.settings import Settings
    from .services.accounts import AccountService
    from .services.connection import BackendFactory, Connection
    from .services.hotkeys import GlobalHotkeys
    from .services.instance import InstanceServer
    from .services.logbook import Logbook
    from .services.quiet import QuietCollector
    from .services.session import Services
    from .services.softphone import BaresipBridge
    from .services.tasks import TaskRunner
    from .ui.accounts import AccountsDialog
    from .ui.tray import Tray

log = logging.getLogger(__name__)

PLAIN_FILE_SECRETS = "secrets-NOT-SECURE.json"
_signal_wakeup: list[object] = []


class AppConfig(NamedTuple):
    """Which backend a window runs on, and the single-instance lock it serves (a named tuple,
    like the other records a start makes before its first paint: a dataclass writes and
    compiles its methods when its module loads)."""

    api_base_url: str | None = None
    access_token: str | None = None
    instance: InstanceLock | None = None  # the data folder's: the window serves its socket
    profile_id: str | None = None


def profiles_file() -> Path:
    return paths.config_dir() / "profiles.json"


def choose_config(config: AppConfig) -> AppConfig:
    """Automation flags win; else the active profile (read without the keychain); else demo."""
    if config.api_base_url and config.access_token:
        return config
    from .core.auth.profiles import ProfileStore, admin_profiles_path
    from .core.auth.secrets import MemoryStore

    active = ProfileStore(profiles_file(), admin_profiles_path(), MemoryStore()).active()
    if active is None:
        return AppConfig(instance=config.instance)
    return AppConfig(
        api_base_url=active.api_base_url,
        instance=config.instance,
        profile_id=active.id,
    )


def make_accounts(runner: TaskRunner) -> AccountService:
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QDesktopServices

    from .core.auth.profiles import admin_profiles_path
    from .services.accounts import AccountService

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
    from .core.demo import SandboxProcess
    from .services.connection import Backend, start_demo_backend

    if config.api_base_url and config.access_token:
        url, token = config.api_base_url, config.access_token

        async def given() -> Backend:
            return Backend(url, token, demo=False, label=url)

        return given
    if config.profile_id is not None and accounts is not None:
        from .core.auth.tokens import OAuthToken
        from .core.outreach import errors as e
        from .core.settings import PLAIN_FILE_SECRETS as PLAIN

        profile_id = config.profile_id
        plain = settings.get(PLAIN) if settings else False

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
        import hashlib

        digest = hashlib.sha256(config.api_base_url.rstrip("/").encode()).hexdigest()[:12]
        return paths.data_dir() / f"outbox-{digest}.sqlite3"
    return paths.data_dir() / "outbox-demo.sqlite3"


def new_window(config: AppConfig, settings: Settings) -> MainWindow:
    """A window for `config`'s backend, not yet attached to a service."""
    window = MainWindow(None, None, state_file=window_state_file())
    build_window(window, config, settings)
    return window


def build_window(window: MainWindow, config: AppConfig, settings: Settings) -> None:
    """The rest of a window's frame, for `config`'s backend: its call desk (and the calls in
    progress saved for that backend), on `settings`."""
    from .core.clock import SystemClock
    from .core.desk import CallDesk
    from .core.drafts import DraftStore

    drafts = DraftStore(outbox_path(config).with_suffix(".draft.json"))
    window.build(CallDesk(SystemClock()), drafts, settings)


def window_state_file() -> Path:
    """`window.ini` (size, position, compact mode), set aside first if it is not one Qt wrote:
    Qt reads anything without complaint, so the check is here."""
    path = paths.config_dir() / "window.ini"
    try:
        data = files.read_bytes(path, limit=1024 * 1024)
        if data is not None:
            _check_window_state(data)
    except files.Unreadable as exc:
        files.set_aside_and_tell(
            path,
            exc.reason,
            what="The window's size and position",
            outcome="the window opens at its usual size",
        )
    return path


def _check_window_state(data: bytes) -> None:
    """`files.Unreadable` unless `data` is an INI file whose known keys hold what Qt writes."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise files.Unreadable("it is not text") from None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in ";#" or (line[0] == "[" and line[-1] == "]"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise files.Unreadable("it is not a settings file")
        key, value = key.strip(), value.strip()
        if key == "geometry" and not (value.startswith("@ByteArray(") and value.endswith(")")):
            raise files.Unreadable("its window geometry is not what the app writes")
        if key == "compact" and value not in ("true", "false"):
            raise files.Unreadable("its compact mode is neither true nor false")


def open_outbox(path: Path) -> tuple[Outbox, str | None]:
    """The outbox at `path` (made private), or — when it cannot be opened — a stand-in that
    refuses new calls (`Queue.unopened`), and the sentence that says so. The file itself is
    never moved or deleted: it may hold calls not yet sent."""
    from .core.outbox import Outbox, OutboxError

    try:
        if path.exists() and not path.is_file():
            raise OutboxError(f"{path} is not a file")
        return Outbox(paths.database(path)), None
    except OutboxError as exc:
        problem = (
            f"Your outbox ({path.name}) cannot be opened: {exc}. It is left as it is in "
            f"{path.parent}, because it may hold calls not yet sent. New calls cannot be "
            "logged until it opens: ask your helpdesk (or move that file somewhere safe and "
            "start the app again)."
        )
        log.warning("%s", problem)
        refusal = "The outbox cannot be opened (the notice at the top of the window says why)."
        return Outbox.unopened(path, refusal), problem


class AccountsWiring:
    """The Accounts dialog of one window, and what a sign-in or sign-out does to the session.

    Signing in again to the profile the window runs on hands the tokens over and releases the
    held queue; signing in to another org (or from demo mode) calls `switch(profile_id)`.
    """

    def __init__(
        self,
        window: MainWindow,
        connection: Connection,
        accounts: AccountService,
        settings: Settings,
        switch: Callable[[str], None],
    ) -> None:
        self.window = window
        self.connection = connection
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
            from .core.settings import PLAIN_FILE_SECRETS as PLAIN
            from .ui.accounts import AccountsDialog

            self.dialog = AccountsDialog(
                self.accounts,
                plain_file_allowed=lambda: self.settings.get(PLAIN),
                parent=self.window,
            )
            self.dialog.plainFileOptIn.connect(lambda on: self.settings.set(PLAIN, on))
        self.dialog.refresh()
        oauth = self.connection.oauth
        if oauth is not None:
            self.dialog.select(oauth.profile.id)
        if self.dialog.isVisible():
            self.dialog.raise_()  # already open behind the window: bring it forward
        else:
            self.dialog.show()
        return self.dialog

    def _on_accounts_signed_in(self, profile_id: str, tokens: TokenSet) -> None:
        oauth = self.connection.oauth
        if oauth is not None and oauth.profile.id == profile_id:
            self.connection.signed_in(tokens)
        else:
            self._switch(profile_id)

    def _on_accounts_signed_out(self, profile_id: str) -> None:
        oauth = self.connection.oauth
        if oauth is not None and oauth.profile.id == profile_id:
            oauth.forget()


class _Sessions:
    """What lives across sessions: the accounts, the second-launch socket, the window in use."""

    def __init__(self, window: MainWindow, config: AppConfig) -> None:
        from .services.tasks import TaskRunner

        self.window = window
        self.settings = window.settings
        self.accounts_runner = TaskRunner()
        self.accounts = make_accounts(self.accounts_runner)
        self.instance = self._listen(config)

    def _listen(self, config: AppConfig) -> InstanceServer | None:
        """Where later launches hand their links and events to this window (see `serve`)."""
        if config.instance is None:
            return None
        from .core.remote import parse_request
        from .core.settings import REGION
        from .services.instance import serve

        region = self.settings.get(REGION)
        instance = serve(config.instance, lambda argv: parse_request(argv, region=region))
        instance.requested.connect(lambda request: apply_request(self.window, request))
        return instance

    async def close(self) -> None:
        if self.instance is not None:
            self.instance.close()
        await self.accounts_runner.close()  # a sign-in still waiting for the browser


async def _run(
    window: MainWindow, config: AppConfig, first: Request, closed_early: list[bool]
) -> int:
    """Everything after the first paint: one session per backend until the rep quits."""
    from .core.remote import Request

    sessions = _Sessions(window, config)
    try:
        while True:
            switch_to = await _session(
                sessions.window, config, sessions.accounts, sessions.settings, first, closed_early
            )
            if switch_to is None:
                return 0
            config = AppConfig(
                api_base_url=switch_to.api_base_url,
                instance=config.instance,
                profile_id=switch_to.id,
            )
            sessions.window = new_window(config, sessions.settings)
            sessions.window.show()
            first, closed_early = Request("show"), []
    finally:
        await sessions.close()


async def _session(
    window: MainWindow,
    config: AppConfig,
    accounts: AccountService,
    settings: Settings,
    first: Request | None = None,
    closed_early: list[bool] | None = None,
) -> Profile | None:
    """`window` on one backend; the profile to switch to, or None when the rep quit."""
    import asyncio

    from PySide6.QtCore import Qt

    from .core import settings as setting
    from .core.remote import Request
    from .services.queue import queue_for

    stop_notices = files.notices.listen(window.notices.post)  # what was set aside, said once
    outbox, outbox_problem = open_outbox(outbox_path(config))
    region = settings.get(setting.REGION)
    services = make_services(config, outbox, accounts, settings)
    baresip = _baresip(settings.get(setting.BARESIP), region)
    hand_off = _hand_off(baresip)
    if hand_off is not None:
        window.set_hand_off(hand_off)
    window.attach(services)
    queue = queue_for(services, settings)
    window.attach_queue(queue)
    if outbox_problem is not None:
        window.notices.post(outbox_problem)
        _show_outbox_unopened(window, services.logbook)
    log_connection(services.connection)
    if baresip is not None:
        baresip.callEvent.connect(window.apply_call_event)
        baresip.callEvent.connect(lambda event: log.info("applied a Baresip event: %s", event.kind))
        baresip.connectionChanged.connect(lambda _up, text: log.info("%s", text))
        baresip.connectionChanged.connect(lambda _up, text: window.say(text))
        baresip.dialFailed.connect(window.say)
    tray = _tray(window, services.logbook)
    if tray is not None:
        queue.todayChanged.connect(tray.show_today)
        tray.show_today(queue.today)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    if closed_early:  # closed before the loop ran (the start-up probe does that)
        closed.set()
    switch_to: list[Profile] = []

    def switch(profile_id: str) -> None:
        profile = accounts.open().get(profile_id)
        if profile is not None:
            switch_to.append(profile)
            window.close()

    wiring = AccountsWiring(window, services.connection, accounts, settings, switch)
    services.on_failure(window.say)
    window.set_hotkeys(_hotkeys())
    quiet: list[object] = []  # the collector's full passes, once settled

    def settle() -> None:
        settle_memory()
        quiet.append(collect_when_quiet(window, services))

    services.lookup.referenceLoaded.connect(settle, Qt.ConnectionType.SingleShotConnection)
    services.start()
    if baresip is not None:
        baresip.start()
    apply_request(window, first or Request("show"))
    await closed.wait()
    stop_notices()
    window.set_hotkeys(None)  # the keys go back to the other apps
    if tray is not None:
        tray.hide()
    wiring.disconnect()
    await queue.aclose()
    if baresip is not None:
        await baresip.aclose()
    await services.aclose()
    outbox.close()
    window.deleteLater()
    return switch_to[0] if switch_to else None


def _hotkeys() -> GlobalHotkeys | None:
    """Global shortcuts where the platform has them (grabbed only once turned on)."""
    from .services.hotkeys import GlobalHotkeys, backend_factory

    platform = QGuiApplication.platformName()
    factory = backend_factory(platform)
    return GlobalHotkeys(factory, platform) if factory is not None else None


def make_services(
    config: AppConfig, outbox: Outbox, accounts: AccountService | None, settings: Settings
) -> Services:
    """The services of one session on `outbox`, for `config`'s backend."""
    from .core import settings as setting
    from .core.recent import RecentProspects
    from .services.session import build_services

    return build_services(
        backend_factory(config, accounts, settings),
        outbox,
        region=settings.get(setting.REGION),
        recent=RecentProspects(outbox.path.with_name("recent.json")),
        complete_call_task=lambda: settings.get(setting.COMPLETE_CALL_TASK),
    )


def _show_outbox_unopened(window: MainWindow, logbook: Logbook) -> None:
    """The sync state says the outbox is not open (never "All calls synced": its file may hold
    calls not yet sent)."""

    def show(*_: object) -> None:
        window.outbox_label.setText("Outbox not open")
        window.outbox_label.setToolTip(
            "The outbox file could not be opened: calls stay in the form until it can be"
        )
        window.outbox_label.setStyleSheet("color: #b3261e; font-weight: bold;")

    logbook.changed.connect(show)  # after the window's own slot: this text stays
    show()


def settle_memory() -> None:
    """Once connected: start-up's objects out of the collector's full passes, which wait for
    quiet moments from now on (`core.memory`)."""
    from .core import memory

    memory.settle()


def collect_when_quiet(
    window: MainWindow, services: Services, quiet_ms: int | None = None
) -> QuietCollector:
    """The collector's full pass once the rep and the outbox have been quiet a while
    (`quiet_ms`; `services.quiet.QUIET_MS` when not given)."""
    from .services.quiet import QUIET_MS, QuietCollector

    quiet = QuietCollector(QUIET_MS if quiet_ms is None else quiet_ms, parent=window)
    window.search.queryChanged.connect(quiet.activity)
    services.lookup.recentFound.connect(quiet.activity)
    services.lookup.searchFinished.connect(quiet.activity)
    services.logbook.changed.connect(quiet.activity)
    return quiet


def apply_request(window: MainWindow, request: Request) -> None:
    """What a second launch (or this one's own arguments) asked for."""
    log.info("applying a request: %s", request.kind)
    if request.kind == "open":
        window.open_uri(request.uri)
    elif request.kind == "event" and request.event is not None:
        window.apply_call_event(request.event)
    else:
        window.bring_to_front(activate=True)
    log.info("applied a request: %s", request.kind)


def _baresip(address: str, region: str) -> BaresipBridge | None:
    if not address:
        return None
    from .core.softphone.baresip import Endpoint
    from .services.softphone import BaresipBridge
    from .services.tasks import TaskRunner

    try:
        endpoint = Endpoint.parse(address)
    except ValueError as exc:
        log.warning("the baresip setting is not HOST:PORT (%s); not following Baresip", exc)
        return None
    return BaresipBridge(TaskRunner(), endpoint, region=region)


def _hand_off(baresip: BaresipBridge | None) -> Callable[[str], bool] | None:
    """Click-to-dial: through Baresip while linked to it, else through the OS."""
    if baresip is None:
        return None

    def hand_off(uri: str) -> bool:
        return baresip.hand_off(uri) or open_with_os(uri)

    return hand_off


def _tray(window: MainWindow, logbook: Logbook) -> Tray | None:
    """A tray icon where the desktop has a tray: open, compact, quit, and the sync state."""
    from PySide6.QtWidgets import QSystemTrayIcon

    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    from .ui.tray import Tray

    tray = Tray(window, logbook)
    tray.open_action.triggered.connect(window.showNormal)
    tray.open_action.triggered.connect(window.raise_)
    tray.compact_action.toggled.connect(window.set_compact)
    window.compact_action.toggled.connect(tray.compact_action.setChecked)
    tray.quit_action.triggered.connect(window.close)
    tray.show()
    return tray


def create_application(*, icon: bool = True) -> QApplication:
    """The QApplication, named (and iconed, unless `icon` is False: `run_app` gives it its icon
    after the first paint, which Qt's icon class and svg plugin would otherwise delay); the
    app quits when `_run` returns, not on close."""
    logfile.setup()  # the log file a helpdesk reads, redacted; warnings on stderr
    log.info("%s", startup_line())  # before Qt loads its platform: a failure there follows it
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    log.info("Qt platform: %s", app.platformName())
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)
    if icon:
        app.setWindowIcon(app_icon())
    return app


def _close_on_signals(app: QApplication) -> None:
    """SIGTERM (a logout, `kill`) and SIGINT (Ctrl+C) close the window as the rep would: the
    window's state and the call in progress are saved, the socket is removed, exit code 0.

    Python runs a signal handler only when it next runs Python code; Qt's loop is C++, so the
    signal also wakes Qt through a socket (`signal.set_wakeup_fd`).
    """
    if sys.platform == "win32":
        return  # no such signals for a windowed app there
    import contextlib
    import signal
    import socket

    from PySide6.QtCore import QSocketNotifier

    receive, send = socket.socketpair()
    for end in (receive, send):
        end.setblocking(False)
    signal.set_wakeup_fd(send.fileno())
    notifier = QSocketNotifier(receive.fileno(), QSocketNotifier.Type.Read, app)

    def drain() -> None:
        with contextlib.suppress(OSError):
            receive.recv(512)

    notifier.activated.connect(drain)

    def close(signum: int, _frame: object) -> None:
        log.info("closing on signal %s", signum)
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow):
                widget.close()

    signal.signal(signal.SIGTERM, close)
    signal.signal(signal.SIGINT, close)
    _signal_wakeup[:] = [receive, send, notifier]  # alive as long as the app


def first_window(config: AppConfig) -> tuple[MainWindow, AppConfig]:
    """The first window, on the settings file, and the backend it is for (see `choose_config`).

    Whatever local file cannot be read on the way is set aside and waits in `files.notices`
    for the window's notice bar.
    """
    window = MainWindow(None, None, state_file=window_state_file())
    return window, finish_first_window(window, config)


def finish_first_window(window: MainWindow, config: AppConfig) -> AppConfig:
    """Build the first window's frame for the backend `config` chooses (see `choose_config`),
    on the settings file; that backend's config."""
    from .core.settings import Settings

    config = choose_config(config)
    build_window(window, config, Settings(paths.config_dir() / "settings.json"))
    return config


def startup_line() -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    about = logfile.about()
    return (
        f"{APP_NAME} {about['version']} starting ({about['build']}): Python {about['python']},"
        f" PySide6 {pyside_version}, Qt {qVersion()}, {about['os']} {about['machine']};"
        f" logs in {paths.log_dir()}"
    )


def log_qt_messages() -> None:
    """Qt's own messages in the log too — above all the one saying why no platform plugin could
    load, which an installed app on Windows has no console to show."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {
        QtMsgType.QtDebugMsg: logging.DEBUG,
        QtMsgType.QtInfoMsg: logging.INFO,
        QtMsgType.QtWarningMsg: logging.WARNING,
        QtMsgType.QtCriticalMsg: logging.ERROR,
        QtMsgType.QtFatalMsg: logging.CRITICAL,
    }

    def handler(kind: QtMsgType, context: object, message: str) -> None:
        category = getattr(context, "category", "") or "default"
        where = "" if category == "default" else f"{category}: "
        qt_log.log(levels.get(kind, logging.WARNING), "%s%s", where, message)

    qInstallMessageHandler(handler)


def log_connection(connection: Connection) -> None:
    """The connection's changes, at INFO in the log file."""
    connection.connecting.connect(lambda what: log.info("connection: %s", what))
    connection.connected.connect(
        lambda user, label: log.info("connected to %s as user %s", label, user.id)
    )
    connection.connectionFailed.connect(lambda message: log.warning("not connected: %s", message))
    connection.tokenChanged.connect(lambda health: log.info("sign-in: %s", health or "ok"))
    connection.signInRequired.connect(lambda message: log.warning("sign in again: %s", message))


def run_app(config: AppConfig, first_request: Request | None = None) -> int:
    """Paint the window's frame — its search box, where the window was — then build the rest
    of it, load everything else behind it and run until the rep quits."""
    from PySide6.QtCore import QEventLoop

    log_qt_messages()
    app = create_application(icon=False)
    window = MainWindow(None, None, state_file=window_state_file())
    closed_early: list[bool] = []
    window.closed.connect(lambda: closed_early.append(True))
    if os.environ.get(PROBE_ENV):
        FirstPaintProbe(window)
    window.show()
    # The frame's paint, then the whole window's, before anything else loads. What the rep
    # types meanwhile waits, in order, for the window attached to its services.
    paint = QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents
    app.processEvents(paint)
    app.setWindowIcon(app_icon())  # the window's and its dialogs'
    config = finish_first_window(window, config)
    app.processEvents(paint)
    _close_on_signals(app)

    import qasync

    from .core.remote import Request

    first = first_request or Request("show")
    return int(qasync.run(_run(window, config, first, closed_early)))
