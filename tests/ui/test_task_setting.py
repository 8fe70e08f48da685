"""The "complete the call task" setting is read when a call is logged and kept with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dialer_app.core import settings as s
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from tests.support.calls import new_call


def test_the_setting_is_off_by_default() -> None:
    assert s.Settings().get(s.COMPLETE_CALL_TASK) is False


def test_each_logged_call_keeps_the_setting_it_was_logged_under(
    qtbot: Any, aio: Any, tmp_path: Path
) -> None:
    settings = s.Settings(tmp_path / "settings.json")
    outbox = Outbox(tmp_path / "outbox.sqlite3")

    async def backend() -> Backend:
        raise AssertionError("this test never connects")

    services = build_services(
        backend, outbox, complete_call_task=lambda: settings.get(s.COMPLETE_CALL_TASK)
    )
    logbook = services.logbook
    try:
        before = logbook.log_call(new_call(3, task=7, sequenceAction="Finish - No Reply"), "Off")
        settings.set(s.COMPLETE_CALL_TASK, True)
        after = logbook.log_call(new_call(3, task=7, sequenceAction="Finish - No Reply"), "On")
        assert before is not None
        assert after is not None
        assert logbook.followers(before.id) == []
        (follow,) = logbook.followers(after.id)
        assert (follow.kind, follow.body, follow.state) == (
            "complete_task",
            {"task": 7, "completionAction": "finish_no_reply"},
            "waiting",
        )
        assert [(link.role, link.id) for link in follow.needs] == [("call", after.id)]
    finally:
        closing = aio.create_task(services.aclose())
        qtbot.waitUntil(closing.done, timeout=5000)
        outbox.close()
