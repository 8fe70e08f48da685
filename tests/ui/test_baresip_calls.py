"""A real softphone drives the timer: two Baresip processes on 127.0.0.1.

Phone A is the rep's softphone, followed and driven by the app's adapter (its account's calls go
to B's address, as to a PBX). Phone B is the prospect (its user is the prospect's number),
driven by the test's own ctrl_tcp client, which also records when B saw each event — the
independent clock the logged times are checked against.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
from PySide6.QtCore import Qt

from dialer_app.core.clock import SystemClock
from dialer_app.core.softphone.baresip import Endpoint
from dialer_app.services.softphone import BaresipBridge
from dialer_app.services.tasks import TaskRunner
from tests.support.baresip import BaresipPhone, PeerControl, needs_baresip
from tests.support.prospects import numbers_with_one_prospect
from tests.support.qt import phase

pytestmark = [needs_baresip, pytest.mark.slow]
TOLERANCE = 0.050  # logged time vs when the peer saw the same moment, seconds


@pytest.fixture
def who(sandbox):
    return numbers_with_one_prospect(sandbox, 2)[1]


@pytest.fixture
def phones(tmp_path, who):
    """(A, B, B's control); both processes are stopped by PID however the test ends."""
    peer = BaresipPhone(tmp_path / "peer", who.number)
    rep = BaresipPhone(tmp_path / "rep", "rep", domain=f"127.0.0.1:{peer.sip_port}")
    control = None
    try:
        peer.start()
        rep.start()
        control = PeerControl(peer.ctrl_port)
        yield rep, peer, control
    finally:
        if control is not None:
            control.close()
        rep.stop()
        peer.stop()


@pytest.fixture
def call_rig(qtbot, aio, sandbox, make_window, phones):
    """A window whose click-to-dial and call session go through the adapter on phone A."""
    rep, _peer, control = phones
    runner = TaskRunner()
    bridge = BaresipBridge(runner, Endpoint("127.0.0.1", rep.ctrl_port))
    opened = make_window(sandbox, clock=SystemClock(), hand_off=bridge.hand_off)
    seen: list[Any] = []
    bridge.callEvent.connect(seen.append)
    bridge.callEvent.connect(opened.win.apply_call_event)
    bridge.start()
    qtbot.waitUntil(lambda: bridge.client.connected, timeout=10_000)
    yield opened, bridge, control, seen
    stopping = aio.create_task(runner.close())
    qtbot.waitUntil(stopping.done, timeout=5000)


def _dial_from_card(qtbot, opened, who) -> None:
    win = opened.win
    assert win.open_uri(f"tel:{who.number}")
    qtbot.waitUntil(
        lambda: (
            win.card.detail is not None
            and win.card.detail.prospect.id == who.prospect_id
            and bool(win.card.number_buttons)
        ),
        timeout=10_000,
    )
    numbers = win.card.detail.prospect.phone_numbers
    index = next(i for i, p in enumerate(numbers) if p.number == who.number)
    qtbot.mouseClick(win.card.number_buttons[index], Qt.MouseButton.LeftButton)


def _log_and_read(qtbot, opened, sandbox) -> dict[str, Any]:
    with qtbot.waitSignal(opened.logbook.callSent, timeout=15_000) as sent:
        qtbot.mouseClick(opened.win.log_button, Qt.MouseButton.LeftButton)
    with sandbox.client() as api:
        return api.get(f"/calls/{sent.args[1]}").json()["data"]["attributes"]


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_a_real_answered_call_is_timed_with_no_key_pressed(qtbot, call_rig, who, sandbox):
    opened, bridge, peer, seen = call_rig
    win = opened.win
    latency: dict[str, float] = {}  # frame read from Baresip → the desk applied the event

    def on_event(event: object) -> None:  # connected after the window's own slot: runs after it
        state = phase(win)
        if state in ("live", "wrapping") and state not in latency:
            assert bridge.received_at is not None
            latency[state] = time.monotonic() - bridge.received_at

    bridge.callEvent.connect(on_event)
    _dial_from_card(qtbot, opened, who)  # the only click: the number on the card
    qtbot.waitUntil(lambda: peer.event_time("CALL_INCOMING") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: win.call.status.text() == "Ringing…", timeout=10_000)
    peer.send("accept")  # B picks up once A hears it ring
    qtbot.waitUntil(lambda: phase(win) == "live", timeout=10_000)
    qtbot.waitUntil(lambda: win.call.elapsed.text() == "0:01", timeout=10_000)
    win.call.error.clear_error()
    rep_hangs_up = bridge.run(bridge.client.hang_up())
    qtbot.waitUntil(lambda: phase(win) == "wrapping", timeout=10_000)
    qtbot.waitUntil(rep_hangs_up.done, timeout=5000)
    qtbot.waitUntil(lambda: peer.event_time("CALL_CLOSED") is not None, timeout=10_000)
    assert [e.kind for e in seen] == ["dialing", "ringing", "answered", "ended"]

    call = _log_and_read(qtbot, opened, sandbox)
    dialed, answered, completed = (
        _epoch(call[k]) for k in ("dialedAt", "answeredAt", "completedAt")
    )
    assert dialed < answered < completed
    incoming, established, closed = (
        peer.event_time(t) for t in ("CALL_INCOMING", "CALL_ESTABLISHED", "CALL_CLOSED")
    )
    figures = {
        "dialedAt - B incoming": dialed - incoming,
        "answeredAt - B established": answered - established,
        "completedAt - B closed": completed - closed,
    }
    print("event-time offsets (ms):", {k: round(v * 1000, 1) for k, v in figures.items()})
    for what, offset in figures.items():
        assert abs(offset) < TOLERANCE, f"{what}: {offset * 1000:.1f} ms"
    assert call["outcome"] == "Answered"
    assert call["direction"] == "outbound"
    print("Baresip event → desk (ms):", {k: round(v * 1000, 2) for k, v in latency.items()})
    assert set(latency) == {"live", "wrapping"}
    assert all(v < TOLERANCE for v in latency.values())


def test_a_call_nobody_answers_is_logged_not_answered(qtbot, call_rig, who, sandbox):
    opened, bridge, peer, seen = call_rig
    win = opened.win
    _dial_from_card(qtbot, opened, who)
    qtbot.waitUntil(lambda: peer.event_time("CALL_INCOMING") is not None, timeout=10_000)
    qtbot.waitUntil(lambda: win.call.status.text() == "Ringing…", timeout=10_000)
    bridge.run(bridge.client.hang_up())  # the rep gives up
    qtbot.waitUntil(lambda: phase(win) == "wrapping", timeout=10_000)
    assert [e.kind for e in seen] == ["dialing", "ringing", "ended"]
    call = _log_and_read(qtbot, opened, sandbox)
    assert call["outcome"] == "Not Answered"
    assert call["answeredAt"] is None
    assert _epoch(call["dialedAt"]) < _epoch(call["completedAt"])


def test_a_rejected_call_is_logged_not_answered(qtbot, call_rig, who, sandbox):
    opened, _bridge, peer, seen = call_rig
    win = opened.win
    _dial_from_card(qtbot, opened, who)
    qtbot.waitUntil(lambda: peer.event_time("CALL_INCOMING") is not None, timeout=10_000)
    peer.send("hangup")  # B declines: 486
    qtbot.waitUntil(lambda: phase(win) == "wrapping", timeout=10_000)
    assert seen[-1].kind == "ended"
    assert "486" in seen[-1].reason
    assert "486" in win.log_message.text()
    call = _log_and_read(qtbot, opened, sandbox)
    assert call["outcome"] == "Not Answered"


def test_an_incoming_call_pops_the_card_and_is_answered(qtbot, call_rig, who, phones):
    opened, bridge, peer, seen = call_rig
    rep, _peer, _control = phones
    win = opened.win
    peer.send("dial", rep.aor)  # the prospect calls the rep
    qtbot.waitUntil(lambda: phase(win) == "ringing", timeout=10_000)
    qtbot.waitUntil(
        lambda: win.card.detail is not None and win.card.detail.prospect.id == who.prospect_id,
        timeout=10_000,
    )
    bridge.run(bridge.client.command("accept"))
    qtbot.waitUntil(lambda: phase(win) == "live", timeout=10_000)
    assert win.desk.phone_call.direction == "inbound"
    assert [e.kind for e in seen[:2]] == ["incoming", "answered"]


def test_the_adapter_reconnects_when_baresip_restarts(qtbot, call_rig, phones, who):
    opened, bridge, _peer, seen = call_rig
    rep, _peer_phone, _control = phones
    states: list[bool] = []
    bridge.connectionChanged.connect(lambda up, _text: states.append(up))
    rep.stop()
    qtbot.waitUntil(lambda: states[-1:] == [False], timeout=10_000)
    rep.start()
    qtbot.waitUntil(lambda: bridge.client.connected, timeout=15_000)
    assert states[-1] is True
    _dial_from_card(qtbot, opened, who)
    qtbot.waitUntil(lambda: [e.kind for e in seen][:1] == ["dialing"], timeout=10_000)
