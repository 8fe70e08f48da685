"""The real window in a child process, for the fault matrix's "killed mid-wrap-up" scenario.

    python -m tests.reliability.wrapup_app fill|restore --home DIR --base-url URL --token T
        --prospect ID

`fill` opens the prospect, dials, answers, hangs up and fills every field of the wrap-up, then
at once prints `READY <json>` (what the rep sees) and keeps running until it is killed.
`restore` starts the window again on the same files, waits until the call in progress is back,
prints `RESTORED <json>` in the same shape, logs the call and exits once it is safe in the
outbox. Offscreen; no network but the sandbox on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")  # qasync: this binding, whatever the import order

import qasync
from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit

from dialer_app.core import settings as s
from dialer_app.core.clock import SystemClock
from dialer_app.core.desk import CallDesk
from dialer_app.core.drafts import DraftStore
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.qt import by_name

TIMEOUT = 30.0


def signalled(signal: Any) -> asyncio.Future[tuple[Any, ...]]:
    """A future resolved with the arguments of the next emission of `signal`."""
    future: asyncio.Future[tuple[Any, ...]] = asyncio.get_running_loop().create_future()

    def fire(*args: Any) -> None:
        if not future.done():
            future.set_result(args)
        signal.disconnect(fire)

    signal.connect(fire)
    return future


async def until(condition: Any, what: str) -> None:
    """Check `condition` on every Qt timer tick (20 ms) until true; fail after TIMEOUT."""
    done = asyncio.get_running_loop().create_future()
    timer = QTimer()
    timer.setInterval(20)

    def check() -> None:
        if condition() and not done.done():
            done.set_result(None)

    timer.timeout.connect(check)
    timer.start()
    check()
    try:
        await asyncio.wait_for(done, TIMEOUT)
    except TimeoutError:
        raise TimeoutError(f"{what}: not within {TIMEOUT} s") from None
    finally:
        timer.stop()


def seen(win: MainWindow) -> dict[str, Any]:
    """What the rep sees of the call in the wrap-up."""
    call = win.desk.current
    assert call is not None
    times = call.times
    return {
        "state": call.phase.value,
        "prospect_id": call.prospect.id if call.prospect else None,
        "dialed_at": times.dialed_at.isoformat() if times.dialed_at else None,
        "answered_at": times.answered_at.isoformat() if times.answered_at else None,
        "completed_at": times.completed_at.isoformat() if times.completed_at else None,
        "form": win.wrapup.state(),
    }


async def fill(win: MainWindow, prospect_id: int) -> None:
    loaded = signalled(win.lookup.prospectLoaded)
    # What picking the prospect from the search list does.
    win.search.matchChosen.emit(Match(Prospect(id=prospect_id, first_name="", last_name=""), "id"))
    await asyncio.wait_for(loaded, TIMEOUT)
    for name in ("Dial", "Answered", "Hang up"):
        by_name(win, name).click()  # type: ignore[attr-defined]
    by_name(win, "Disposition", QComboBox).setCurrentIndex(2)
    by_name(win, "Call purpose", QComboBox).setCurrentIndex(1)
    sequence = by_name(win, "Sequence action", QComboBox)
    if sequence.isEnabled():
        sequence.setCurrentIndex(sequence.count() - 1)
    QTest.keyClicks(by_name(win, "Tags", QLineEdit), "quote, follow-up")
    QTest.keyClicks(by_name(win, "Notes", QPlainTextEdit), "Wants a quote by Friday; call back")
    QTest.keyClicks(by_name(win, "Recording link", QLineEdit), "https://example.com/rec/1")
    # No waiting for a save: the window is killed right after the last keystroke.
    print("READY " + json.dumps(seen(win)), flush=True)
    await asyncio.Event().wait()  # until killed


async def restore(win: MainWindow, prospect_id: int) -> None:
    await until(
        lambda: (
            win.desk.current is not None
            and win.card.detail is not None
            and win.card.detail.prospect.id == prospect_id
        ),
        "the call in progress is back with its prospect",
    )
    print("RESTORED " + json.dumps(seen(win)), flush=True)
    queued = signalled(win.logbook.callQueued)
    QTest.mouseClick(by_name(win, "Log call"), Qt.MouseButton.LeftButton)
    (entry,) = await asyncio.wait_for(queued, TIMEOUT)
    print(f"LOGGED {entry.vendor_call_id}", flush=True)


async def main(args: argparse.Namespace) -> int:
    home: Path = args.home
    outbox = Outbox(home / "outbox.sqlite3")

    async def backend() -> Backend:
        return Backend(args.base_url, args.token, demo=True, label="Demo")

    services = build_services(backend, outbox)
    settings = s.Settings()
    settings.set(s.DIAL_SCHEME, "none")
    settings.set(s.CONFIRM_OUTSIDE_HOURS, False)  # it runs at any hour, for anyone
    draft_path = home / "outbox.draft.json"
    win = MainWindow(services, CallDesk(SystemClock()), DraftStore(draft_path), settings)
    win.show()
    ready = signalled(services.lookup.referenceLoaded)
    services.start()
    try:
        await asyncio.wait_for(ready, TIMEOUT)
        if args.phase == "fill":
            await fill(win, args.prospect)
        else:
            await restore(win, args.prospect)
        return 0
    finally:
        await services.aclose()
        win.close()
        outbox.close()


def run(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="wrapup_app")
    parser.add_argument("phase", choices=("fill", "restore"))
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--prospect", type=int, required=True)
    args = parser.parse_args(argv)
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        code = loop.run_until_complete(main(args))
    return code


if __name__ == "__main__":
    sys.exit(run())
