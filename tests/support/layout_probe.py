"""How the window lays out at its default size on a given screen and scale, for the tests:

    QT_SCALE_FACTOR=2 QT_QPA_PLATFORM=offscreen:configfile=screen.json \\
        python -m tests.support.layout_probe BASE_URL TOKEN

Opens the first match of "a" on the card, then searches "a" again (the matches above the card)
and prints one JSON object: the screen, the window, and what of the search box, the matches,
the card and the status bar shows without scrolling.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_API", "pyside6")

import qasync
from PySide6.QtCore import QRect
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from dialer_app.core import settings as s
from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock


def inside(widget: QWidget, area: QWidget, rect: QRect | None = None) -> bool:
    rect = rect or widget.rect()
    top_left = widget.mapTo(area, rect.topLeft())
    bottom_right = widget.mapTo(area, rect.bottomRight())
    return area.rect().contains(top_left) and area.rect().contains(bottom_right)


async def _until(predicate: object) -> None:
    async with asyncio.timeout(30):
        while not predicate():  # type: ignore[operator]  # noqa: ASYNC110 - polls the window
            await asyncio.sleep(0.02)


async def main(base_url: str, token: str) -> None:
    async def backend() -> Backend:
        return Backend(base_url, token, demo=True, label="Demo")

    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")
        service = build_services(backend, outbox)
        win = MainWindow(service, CallDesk(FakeClock(datetime.now(UTC))), settings=s.Settings())
        try:
            win.show()
            service.start()
            await _until(lambda: win.wrapup.disposition.count() > 1)
            box = win.search.box
            QTest.keyClicks(box, "a")
            await _until(lambda: win.search.fresh and win.search.model.rowCount() > 1)
            win.search._choose(0)
            await _until(lambda: win.card.detail is not None and win.card.number_buttons)
            box.selectAll()
            QTest.keyClicks(box, "a")
            await _until(lambda: win.search.fresh and win.search.results.isVisible())
            await asyncio.sleep(0.2)  # the last layout pass lands
            results, model = win.search.results, win.search.model
            central, viewport = win.centralWidget(), win.body_scroll.viewport()
            rows = sum(
                inside(results.viewport(), central, results.visualRect(model.index(r, 0)))
                and results.visualRect(model.index(r, 0)).intersects(results.viewport().rect())
                for r in range(model.rowCount())
            )
            bar = win.statusBar()
            items = [w for w in bar.findChildren(QWidget) if w.parent() is bar and w.isVisible()]
            screen = win.screen().availableGeometry()
            facts = {
                "scale": win.devicePixelRatioF(),
                "screen": [screen.width(), screen.height()],
                "window": [win.frameGeometry().width(), win.frameGeometry().height()],
                "box": inside(box, central),
                "rows": rows,
                "matches": model.rowCount(),
                "sideways": results.horizontalScrollBar().maximum(),
                "card_name": inside(win.card.name, viewport),
                "local_time": inside(win.card.local_time, viewport),
                "first_number": inside(win.card.number_buttons[0], viewport),
                "whole_card": inside(win.card, viewport),
                "status_cut": [
                    w.accessibleName() for w in items if w.width() < w.sizeHint().width()
                ],
            }
            print(json.dumps(facts), flush=True)
        finally:
            win.close()
            await service.aclose()
            outbox.close()


if __name__ == "__main__":
    app = QApplication(sys.argv)
    app.setQuitOnLastWindowClosed(False)
    qasync.run(main(sys.argv[1], sys.argv[2]))
