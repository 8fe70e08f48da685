"""UI fixtures: real windows on real services against a sandbox, closed cleanly after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from dialer_app.core import settings as s
from dialer_app.core.desk import CallDesk
from dialer_app.core.drafts import DraftStore
from dialer_app.core.outbox import Outbox
from dialer_app.services.dialer import Backend, DialerService
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock


@dataclass
class Opened:
    """A window the test drives, and what it handed to the softphone."""

    win: MainWindow
    service: DialerService
    outbox: Outbox
    clock: FakeClock
    handed: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def _no_unexpected_question(monkeypatch: pytest.MonkeyPatch) -> None:
    """A question box no test answers would wait forever: it fails the test instead (a test
    that expects one patches `QMessageBox.question` itself)."""
    from PySide6.QtWidgets import QMessageBox

    def refuse(_parent: object, title: str, text: str, *_rest: object) -> object:
        raise AssertionError(f"unexpected question {title!r}: {text}")

    monkeypatch.setattr(QMessageBox, "question", refuse)


@pytest.fixture
def make_window(qtbot: Any, aio: Any, tmp_path: Any) -> Iterator[Callable[..., Opened]]:
    """`make_window(server, clock=…, scheme=…, drafts=True, outbox_name=…, hand_off=…,
    complete_call_task=…, hours_prompt=False, settings=…)` → a connected window (`hand_off`
    replaces the recorder of what was handed to the softphone).

    Windows sharing `outbox_name` share their outbox and draft files (a restarted app). The
    calling-hours question is off unless `hours_prompt`: the tests run at any hour, and the
    prospects live in every time zone.
    """
    made: list[Opened] = []

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
        async def backend() -> Backend:
            return Backend(server.base_url, server.token, demo=True, label="Demo")

        name = outbox_name or f"outbox-{len(made)}"
        settings = settings or s.Settings()
        settings.set(s.DIAL_SCHEME, scheme)
        settings.set(s.CONFIRM_OUTSIDE_HOURS, hours_prompt)
        outbox = Outbox(tmp_path / f"{name}.sqlite3")
        service = DialerService(
            TaskRunner(), backend, outbox, complete_call_task=lambda: complete_call_task
        )
        opened = Opened(None, service, outbox, clock or FakeClock(datetime.now(UTC)))  # type: ignore[arg-type]
        opened.win = MainWindow(
            service,
            CallDesk(opened.clock),
            DraftStore(tmp_path / f"{name}.draft.json") if drafts else None,
            settings,
            hand_off=hand_off or (lambda uri: opened.handed.append(uri) is None),
        )
        qtbot.addWidget(opened.win)
        opened.win.show()
        with qtbot.waitSignal(service.referenceLoaded, timeout=15_000):
            service.start()
        made.append(opened)
        return opened

    yield make
    for opened in made:
        close(qtbot, aio, opened)


def close(qtbot: Any, aio: Any, opened: Opened) -> None:
    """Stop the window's services as the app does on quit (idempotent)."""
    if opened.outbox is None:
        return
    closing = aio.create_task(opened.service.aclose())
    qtbot.waitUntil(closing.done, timeout=5000)
    opened.outbox.close()
    opened.outbox = None  # type: ignore[assignment]
