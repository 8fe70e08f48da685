"""Start-up: the one place the QApplication and the asyncio (qasync) loop are created."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import qasync
from PySide6.QtWidgets import QApplication, QSystemTrayIcon  # before qasync: it binds PySide6

from .. import APP_ID, APP_NAME, __version__
from ..core import paths
from ..core import settings as setting
from ..core.clock import SystemClock
from ..core.demo import SandboxProcess
from ..core.drafts import DraftStore
from ..core.outbox import Outbox
from ..core.session import CallSession
from ..core.settings import Settings
from ..services.dialer import Backend, BackendFactory, DialerService, start_demo_backend
from ..services.tasks import TaskRunner
from .main_window import MainWindow
from .probe import PROBE_ENV, FirstPaintProbe
from .resources import app_icon
from .tray import Tray

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AppConfig:
    api_base_url: str | None = None
    access_token: str | None = None


def backend_factory(config: AppConfig) -> BackendFactory:
    """How to reach Outreach: the given API and token, or a demo sandbox of our own."""
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


async def _run(app: QApplication, config: AppConfig) -> int:
    runner = TaskRunner()
    outbox = Outbox(outbox_path(config))
    settings = Settings(paths.config_dir() / "settings.json")
    service = DialerService(
        runner,
        backend_factory(config),
        outbox,
        region=settings.get(setting.REGION),
        complete_call_task=lambda: settings.get(setting.COMPLETE_CALL_TASK),
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
    runner.failed.connect(window.statusBar().showMessage)
    if os.environ.get(PROBE_ENV):
        FirstPaintProbe(window)
    window.show()
    service.start()
    await closed.wait()
    if tray is not None:
        tray.hide()
    await service.aclose()
    outbox.close()
    return 0


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
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)
    app.setWindowIcon(app_icon())
    return qasync.run(_run(app, config))
