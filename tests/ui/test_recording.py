"""Recording in the wrap-up: the flag and the link reach Outreach; a bad link is refused."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QLineEdit

from tests.support.qt import by_name, end_a_call


def test_a_recorded_call_carries_the_flag_and_the_link(qtbot, sandbox, make_window) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    end_a_call(qtbot, win, service)
    by_name(win, "Record call", QCheckBox).setChecked(True)
    qtbot.keyClicks(by_name(win, "Recording link", QLineEdit), "https://rec.example/1.mp3")
    with qtbot.waitSignal(service.logbook.callSent, timeout=10_000) as sent:
        win.log_button.click()
    with sandbox.client() as api:
        stored = api.get(f"/calls/{sent.args[1]}").json()["data"]["attributes"]
    assert stored["shouldRecordCall"] is True
    assert stored["recordingUrl"] == "https://rec.example/1.mp3"
    assert not by_name(win, "Record call", QCheckBox).isChecked()  # cleared for the next call


def test_a_recording_link_that_is_not_http_is_refused_next_to_it(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    end_a_call(qtbot, win, service)
    qtbot.keyClicks(by_name(win, "Recording link", QLineEdit), "ftp://rec.example/1.mp3")
    queued: list[object] = []
    service.logbook.callQueued.connect(queued.append)
    win.log_button.click()
    assert queued == []
    error = win.wrapup.errors["recordingUrl"]
    assert error.isVisible()
    assert "http" in error.text()
