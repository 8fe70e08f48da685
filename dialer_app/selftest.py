"""`dialer-app --self-test`: the installed app proves it works, offscreen, on data of its own.

It shows the main window, starts the embedded demo sandbox, looks a prospect up by typing into
the search box, times a call with the call buttons, logs it through the outbox and waits until
Outreach (the sandbox) has it. Everything lives in a temporary directory, removed after a pass
and kept after a failure (for the sandbox's log): the user's data, settings and logs are never
touched. A Qt or logged warning fails it. Success prints one line on stdout and returns 0; a
failure prints one line on stderr saying which step failed and returns 1.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QtMsgType, qInstallMessageHandler
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication

import qasync  # isort: skip - after PySide6, so that it binds PySide6

from .app import AppConfig, create_application, make_services, outbox_path
from .core import paths
from .core.clock import SystemClock
from .core.desk import CallDesk
from .core.outbox import Outbox
from .core.settings import CONFIRM_OUTSIDE_HOURS, Settings
from .ui.main_window import MainWindow
from .ui.widgets import FieldErrorLabel

STEP_TIMEOUT_S = 60.0
# WORKAROUND: the offscreen platform plugin warns on every top-level show(); it says nothing
# about the app, only that this plugin has no window manager to pass size hints to.
IGNORED_QT_MESSAGES = ("This plugin does not support propagateSizeHints",)


class SelfTestError(Exception):
    """One step failed; `str()` is the one line the self-test prints."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")


def run_self_test() -> int:
    """Run the whole self-test in this process; returns the exit code."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.monotonic()
    home = Path(tempfile.mkdtemp(prefix="dialer-self-test-"))
    os.environ["DIALER_HOME"] = str(home)  # data, settings and logs: all under `home`
    with _qt_messages() as warnings, _log_records(warnings):
        try:
            summary = _run(warnings)
        except Exception as exc:  # the one line must say what failed, whatever it was
            reason = str(exc) if isinstance(exc, SelfTestError) else f"{type(exc).__name__}: {exc}"
            print(
                f"self-test failed: {reason.splitlines()[0]} (files kept in {home})",
                file=sys.stderr,
                flush=True,
            )
            return 1
    shutil.rmtree(home, ignore_errors=True)
    elapsed = time.monotonic() - started
    print(f"self-test passed in {elapsed:.1f} s: {summary}", flush=True)
    return 0


@contextmanager
def _log_records(collected: list[str]) -> Iterator[None]:
    """Collect the app's logged warnings (any of them fails the self-test) instead of printing."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            collected.append(f"{record.name}: {record.getMessage()}")

    root = logging.getLogger()
    handler = Collect(logging.WARNING)
    saved = root.handlers[:], root.level
    root.handlers[:] = [handler]  # also keeps logging.basicConfig from adding a stderr handler
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


@contextmanager
def _qt_messages() -> Iterator[list[str]]:
    """Collect Qt's warnings (any of them fails the self-test) instead of printing them."""

    collected: list[str] = []

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if kind == QtMsgType.QtDebugMsg or kind == QtMsgType.QtInfoMsg:
            return
        if not any(message.startswith(known) for known in IGNORED_QT_MESSAGES):
            collected.append(message)

    previous = qInstallMessageHandler(handler)
    try:
        yield collected
    finally:
        qInstallMessageHandler(previous)


def _run(warnings: list[str]) -> str:
    app = create_application()  # kept referenced while the loop runs
    summary: str = qasync.run(_self_test(warnings))
    del app
    return summary


