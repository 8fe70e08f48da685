"""With Outreach's request budget nearly spent, calls wait, the rep is told, lookups go on."""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtWidgets import QLabel, QLineEdit

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from tests.support.qt import by_name, type_query


def test_calls_pause_for_the_budget_and_lookups_still_answer(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox("--prospects", "20", "--rate-limit", "130")  # 100 kept for lookups
    opened = make_window(server)
    win, service = opened.win, opened
    for _ in range(40):
        service.logbook.log_call(
            NewCall(
                attributes=CallAttributes(vendorCallId=str(uuid.uuid4())),
                relationships=CallRelationships.link(prospect=2),
            ),
            "Budget",
        )
    status = by_name(win, "Sync status", QLabel)
    # short in the status bar, the whole of it in what a screen reader (and the tooltip) says
    qtbot.waitUntil(lambda: "(paused)" in status.text(), timeout=20_000)
    assert "paused until" in status.accessibleDescription()
    counts = service.logbook.counts()
    assert 0 < counts.sent < 40
    assert counts.unsent == 40 - counts.sent
    assert "to keep lookups within Outreach's limit" in status.accessibleDescription()
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), "a")
    assert win.search.model.rowCount() > 0
