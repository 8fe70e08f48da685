"""The Outbox view over a long history: one row changes, how long until the view shows it.

The outbox holds `rows` operations (all but the newest few hundred sent); the dialog is open on
the logbook. Each sample is what a drain does to it: the sender records one call sent and the
logbook announces the change; the figure is from that announcement to the view painted again
(the logbook reading what changed and the counts, the dialog updating the row in place and its
summary, Qt painting).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outbox.calls import call_step
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from dialer_app.ui.outbox_view import OutboxDialog

OWNER = "bench-sender"


class _Painted(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.future: asyncio.Future[float] | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.future and not self.future.done():
            self.future.set_result(time.perf_counter())
        return False


def _call(n: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(outcome="Answered", vendorCallId=f"bench-{n}", note="n"),
        relationships=CallRelationships.link(prospect=1 + n % 300),
    )


def fill(outbox: Outbox, rows: int, waiting: int) -> None:
    """`rows` calls, the oldest `rows - waiting` of them sent."""
    for start in range(0, rows, 1000):
        outbox.submit(
            [
                call_step(_call(n), summary=f"Prospect {n}")
                for n in range(start, min(rows, start + 1000))
            ]
        )
    for entry in outbox.claim_batch(OWNER, rows - waiting):
        outbox.mark_sent(entry.id, 10_000 + entry.id)
    outbox.touched()


async def measure(rows: int = 10_000, samples: int = 60) -> list[float]:
    """Milliseconds from the logbook's announcement to the view painted, one per sample."""

    async def unreachable() -> Backend:
        raise RuntimeError("the view benchmark never connects")

    with tempfile.TemporaryDirectory(prefix="bench-outbox-view-") as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")
        fill(outbox, rows, waiting=samples + 100)
        services = build_services(unreachable, outbox)
        logbook = services.logbook
        dialog = OutboxDialog(logbook)
        dialog.show()
        painted = _Painted()
        dialog.table.viewport().installEventFilter(painted)
        loop = asyncio.get_running_loop()
        times: list[float] = []
        try:
            await asyncio.sleep(0.2)  # the first paint of the opened dialog
            for _ in range(samples):
                entry = outbox.claim_next(OWNER)
                assert entry is not None
                row = dialog.model.row_of(entry.id)
                assert row is not None
                dialog.table.scrollTo(dialog.model.index(row, 0))  # the rep watches that row
                await asyncio.sleep(0.02)
                outbox.mark_sent(entry.id, 10_000 + entry.id)
                painted.future = loop.create_future()
                started = time.perf_counter()
                logbook._on_sender_change()  # as the sender reports it
                logbook._announce.flush()  # now, not at the end of the 100 ms interval
                done = await asyncio.wait_for(painted.future, 10)
                times.append((done - started) * 1000)
                shown = dialog.model.entry_at(row)
                assert shown is not None
                assert shown.state == "sent"
        finally:
            dialog.table.viewport().removeEventFilter(painted)
            dialog.close()
            dialog.deleteLater()
            await services.aclose()
            outbox.close()
    return times
