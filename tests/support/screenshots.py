"""Screenshots for the README: the real window against a real sandbox, driven like a rep would.

Run under a virtual X server so the window is drawn by a real platform plugin:

    xvfb-run -s "-screen 0 1280x1024x24" .venv/bin/python -m tests.support.screenshots

Writes PNGs to resources/screenshots/ (or `SCREENSHOTS_DIR`). At 200 % (to look at, not for
the README): `QT_SCALE_FACTOR=2`, a 1920×1080 screen and another `SCREENSHOTS_DIR`.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import qasync
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QPushButton

from dialer_app.core import settings as s
from dialer_app.core.callbacks import Callback, quick_choices
from dialer_app.core.demo import SandboxProcess
from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import start_demo_backend
from dialer_app.services.lookup import Lookup
from dialer_app.services.queue import queue_for
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name

# A Tuesday morning (UTC): the demo's day is made around it, and the window's clock shows it —
# prospects in Europe and Asia inside their calling hours, the Americas not yet.
EPOCH = datetime(2026, 3, 3, 10, 30, tzinfo=UTC)
OUT = Path(
    os.environ.get("SCREENSHOTS_DIR")
    or Path(__file__).resolve().parents[2] / "resources" / "screenshots"
)


async def _until(predicate: object) -> None:
    async with asyncio.timeout(20):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110 - polls the window
            await asyncio.sleep(0.05)


async def _shoot(win: MainWindow, name: str) -> None:
    await asyncio.sleep(0.3)  # let the last repaint land before grabbing
    win.grab().save(str(OUT / f"{name}.png"))
    print(f"wrote {OUT / name}.png")


def _dark_palette() -> QPalette:
    p = QPalette()
    role = QPalette.ColorRole
    for r, color in (
        (role.Window, "#202124"),
        (role.WindowText, "#e8eaed"),
        (role.Base, "#2a2b2e"),
        (role.AlternateBase, "#303134"),
        (role.Text, "#e8eaed"),
        (role.Button, "#303134"),
        (role.ButtonText, "#e8eaed"),
        (role.Highlight, "#8ab4f8"),
        (role.HighlightedText, "#202124"),
        (role.PlaceholderText, "#9aa0a6"),
        (role.ToolTipBase, "#303134"),
        (role.ToolTipText, "#e8eaed"),
    ):
        p.setColor(r, QColor(color))
    p.setColor(role.Link, QColor("#8ab4f8"))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, r, QColor("#6f7378"))
    return p


async def _search(win: MainWindow, lookup: Lookup, text: str) -> None:
    """Type `text` and wait for Outreach's answer (the local matches may come first)."""
    answered: list[str] = []

    def on_finished(query: str, _matches: list[object]) -> None:
        answered.append(query)

    lookup.searchFinished.connect(on_finished)
    try:
        box = by_name(win, "Prospect search", QLineEdit)
        box.setFocus()
        box.selectAll()
        QTest.keyClicks(box, text)
        await _until(lambda: text in answered and win.search.fresh)
    finally:
        lookup.searchFinished.disconnect(on_finished)
    await _until(lambda: win.search.model.rowCount() > 0)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxProcess(
            data_dir=Path(tmp) / "sandbox", extra_args=("--epoch", EPOCH.isoformat())
        )
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")
        settings = s.Settings()
        settings.set(s.DAILY_CALL_GOAL, 60)
        settings.set(s.CONFIRM_OUTSIDE_HOURS, False)  # the shots are taken at a fixed hour
        services = build_services(lambda: start_demo_backend(sandbox), outbox)
        clock = FakeClock(EPOCH)
        win = MainWindow(services, CallDesk(clock), settings=settings)
        queue = queue_for(services, settings)
        queue.clock = clock
        win.attach_queue(queue)
        try:
            win.show()
            services.start()
            await _until(lambda: by_name(win, "Disposition", QComboBox).count() > 1)
            await _until(lambda: queue.loaded and not queue.reading)
            await _shoot(win, "idle")

            by_name(win, "Next task", QPushButton).click()  # F8
            await _until(lambda: win.card.detail is not None)
            await _shoot(win, "queue")
            win.set_compact(True)
            await _shoot(win, "queue-compact")
            win.set_compact(False)

            api = services.connection.client
            assert api is not None
            tasks = await api.read(
                "/tasks", {"filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"}
            )
            ident = tasks.resources()[0].to_one("prospect")
            assert ident is not None
            target = (await api.read(f"/prospects/{ident.id}")).resources()[0]
            attrs = target.attributes
            # A Wednesday morning where the prospect is: inside calling hours.
            zone = ZoneInfo(attrs.get("timeZone") or "UTC")
            clock.wall = datetime(2026, 3, 4, 10, 30, tzinfo=zone).astimezone(UTC)
            name = f"{attrs['firstName']} {attrs['lastName']}"

            await _search(win, services.lookup, name)
            row = next(
                r
                for r in range(win.search.model.rowCount())
                if (m := win.search.model.match_at(r)) is not None and m.prospect.id == ident.id
            )
            win.search.results.setCurrentIndex(win.search.model.index(row, 0))
            QTest.keyClick(win.search.results, Qt.Key.Key_Return)
            await _until(lambda: win.card.detail is not None)

            # the matches above the card
            await _search(win, services.lookup, attrs["firstName"][:2])
            QTest.keyClick(win.search.box, Qt.Key.Key_Down)
            await _shoot(win, "search")
            QTest.keyClick(win.search.results, Qt.Key.Key_Escape)
            QTest.keyClick(win.search.box, Qt.Key.Key_Escape)
            win.search.box.selectAll()
            QTest.keyClick(win.search.box, Qt.Key.Key_Backspace)  # the card's prospect again

            by_name(win, "Dial", QPushButton).click()
            clock.advance(6)
            by_name(win, "Answered", QPushButton).click()
            clock.advance(192)
            await _shoot(win, "in-call")

            by_name(win, "Hang up", QPushButton).click()
            disposition = by_name(win, "Disposition", QComboBox)
            disposition.setCurrentIndex(1)
            by_name(win, "Call purpose", QComboBox).setCurrentIndex(1)
            QTest.keyClicks(by_name(win, "Tags", QLineEdit), "budget, q3")
            QTest.keyClicks(
                by_name(win, "Notes", QPlainTextEdit),
                "Interested in the team plan. Demo booked for Tuesday 10:00.",
            )
            seq = by_name(win, "Sequence action", QComboBox)
            seq.setCurrentIndex(1)
            zone = win.card.detail.prospect.time_zone
            win.callback_row.set_zone(zone)
            when = quick_choices(clock.now(), zone)[0].at
            win.callback_row.set_callback(Callback(when, "Bring the pricing sheet"))
            await _shoot(win, "wrapup")
            win.callback_row.set_callback(None)

            by_name(win, "Log call", QPushButton).click()
            await _until(lambda: win.desk.current is None)
            win.set_compact(True)
            by_name(win, "Dial", QPushButton).click()
            clock.advance(42)
            await _shoot(win, "compact")
            by_name(win, "Hang up", QPushButton).click()
            QTest.keyClick(win.compact_wrap.disposition, Qt.Key.Key_6)  # Left Voicemail
            QTest.keyClicks(win.compact_wrap.note, "Left a voicemail; trying again Friday.")
            await _shoot(win, "compact-wrapup")
            by_name(win, "Log call", QPushButton).click()
            await _until(lambda: win.desk.current is None)
            win.set_compact(False)

            QApplication.setStyle("Fusion")
            QApplication.setPalette(_dark_palette())  # what a desktop in dark mode hands to Qt
            assert win.card.detail is not None
            win.card.show_detail(win.card.detail)  # styled widgets pick the palette up when built
            await _shoot(win, "dark")
        finally:
            win.close()
            await services.aclose()  # stops the sandbox it started
            outbox.close()


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    OUT.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    qasync.run(main())