async def _self_test(warnings: list[str]) -> str:

    config = AppConfig()
    settings = Settings(paths.config_dir() / "settings.json")
    outbox = Outbox(outbox_path(config))
    services = make_services(config, outbox, None, settings)
    connection, lookup, logbook = services.connection, services.lookup, services.logbook
    settings.set(CONFIRM_OUTSIDE_HOURS, False)  # its own sample prospect, at any hour: no question
    window = MainWindow(
        services,
        CallDesk(SystemClock()),
        settings=settings,
        hand_off=lambda _uri: True,  # a self-test never opens the user's softphone
        state_file=paths.config_dir() / "window.ini",
    )
    failures: list[str] = []
    services.on_failure(failures.append)

    class _FirstPaint(QObject):
        def __init__(self) -> None:
            super().__init__(window)
            self.painted = asyncio.get_running_loop().create_future()
            window.installEventFilter(self)

        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint and not self.painted.done():
                self.painted.set_result(True)
            return False

    def check_qt(step: str) -> None:
        if warnings:
            raise SelfTestError(step, f"warned: {warnings[0]}")
        if failures:
            raise SelfTestError(step, failures[0])

    try:
        step = "showing the main window"
        painted = _FirstPaint().painted
        window.show()
        await _within(painted, step)
        check_qt(step)

        step = "starting the demo sandbox"
        loaded = _on_signal(lookup.referenceLoaded, fail=connection.connectionFailed)
        services.start()
        dispositions, _purposes = await _within(loaded, step)
        if connection.backend is None or connection.backend.sandbox is None:
            raise SelfTestError(step, "connected, but not to a sandbox of its own")
        sandbox = connection.backend.sandbox
        check_qt(step)

        step = "looking up a prospect"
        client = connection.client
        assert client is not None
        doc = await client.read("/prospects", {"page[size]": "1", "fields[prospect]": "emails"})
        emails = doc.resources()[0].attributes.get("emails") if doc.resources() else None
        if not emails:
            raise SelfTestError(step, "the sandbox has no prospect with an email")
        email = str(emails[0])
        found = _on_signal(
            lookup.searchFinished,
            fail=lookup.searchFailed,
            accept=lambda query, matches: query == email and bool(matches),
        )
        box = window.search.box
        box.setFocus()
        for char in email:  # typed as a rep types it: key presses into the search box
            QApplication.sendEvent(
                box, QKeyEvent(QEvent.Type.KeyPress, 0, Qt.KeyboardModifier.NoModifier, char)
            )
        _query, matches = await _within(found, step)
        loaded_prospect = _on_signal(lookup.prospectLoaded, fail=lookup.prospectFailed)
        QApplication.sendEvent(
            box,
            QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
        )
        (detail,) = await _within(loaded_prospect, step)
        if detail.prospect.id != matches[0].prospect.id:
            raise SelfTestError(step, "the card shows another prospect than the one picked")
        check_qt(step)

        step = "logging a call"
        window.call.dial.click()
        window.call.answered.click()
        window.call.hang_up.click()
        answered = next((d for d in dispositions if d.call_outcome == "Answered"), None)
        combo = window.wrapup.disposition
        if answered is not None:
            combo.setCurrentIndex(combo.findData(answered.id))
        queued = _on_signal(logbook.callQueued, fail=logbook.callFailed)
        sent = _on_signal(logbook.callSent, fail=logbook.callParked)
        window.log_button.click()
        if not queued.done():
            errors = [e.text() for e in window.findChildren(FieldErrorLabel) if e.isVisible()]
            raise SelfTestError(step, "; ".join(errors) or "the call was not queued")
        (entry,) = await _within(queued, step)

        step = "sending the call through the outbox"
        sent_entry, call_id = await _within(sent, step)
        if sent_entry.vendor_call_id != entry.vendor_call_id:
            raise SelfTestError(step, "another call than the logged one was sent")
        stored = await client.get_call(call_id)
        if stored.attributes.vendorCallId != entry.vendor_call_id:
            raise SelfTestError(step, f"Outreach call {call_id} is not the logged call")
        check_qt(step)

        step = "closing"
        closed = _on_signal(window.closed)
        window.close()
        await _within(closed, step)
        pid = sandbox.pid
        await services.aclose()
        if sandbox.pid is not None:
            raise SelfTestError(step, f"the demo sandbox (pid {pid}) is still running")
        check_qt(step)
    finally:
        await services.aclose()
        outbox.close()
        window.deleteLater()
    return f"window shown, demo sandbox started, prospect found, call {call_id} logged and sent"


def _on_signal(
    signal: Any, *, fail: Any = None, accept: Callable[..., bool] | None = None
) -> asyncio.Future[tuple[Any, ...]]:
    """A future resolved with the args of `signal`'s next emission (that `accept` takes).

    An emission of `fail` resolves it with an error carrying that signal's message instead.
    """
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def on_emit(*args: Any) -> None:
        if not future.done() and (accept is None or accept(*args)):
            future.set_result(args)

    def on_fail(*args: Any) -> None:
        if not future.done():
            future.set_exception(RuntimeError(_describe_failure(args)))

    signal.connect(on_emit)
    if fail is not None:
        fail.connect(on_fail)

    def disconnect(_: object) -> None:
        signal.disconnect(on_emit)
        if fail is not None:
            fail.disconnect(on_fail)

    future.add_done_callback(disconnect)
    return future


def _describe_failure(args: tuple[Any, ...]) -> str:
    texts = [a for a in args if isinstance(a, str)]
    if texts:
        return texts[-1]
    entry = args[0] if args else None
    errors = "; ".join(str(e) for e in getattr(entry, "field_errors", ()))
    return errors or str(getattr(entry, "last_error", "") or "refused")


async def _within(future: asyncio.Future[Any], step: str) -> Any:
    try:
        return await asyncio.wait_for(future, STEP_TIMEOUT_S)
    except TimeoutError:
        raise SelfTestError(step, f"nothing happened within {STEP_TIMEOUT_S:.0f} s") from None
    except RuntimeError as exc:
        raise SelfTestError(step, str(exc)) from None
