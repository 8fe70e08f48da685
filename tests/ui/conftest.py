"""UI fixtures: real windows on real services against a sandbox, closed cleanly after the test.

The window fixture also fails a test that leaves a top-level widget of its own behind (a dialog
without a parent, a window never closed), as napari's `make_napari_viewer` does: such a widget
lives as long as the app, unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, QEvent
from PySide6.QtWidgets import QApplication, QWidget

from dialer_app.core import settings as s
from dialer_app.core.desk import CallDesk
from dialer_app.core.drafts import DraftStore
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import Backend, Connection
from dialer_app.services.logbook import Logbook
from dialer_app.services.lookup import Lookup
from dialer_app.services.queue import CallQueue, queue_for
from dialer_app.services.session import Services, build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock


@dataclass
class Opened:
    """A window the test drives, its services, and what it handed to the softphone."""

    win: MainWindow
    services: Services
    outbox: Outbox
    clock: FakeClock
    handed: list[str] = field(default_factory=list)
    queue: CallQueue | None = None
    settings: s.Settings | None = None

    @property
    def connection(self) -> Connection:
        return self.services.connection

    @property
    def lookup(self) -> Lookup:
        return self.services.lookup

    @property
    def logbook(self) -> Logbook:
        return self.services.logbook


def sandbox_backend(server: Any) -> Callable[[], Any]:
    async def backend() -> Backend:
        return Backend(server.base_url, server.token, demo=True, label="Demo")

    return backend


@pytest.fixture(autouse=True)
def _no_unexpected_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """A question box no test answers would wait forever: it fails the test instead (a test
    that expects one patches `QMessageBox.question` itself)."""
    from PySide6.QtWidgets import QMessageBox

    def refuse(_parent: object, title: str, text: str, *_rest: object) -> object:
        raise AssertionError(f"unexpected question {title!r}: {text}")

    monkeypatch.setattr(QMessageBox, "question", refuse)


@pytest.fixture
def make_window(
    qtbot: Any, aio: Any, tmp_path: Any, request: pytest.FixtureRequest
) -> Iterator[Callable[..., Opened]]:
    """`make_window(server, clock=…, scheme=…, drafts=True, outbox_name=…, hand_off=…,
    complete_call_task=…, hours_prompt=False, settings=…)` → a connected window (`hand_off`
    replaces the recorder of what was handed to the softphone).

    Windows sharing `outbox_name` share their outbox and draft files (a restarted app). The
    calling-hours question is off unless `hours_prompt`: the tests run at any hour, and the
    prospects live in every time zone.
    At the end every window is closed and deleted, and a top-level widget the test left
    behind fails it.
    """
    made: list[Opened] = []
    before = set(QApplication.topLevelWidgets())

    def make(
        server: Any,
        *,
        clock: FakeClock | None = None,
        scheme: str = "tel",
        drafts: bool = False,
        outbox_name: str | None = None,
        hand_off: Callable[[str], bool] | None = None,
        complete_call_task: bool = False,
        hours_prompt: bool = False,
        settings: s.Settings | None = None,
    ) -> Opened:
        name = outbox_name or f"outbox-{len(made)}"
        settings = settings or s.Settings()
        settings.set(s.DIAL_SCHEME, scheme)
        settings.set(s.CONFIRM_OUTSIDE_HOURS, hours_prompt)
        outbox = Outbox(tmp_path / f"{name}.sqlite3")
        services = build_services(
            sandbox_backend(server), outbox, complete_call_task=lambda: complete_call_task
        )
        opened = Opened(None, services, outbox, clock or FakeClock(datetime.now(UTC)))  # type: ignore[arg-type]
        opened.settings = settings
        opened.win = MainWindow(
            services,
            CallDesk(opened.clock),
            DraftStore(tmp_path / f"{name}.draft.json") if drafts else None,
            settings,
            hand_off=hand_off or (lambda uri: opened.handed.append(uri) is None),
        )
        opened.queue = queue_for(services, settings)
        opened.queue.clock = opened.clock
        opened.win.attach_queue(opened.queue)
        opened.win.show()
        with qtbot.waitSignal(services.lookup.referenceLoaded, timeout=15_000):
            services.start()
        made.append(opened)
        return opened

    yield make
    for opened in made:
        close(qtbot, aio, opened)
        opened.win.close()
        opened.win.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete.value)
    leaked = [
        w for w in set(QApplication.topLevelWidgets()) - before if not _owned_by_qtbot(w, request)
    ]
    if leaked:
        pytest.fail(
            "the test left top-level widgets behind: "
            + ", ".join(f"{type(w).__name__} {w.objectName() or w.windowTitle()!r}" for w in leaked)
        )


@pytest.fixture
def offline(qtbot: Any, aio: Any) -> Iterator[Callable[[Outbox], Services]]:
    """`offline(outbox)` → services on `outbox` that never connect (nothing is sent), stopped
    at the end of the test, and the outbox closed: for dialogs that take the logbook."""
    made: list[tuple[Services, Outbox]] = []

    async def unreachable() -> Backend:
        raise AssertionError("this test never connects")

    def make(outbox: Outbox) -> Services:
        made.append((build_services(unreachable, outbox), outbox))
        return made[-1][0]

    yield make
    for services, outbox in made:
        closing = aio.create_task(services.aclose())
        qtbot.waitUntil(closing.done, timeout=5000)
        outbox.close()


def _owned_by_qtbot(widget: QWidget, request: pytest.FixtureRequest) -> bool:
    """A widget the test gave to qtbot (`qtbot.addWidget`), which closes it after this."""
    owned = [ref() for ref, _ in getattr(request.node, "qt_widgets", [])]
    return any(widget is w for w in owned if w is not None)


def close(qtbot: Any, aio: Any, opened: Opened) -> None:
    """Stop the window's services as the app does on quit (idempotent)."""
    if opened.outbox is None:
        return
    if opened.queue is not None:
        stopping = aio.create_task(opened.queue.aclose())
        qtbot.waitUntil(stopping.done, timeout=5000)
    closing = aio.create_task(opened.services.aclose())
    qtbot.waitUntil(closing.done, timeout=5000)
    opened.outbox.close()
    opened.outbox = None  # type: ignore[assignment]
