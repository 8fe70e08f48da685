"""Compact mode: small and on top while calling, the wrap-up opens on hang-up; remembered."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QLineEdit, QListView, QPushButton

from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import Backend
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock
from tests.support.qt import by_name, phase, type_query


def test_compact_mode_is_small_on_top_and_opens_its_wrap_up_on_hang_up(qtbot, sandbox, make_window):
    opened = make_window(sandbox)
    win = opened.win
    full_height = win.height()
    qtbot.keyClick(win, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    assert win.compact
    assert win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert not win._wrap_box.isVisible()
    assert win.height() < full_height / 2
    by_name(win, "Dial", QPushButton).click()
    by_name(win, "Hang up", QPushButton).click()
    assert phase(win) == "wrapping"
    assert win.compact_wrap.isVisible()  # its own wrap-up, not the full form
    assert not win._wrap_box.isVisible()
    win.set_compact(False)
    assert not win.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert win.height() == full_height


def test_geometry_and_mode_are_remembered(qtbot, aio, tmp_path):
    state = tmp_path / "window.ini"

    async def never() -> Backend:
        raise RuntimeError("not needed")

    outboxes: list[Outbox] = []

    def window() -> MainWindow:
        outbox = Outbox(tmp_path / "outbox.sqlite3")
        outboxes.append(outbox)
        services = build_services(never, outbox)
        win = MainWindow(services, CallDesk(FakeClock(datetime.now(UTC))), state_file=state)
        qtbot.addWidget(win)
        win.show()
        return win

    first = window()
    first.resize(500, 700)
    first.set_compact(True)
    first.close()
    outboxes[0].close()
    second = window()
    assert second.compact
    assert second.width() == 500
    outboxes[1].close()


def _open_first(qtbot, win, service, query: str = "a") -> None:
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), query)
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        win.search._choose(0)


def _compact_with_a_prospect(qtbot, sandbox, make_window):
    """(opened, its window): the first prospect matching "a" on the card, in compact mode."""
    opened = make_window(sandbox)
    _open_first(qtbot, opened.win, opened)
    opened.win.set_compact(True)
    return opened, opened.win


def _fits(win, widget) -> bool:
    """`widget` shows whole inside the window (nothing to scroll to)."""
    top_left = widget.mapTo(win, widget.rect().topLeft())
    bottom_right = widget.mapTo(win, widget.rect().bottomRight())
    inside = win.rect().contains(top_left) and win.rect().contains(bottom_right)
    return widget.isVisible() and inside


def test_compact_shows_who_their_local_time_and_the_numbers_alt_keys_call(
    qtbot, sandbox, make_window
) -> None:
    with sandbox.client() as api:
        people = api.get("/prospects", params={"page[size]": 200}).json()["data"]
    prospect = next(
        p
        for p in people
        if p["attributes"]["workPhones"]
        and p["attributes"]["timeZone"]
        and not p["attributes"]["callOptedOut"]
    )
    opened = make_window(sandbox)
    win, service = opened.win, opened
    _open_first(qtbot, win, service, prospect["attributes"]["emails"][0])
    win.set_compact(True)
    local = by_name(win, "Prospect local time", QLabel)
    assert _fits(win, local)
    assert "local time" in local.text()
    numbers = win.card.number_buttons
    assert numbers
    for n, button in enumerate(numbers[:9], start=1):
        assert _fits(win, button)
        assert f"Alt+{n}" in button.text()  # what dials it, in sight
    qtbot.keyClick(win, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)
    assert phase(win) == "ringing"
    assert opened.handed


def test_compact_wrap_up_grows_the_window_logs_and_shrinks_back(
    qtbot, sandbox, make_window
) -> None:
    opened, win = _compact_with_a_prospect(qtbot, sandbox, make_window)
    service = opened
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    idle_height = win.height()
    by_name(win, "Dial", QPushButton).click()
    assert win.height() == idle_height
    by_name(win, "Hang up", QPushButton).click()
    # its own wrap-up: the disposition, one line of note, Log — and no more
    assert not win._wrap_box.isVisible()
    disposition = by_name(win, "Disposition", QComboBox)
    note = by_name(win, "Notes", QLineEdit)
    log_button = by_name(win, "Log call", QPushButton)
    for widget in (disposition, note, log_button):
        assert _fits(win, widget), widget.accessibleName()
    assert win.height() > idle_height  # grown as much as needed
    assert QApplication.focusWidget() is disposition
    qtbot.keyClick(disposition, Qt.Key.Key_2)  # dispositions are numbered here too
    assert disposition.currentIndex() == 2
    qtbot.keyClicks(note, "Left a voicemail")
    assert win.wrapup.notes.toPlainText() == "Left a voicemail"  # the one wrap-up
    with qtbot.waitSignal(service.logbook.callQueued, timeout=10_000) as queued:
        qtbot.mouseClick(log_button, Qt.MouseButton.LeftButton)
    attrs = queued.args[0].call.attributes
    assert attrs.note == "Left a voicemail"
    assert queued.args[0].call.relationships.callDisposition is not None
    assert not win.compact_wrap.isVisible()
    assert win.height() <= idle_height + win.log_message.sizeHint().height() + 12  # back


def test_compact_grows_for_the_matches_and_shrinks_back(qtbot, sandbox, make_window) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    win.set_compact(True)
    small = win.height()
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), "a")
    results = by_name(win, "Search results", QListView)
    assert _fits(win, results)
    assert win.height() > small
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(by_name(win, "Prospect search", QLineEdit), Qt.Key.Key_Return)
    assert not results.isVisible()
    assert _fits(win, win.card)
    assert win.height() < small + results.height()


def test_a_note_of_several_lines_is_shown_not_flattened_in_compact_mode(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    _open_first(qtbot, win, service)
    by_name(win, "Dial", QPushButton).click()
    by_name(win, "Hang up", QPushButton).click()
    win.wrapup.disposition.setCurrentIndex(1)
    win.wrapup.notes.setPlainText("first line\nsecond line")
    win.set_compact(True)
    note = by_name(win, "Notes", QLineEdit)
    assert note.isReadOnly()
    assert note.text() == "first line ⏎ second line"
    assert "full window" in note.accessibleDescription()
    with qtbot.waitSignal(service.logbook.callQueued, timeout=10_000) as queued:
        by_name(win, "Log call", QPushButton).click()
    assert queued.args[0].call.attributes.note == "first line\nsecond line"  # kept as typed


def test_a_message_of_two_lines_grows_the_compact_window_instead_of_squeezing_the_call(
    qtbot, sandbox, make_window
) -> None:
    opened, win = _compact_with_a_prospect(qtbot, sandbox, make_window)
    by_name(win, "Dial", QPushButton).click()
    call_state = by_name(win, "Call status", QLabel)  # "Dialing…", the lowest line of the call
    assert _fits(win, call_state)
    before = win.height()
    # What the call tasks say reaches the window as a signal; this one takes two lines.
    opened.queue.told.emit(
        "Not connected to Outreach: the task with Jacob Johnson of Lange Media SE in Berlin"
        " stays as it is until the connection is back."
    )
    message = by_name(win, "Messages", QLabel)
    assert message.height() >= 2 * message.fontMetrics().lineSpacing()
    assert _fits(win, message)
    assert _fits(win, call_state)  # the call above is not squeezed to make room
    assert win.body_scroll.verticalScrollBar().maximum() == 0
    assert win.height() >= before + message.height()
