"""The real window in a state worth reading with a screen reader, for the AT-SPI test.

    python -m tests.support.a11y_app BASE_URL TOKEN PROSPECT_ID

Against a sandbox: the prospect (in a sequence, with an open call task and past calls) on the
card at a time outside their calling hours, a call running, a search in the box (its clear
button shown), a message said. Prints READY when all of it shows; then each line on stdin is a
command: `hang_up` (the call ends: its status changes), `say TEXT` (a message), `quit`.
Run it under a real X server with `QT_LINUX_ACCESSIBILITY_ALWAYS_ON=1`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QSocketNotifier
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from dialer_app.core import settings as s
from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock


async def _until(predicate: object) -> None:
    async with asyncio.timeout(30):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110 - polls the window
            await asyncio.sleep(0.05)


async def main(base_url: str, token: str, prospect_id: int) -> None:
    async def backend() -> Backend:
        return Backend(base_url, token, demo=True, label="Demo")

    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")
        service = build_services(backend, outbox)
        clock = FakeClock(datetime.now(UTC))
        settings = s.Settings()
        settings.set(s.CONFIRM_OUTSIDE_HOURS, False)
        settings.set(s.DIAL_SCHEME, "none")
        win = MainWindow(service, CallDesk(clock), settings=settings)
        closed = asyncio.Event()
        win.closed.connect(closed.set)
        win.show()
        service.start()
        await _until(lambda: win.wrapup.disposition.count() > 1)
        win.search.matchChosen.emit(Match(Prospect(prospect_id, "", ""), "name"))
        await _until(lambda: win.card.detail is not None)
        zone = ZoneInfo(win.card.detail.prospect.time_zone or "UTC")
        clock.wall = datetime(2026, 3, 8, 23, 48, tzinfo=zone).astimezone(UTC)  # a Sunday night
        win.card.refresh_local_time()
        win.call.dial.click()
        clock.advance(42)
        win.call._refresh_elapsed()
        QTest.keyClicks(win.search.box, "zz")  # the clear button shows
        win.say("Call with the last prospect logged in Outreach (call 7).")
        print("READY", flush=True)

        def command() -> None:
            line = sys.stdin.readline().strip()
            if line == "hang_up":
                win.call.hang_up.click()
            elif line.startswith("say "):
                win.say(line[4:])
            elif line in ("quit", ""):
                win.close()
            print(f"DONE {line}", flush=True)

        notifier = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
        notifier.activated.connect(command)
        await closed.wait()
        await service.aclose()
        outbox.close()


if __name__ == "__main__":
    app = QApplication(sys.argv)
    app.setApplicationName("Dialer Companion")
    app.setQuitOnLastWindowClosed(False)
    qasync.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
