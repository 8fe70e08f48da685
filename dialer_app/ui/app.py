"""Start-up: the one place the QApplication and the asyncio (qasync) loop are created."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QApplication, QSystemTrayIcon  # before qasync: it binds PySide6

from .. import APP_ID, APP_NAME, __version__
from ..core import paths
from ..core.clock import SystemClock
from ..core.drafts import DraftStore
from ..core.remote import Request
from ..core.session import CallSession
from ..core.settings import Settings
from .main_window import MainWindow, open_with_os
from .probe import PROBE_ENV, FirstPaintProbe
from .resources import app_icon

if TYPE_CHECKING:
    from ..services.dialer import BackendFactory, DialerService
    from ..services.softphone import BaresipBridge
    from ..services.tasks import TaskRunner
    from .tray import Tray

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppConfig:
    api_base_url: str | None = None
    access_token: str | None = None
    instance_name: str | None = None  # the local socket a second launch forwards to


def backend_factory(config: AppConfig) -> BackendFactory:
    """How to reach Outreach: the given API and token, or a demo sandbox of our own."""
    from ..core.demo import SandboxProcess
    from ..services.dialer import Backend, start_demo_backend

    if config.api_base_url and config.access_token:
        url, token = config.api_base_url, config.access_token

        async def given() -> Backend:
            return Backend(url, token, demo=False, label=url)

        return given
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


async def _run(
    window: MainWindow, config: AppConfig, first: Request, closed_early: list[bool]
) -> int:
    """Everything after the first paint: the network stack, the outbox, the service."""
    import asyncio

    from ..core import settings as setting
    from ..core.outbox import Outbox
    from ..core.recent import RecentProspects
    from ..core.remote import parse_request
    from ..services.dialer import DialerService
    from ..services.instance import InstanceServer
    from ..services.tasks import TaskRunner

    runner = TaskRunner()
    outbox = Outbox(outbox_path(config))
    region = window.settings.get(setting.REGION)
    service = DialerService(
        runner,
        backend_factory(config),
        outbox,
        region=region,
        recent=RecentProspects(outbox.path.with_name("recent.json")),
    )
    baresip = _baresip(runner, window.settings.get(setting.BARESIP), region)
    hand_off = _hand_off(baresip)
    if hand_off is not None:
        window.set_hand_off(hand_off)
    window.attach(service)
    if baresip is not None:
        baresip.callEvent.connect(window.apply_call_event)
        baresip.callEvent.connect(lambda event: log.info("applied a Baresip event: %s", event.kind))
        baresip.connectionChanged.connect(lambda _up, text: log.info("%s", text))
        baresip.connectionChanged.connect(lambda _up, text: window.statusBar().showMessage(text))
        baresip.dialFailed.connect(window.log_message.setText)
    instance = None
    if config.instance_name:
        instance = InstanceServer(
            config.instance_name, lambda argv: parse_request(argv, region=region)
        )
        instance.requested.connect(lambda request: apply_request(window, request))
        if instance.listen():
            log.info("listening for links and events as %s", config.instance_name)
        else:
            log.warning("another window answers on %s; links go there", config.instance_name)
    tray = _tray(window, service)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    if closed_early:  # closed before the loop ran (the start-up probe does that)
        closed.set()
    runner.failed.connect(window.statusBar().showMessage)
    service.start()
    if baresip is not None:
        baresip.start()
    apply_request(window, first)
    await closed.wait()
    if instance is not None:
        instance.close()
    if tray is not None:
        tray.hide()
    await service.aclose()
    outbox.close()
    return 0


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


def _baresip(runner: TaskRunner, address: str, region: str) -> BaresipBridge | None:
    if not address:
        return None
    from ..core.softphone.baresip import Endpoint
    from ..services.softphone import BaresipBridge

    try:
        endpoint = Endpoint.parse(address)
    except ValueError as exc:
        log.warning("the baresip setting is not HOST:PORT (%s); not following Baresip", exc)
        return None
    return BaresipBridge(runner, endpoint, region=region)


def _hand_off(baresip: BaresipBridge | None) -> Callable[[str], bool] | None:
    """Click-to-dial: through Baresip while linked to it, else through the OS."""
    if baresip is None:
        return None

    def hand_off(uri: str) -> bool:
        return baresip.hand_off(uri) or open_with_os(uri)

    return hand_off


def _tray(window: MainWindow, service: DialerService) -> Tray | None:
    """A tray icon where the desktop has a tray: open, compact, quit, and the sync state."""
    if not QSystemTrayIcon.isSystemTrayAvailable():
        return None
    from .tray import Tray

    tray = Tray(window)
    tray.open_action.triggered.connect(window.showNormal)
    tray.open_action.triggered.connect(window.raise_)
    tray.compact_action.toggled.connect(window.set_compact)
    window.compact_button.toggled.connect(tray.compact_action.setChecked)
    tray.quit_action.triggered.connect(window.close)
    service.outboxChanged.connect(tray.show_counts)
    tray.show()
    return tray


def create_application() -> QApplication:
    """The QApplication, named and iconed; the app quits when `_run` returns, not on close."""
    logging.basicConfig(level=os.environ.get("DIALER_LOG_LEVEL", "WARNING"))
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    return app


def run_app(config: AppConfig, first_request: Request | None = None) -> int:
    """Start in two steps: build and paint the window, then load the rest behind it.

    The window needs only Qt and the light parts of `core`; qasync, httpx, pydantic and the
    outbox load after its first paint, while the rep already sees it ("Connecting…").
    """
    app = create_application()
    window = MainWindow(
        None,
        CallSession(SystemClock()),
        DraftStore(outbox_path(config).with_suffix(".draft.json")),
        Settings(paths.config_dir() / "settings.json"),
        state_file=paths.config_dir() / "window.ini",
    )
    closed_early: list[bool] = []
    window.closed.connect(lambda: closed_early.append(True))
    if os.environ.get(PROBE_ENV):
        FirstPaintProbe(window)
    window.show()
    app.processEvents()  # the first paint, before the heavy imports below

    import qasync

    first = first_request or Request("show")
    return int(qasync.run(_run(window, config, first, closed_early)))
