"""Baresip's ctrl_tcp events map to CallEvents; hook-command events are checked strictly."""

from __future__ import annotations

import pytest

from dialer_app.core.softphone.baresip import BaresipError, Endpoint, EventMapper, check_dial_target
from dialer_app.core.softphone.events import EventError, make_event

A = "sip:a@127.0.0.1:5060"
PEER = "sip:+14155550123@127.0.0.1:5062"


def ev(type_: str, *, peer: str = PEER, id_: str = "c1", param: str = "", direction="outgoing"):
    message = {"event": True, "type": type_, "class": "call", "accountaor": A}
    message |= {"direction": direction, "peeruri": peer, "param": param}
    if id_:
        message["id"] = id_
    return message


def test_an_outgoing_call_maps_to_dialing_ringing_answered_ended() -> None:
    mapper = EventMapper()
    got = [
        mapper.map(m)
        for m in [
            ev("CALL_LOCAL_SDP", id_="", param="offer"),
            ev("CALL_RINGING", param=PEER),
            ev("CALL_REMOTE_SDP", param="answer"),
            ev("CALL_RTCP", param="audio"),
            ev("CALL_ESTABLISHED", param=PEER),
            ev("CALL_RTPESTAB", param="audio"),
            ev("CALL_CLOSED", param="Connection reset by user"),
        ]
    ]
    kinds = [(e.kind, e.call_id) for e in got if e is not None]
    assert kinds == [("dialing", ""), ("ringing", "c1"), ("answered", "c1"), ("ended", "c1")]
    assert all(e.number == "+14155550123" for e in got if e is not None)
    assert got[-1] is not None
    assert got[-1].reason == "Connection reset by user"
    assert got[0] is not None
    assert got[0].direction == "outbound"


def test_progress_rings_and_an_incoming_call_is_inbound() -> None:
    mapper = EventMapper()
    assert mapper.map(ev("CALL_PROGRESS")).kind == "ringing"  # type: ignore[union-attr]
    incoming = mapper.map(ev("CALL_INCOMING", direction="incoming", param=PEER))
    assert incoming is not None
    assert (incoming.kind, incoming.direction, incoming.inbound) == ("incoming", "inbound", True)


def test_answers_reoffers_responses_and_odd_values_are_ignored() -> None:
    mapper = EventMapper()
    assert mapper.map(ev("CALL_LOCAL_SDP", param="answer", direction="incoming")) is None
    assert mapper.map(ev("CALL_LOCAL_SDP", param="offer")) is None  # has an id: a re-offer
    assert mapper.map({"response": True, "ok": True, "token": "x"}) is None
    assert mapper.map({"event": "true", "type": "CALL_RINGING", "id": "c"}) is None
    assert mapper.map(ev("CALL_RINGING", id_="")) is None
    assert mapper.map(ev("CALL_RINGING", id_="x y; rm -rf /")) is None


def test_a_peer_that_is_not_a_number_gives_an_event_without_number() -> None:
    got = EventMapper().map(ev("CALL_INCOMING", peer="sip:alice@example.com", direction="incoming"))
    assert got is not None
    assert (got.kind, got.number) == ("incoming", "")


def test_hook_events_are_checked() -> None:
    got = make_event("answered", "+1 (415) 555-0123", call_id="abc-1", direction="outbound")
    assert (got.kind, got.number, got.call_id) == ("answered", "+14155550123", "abc-1")
    assert make_event("incoming", "tel:+14155550123").number == "+14155550123"
    with pytest.raises(EventError, match="Unknown call event"):
        make_event("explode", "+14155550123")
    with pytest.raises(EventError, match="not a phone number"):
        make_event("dialing", "$(reboot)")
    with pytest.raises(EventError, match="not a phone number"):
        make_event("dialing", "+1415\n5550123")
    extension = make_event("incoming", "101")  # timed, but nobody to look up
    assert (extension.kind, extension.number) == ("incoming", "")
    with pytest.raises(EventError, match="call id"):
        make_event("dialing", "+14155550123", call_id="a;b")
    with pytest.raises(EventError, match="direction"):
        make_event("dialing", "+14155550123", direction="sideways")


def test_endpoints_and_dial_uris() -> None:
    assert Endpoint.parse("127.0.0.1:4444") == Endpoint("127.0.0.1", 4444)
    assert Endpoint.parse("localhost") == Endpoint("localhost", 4444)
    assert Endpoint.parse("[::1]:5555") == Endpoint("::1", 5555)
    for bad in ("host:0", "host:99999", "host:x", ":4444"):
        with pytest.raises(ValueError):  # noqa: PT011
            Endpoint.parse(bad)
    assert check_dial_target(PEER) == PEER
    assert check_dial_target("+14155550123") == "+14155550123"
    for bad in (
        "tel:+14155550123",
        "+1 415",
        "1;reboot",
        "sip:a b@host",
        "sip:x\n@host",
        "sip:" + "1" * 300,
    ):
        with pytest.raises(BaresipError):
            check_dial_target(bad)
