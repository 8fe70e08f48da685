"""Screenshots for the README: the real window against a real sandbox, driven like a rep would.

Run under a virtual X server so the window is drawn by a real platform plugin:

    xvfb-run -s "-screen 0 1280x1024x24" .venv/bin/python -m tests.support.screenshots

Writes PNGs to resources/screenshots/.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import qasync
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPlainTextEdit, QPushButton

from dialer_app.core.demo import SandboxProcess
from dialer_app.core.outbox import Outbox
from dialer_app.core.session import CallSession
from dialer_app.services.dialer import DialerService, start_demo_backend
from dialer_app.services.tasks import TaskRunner
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name

OUT = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


async def _until(predicate: object) -> None:
    async with asyncio.timeout(20):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110 - polls the window
            await asyncio.sleep(0.05)


async def _shoot(win: MainWindow, name: str) -> None:
    await asyncio.sleep(0.3)  # let the last repaint land before grabbing
    win.grab().save(str(OUT / f"{name}.png"))
    print(f"wrote {OUT / name}.png")


async def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        sandbox = SandboxProcess(data_dir=Path(tmp) / "sandbox")
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")
        runner = TaskRunner()
        service = DialerService(runner, lambda: start_demo_backend(sandbox), outbox)
        clock = FakeClock(datetime.now(UTC))
        win = MainWindow(service, CallSession(clock))
        win.show()
        service.start()
        await _until(lambda: by_name(win, "Disposition", QComboBox).count() > 1)
        await _shoot(win, "idle")

        assert service.client is not None
        tasks = await service.client.read(
            "/tasks", {"filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"}
        )
        ident = tasks.resources()[0].to_one("prospect")
        assert ident is not None
        target = (await service.client.read(f"/prospects/{ident.id}")).resources()[0]
        first = target.attributes["firstName"]

        search = by_name(win, "Prospect search", QLineEdit)
        QTest.keyClicks(search, first[:2])
        await _until(lambda: win.search.model.rowCount() > 1)
        await _shoot(win, "search")

        QTest.keyClicks(search, first[2:] + " " + target.attributes["lastName"])

        def row_of_target() -> int:
            for row in range(win.search.model.rowCount()):
                match = win.search.model.match_at(row)
                if match is not None and match.prospect.id == ident.id:
                    return row
            return -1

        await _until(lambda: row_of_target() >= 0)
        win.search.results.setCurrentIndex(win.search.model.index(row_of_target(), 0))
        QTest.keyClick(win.search.results, Qt.Key.Key_Return)
        await _until(lambda: win.detail is not None)
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
        await _shoot(win, "wrapup")

        win.close()
        await service.aclose()
        outbox.close()


if __name__ == "__main__":
    os.environ.setdefault("QT_API", "pyside6")
    app = QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    qasync.run(main())
