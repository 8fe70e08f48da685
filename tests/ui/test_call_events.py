"""Links and softphone events reach the window: a tel: link opens the card, events time the call,
an incoming call pops the caller's card without taking the keyboard from the rep."""

from __future__ import annotations

import os
import re

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit

from dialer_app.core.phone import pretty
from dialer_app.core.softphone.events import make_event
from tests.support.prospects import numbers_with_one_prospect
from tests.support.qt import by_name, phase


@pytest.fixture
def numbered(sandbox):
    return numbers_with_one_prospect(sandbox, 3)


def _loaded(qtbot, opened, prospect_id: int) -> None:
    qtbot.waitUntil(
        lambda: (
            opened.win.card.detail is not None and opened.win.card.detail.prospect.id == prospect_id
        ),
        timeout=10_000,
    )


def test_a_tel_link_opens_the_prospect_ready_to_dial(qtbot, sandbox, make_window, numbered):
    opened = make_window(sandbox)
    who = numbered[0]
    digits = who.number[2:]
    link = (
        f"tel:+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}"
        if who.number.startswith("+1")
        else (f"tel:{who.number}")
    )
    assert opened.win.open_uri(link)
    _loaded(qtbot, opened, who.prospect_id)
    assert opened.win.desk.card is not None
    assert opened.win.desk.card.name == who.name
    assert who.number in [p.number for p in opened.win.card.detail.prospect.phone_numbers]
    assert phase(opened.win) == "idle"  # prepared, not dialled
    assert "click the number" in opened.win.log_message.text()


@pytest.mark.parametrize(
    ("link", "reason"),
    [
        ("http://example.com/", "Only tel:"),
        ("tel:alice", "tel: number"),
        ("tel:+1415555\n0123", "control characters"),
        ("sip:alice@example.com", "names a user"),
    ],
)
def test_a_bad_link_is_refused_with_a_reason(qtbot, sandbox, make_window, link, reason):
    opened = make_window(sandbox)
    assert not opened.win.open_uri(link)
    assert reason in opened.win.log_message.text()
    assert opened.win.desk.card is None


def test_a_link_never_replaces_the_prospect_of_a_call_in_progress(
    qtbot, sandbox, make_window, numbered
):
    opened = make_window(sandbox)
    win = opened.win
    win.apply_call_event(make_event("dialing", numbered[0].number))
    _loaded(qtbot, opened, numbered[0].prospect_id)
    assert win.open_uri(f"tel:{numbered[2].number}")  # the card shows the link's number
    _loaded(qtbot, opened, numbered[2].prospect_id)
    call = win.desk.phone_call
    assert call is not None
    assert call.prospect is not None
    assert call.prospect.id == numbered[0].prospect_id  # the call keeps its prospect
    assert numbered[0].name in by_name(win, "Call with", QLabel).text()


def test_events_time_an_outbound_call(qtbot, sandbox, make_window, numbered):
    opened = make_window(sandbox)
    who = numbered[1]
    win, clock = opened.win, opened.clock
    win.apply_call_event(make_event("dialing", who.number, call_id="c-7", direction="outbound"))
    assert phase(win) == "ringing"
    assert win.call.status.text() == "Dialing…"
    _loaded(qtbot, opened, who.prospect_id)
    clock.advance(3)
    win.apply_call_event(make_event("ringing", who.number, call_id="c-7"))
    assert win.call.status.text() == "Ringing…"
    clock.advance(2)
    first = win.desk.phone_call
    # another call's "answered" (call waiting) is that call's: this one keeps ringing
    win.apply_call_event(make_event("answered", numbered[0].number, call_id="other"))
    assert first.phase.value == "ringing"
    assert first.times.answered_at is None
    other = win.desk.phone_call
    assert other is not first
    win.apply_call_event(make_event("ended", numbered[0].number, call_id="other"))
    win.apply_call_event(make_event("answered", who.number, call_id="c-7"))
    clock.advance(60)
    win.apply_call_event(make_event("ended", who.number, call_id="c-7"))
    times = first.times
    assert first.phase.value == "wrapping"
    assert times.dialed_at is not None
    assert times.answered_at is not None
    assert times.completed_at is not None
    assert (times.answered_at - times.dialed_at).total_seconds() == 5
    assert (times.completed_at - times.answered_at).total_seconds() == 60
    # a new call while this one waits for its wrap-up gets its own slot; this one is untouched
    win.apply_call_event(make_event("dialing", numbered[2].number, call_id="c-8"))
    assert first.times == times
    assert win.desk.phone_call is not first
    assert win.desk.current is first
    assert phase(win) == "ringing"


def test_an_unanswered_call_ends_not_answered(qtbot, sandbox, make_window, numbered):
    opened = make_window(sandbox)
    win = opened.win
    win.apply_call_event(make_event("dialing", numbered[0].number))
    win.apply_call_event(make_event("ended", numbered[0].number, reason="486 Busy Here"))
    assert phase(win) == "wrapping"
    assert win.desk.current.times.answered_at is None
    assert win.desk.current.times.outcome == "Not Answered"
    assert "486 Busy Here" in win.call.status.text()


def test_incoming_call_pops_the_card_without_taking_focus(qtbot, sandbox, make_window, numbered):
    opened = make_window(sandbox)
    win = opened.win
    win.activateWindow()
    notes = by_name(win, "Notes", QPlainTextEdit)
    notes.setFocus()
    qtbot.keyClicks(notes, "follow up on pric")
    qtbot.waitUntil(lambda: QApplication.focusWidget() is notes)
    who = numbered[2]
    win.apply_call_event(make_event("incoming", who.number, call_id="in-1"))
    assert phase(win) == "ringing"
    _loaded(qtbot, opened, who.prospect_id)
    assert QApplication.focusWidget() is notes
    qtbot.keyClicks(notes, "ing")
    assert notes.toPlainText() == "follow up on pricing"
    win.apply_call_event(make_event("answered", who.number, call_id="in-1"))
    assert phase(win) == "live"
    assert win.desk.phone_call.direction == "inbound"
    assert QApplication.focusWidget() is notes


def test_incoming_call_in_compact_mode_shows_a_toast(qtbot, sandbox, make_window, numbered):
    opened = make_window(sandbox)
    win = opened.win
    win.set_compact(True)
    qtbot.waitExposed(win)
    box = win.search.box
    box.setFocus()
    qtbot.keyClicks(box, "ac")
    focus_window = QApplication.focusWindow()
    # (the offscreen platform does not re-activate a window whose flags changed: compare the
    # window's own focus widget, and that the toast did not become the focus window)
    who = numbered[0]
    win.apply_call_event(make_event("incoming", who.number, call_id="in-2"))
    assert win.toast is not None
    qtbot.waitUntil(win.toast.isVisible)
    assert win.toast.windowFlags() & Qt.WindowType.WindowStaysOnTopHint
    assert win.toast.windowFlags() & Qt.WindowType.WindowDoesNotAcceptFocus
    assert pretty(who.number) in win.toast.label.text()
    _loaded(qtbot, opened, who.prospect_id)
    qtbot.waitUntil(lambda: who.name in win.toast.label.text())
    assert box.text() == "ac"
    assert win.focusWidget() is box
    assert QApplication.focusWindow() is focus_window
    assert QApplication.focusWindow() is not win.toast.windowHandle()
    win.toast.hide()


@pytest.mark.skipif(
    QGuiApplication.platformName() == "offscreen"
    or os.environ.get("QT_QPA_PLATFORM") == "offscreen",
    reason="the offscreen platform activates every window it shows (it ignores "
    "WA_ShowWithoutActivating); run under X: QT_QPA_PLATFORM=xcb xvfb-run -a pytest …",
)
def test_incoming_call_shows_a_hidden_window_without_taking_focus(
    qtbot, sandbox, make_window, numbered
):
    """The rep is typing in another window; the dialer was closed to the tray."""
    opened = make_window(sandbox)
    win = opened.win
    other = QPlainTextEdit()
    qtbot.addWidget(other)
    other.show()
    qtbot.waitExposed(other)
    other.activateWindow()
    other.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is other)
    win.hide()
    who = numbered[1]
    win.apply_call_event(make_event("incoming", who.number, call_id="in-3"))
    qtbot.waitExposed(win)
    _loaded(qtbot, opened, who.prospect_id)
    assert QApplication.focusWindow() is other.windowHandle()
    assert QApplication.focusWidget() is other


def _shared_line(server) -> tuple[str, str, int, int]:
    """(number, extension, its owner, another person on the same line) from the sandbox: a
    switchboard number several prospects share, one of them with an extension of their own."""
    with server.client() as api:
        phones = api.get("/phoneNumbers", params={"page[size]": 1000}).json()["data"]
    people: dict[str, list[tuple[str, int]]] = {}
    for ph in phones:
        if ph["relationships"]["prospect"]["data"]:
            people.setdefault(ph["attributes"]["number"], []).append(
                (
                    ph["attributes"]["extension"] or "",
                    int(ph["relationships"]["prospect"]["data"]["id"]),
                )
            )
    for number, on_line in people.items():
        owners = {pid for _ext, pid in on_line}
        for ext, pid in on_line:
            if ext and [e for e, _p in on_line].count(ext) == 1 and len(owners) > 1:
                return number, ext, pid, next(p for p in owners if p != pid)
    raise AssertionError("the sandbox has no shared line with an extension")


def test_a_link_with_an_extension_lists_whose_extension_it_is_first(qtbot, sandbox, make_window):
    """`tel:+4930…;ext=2528` names one person of a switchboard: of the people sharing the line
    they come first, and the rep still picks (nobody is taken for the call unasked)."""
    number, extension, owner, other = _shared_line(sandbox)
    opened = make_window(sandbox)
    opened.win.call.dial.setFocus()  # not typing in the search box: the link may fill it
    with qtbot.waitSignal(opened.lookup.numberFound, timeout=10_000) as found:
        assert opened.win.open_uri(f"tel:{number};ext={extension}")
    ids = [m.prospect.id for m in found.args[1]]
    assert ids[0] == owner
    assert other in ids
    said = f"pick the one at ext. {extension}."  # the card names the extension asked for
    qtbot.waitUntil(lambda: opened.win.card.subtitle.text().endswith(said), timeout=10_000)
    assert opened.win.desk.card is None
    box = opened.win.search.box.text()
    assert box.endswith(f"ext. {extension}")  # the matches are ranked by it, and say so
    assert opened.win.search.model.match_at(0).prospect.id == owner


def test_a_link_to_a_shared_line_without_its_extension_asks_which_person(
    qtbot, sandbox, make_window
):
    number, _extension, _owner, _other = _shared_line(sandbox)
    opened = make_window(sandbox)
    assert opened.win.open_uri(f"tel:{number}")
    qtbot.waitUntil(lambda: "pick one" in opened.win.card.subtitle.text(), timeout=10_000)
    said = opened.win.card.subtitle.text()
    assert re.match(r"\d+ prospects have the number .+: pick one\.$", said), said  # a choice
    assert opened.win.desk.card is None
