"""Netstring framing: frames split anywhere, several per read, malformed streams refused."""

from __future__ import annotations

import pytest

from dialer_app.core.softphone.netstring import MAX_FRAME, Decoder, NetstringError, encode

FRAMES = [b'{"event":true,"type":"CALL_RINGING"}', b"", b'{"response":true,"data":"a,b:c"}']


def test_encode_frames_a_payload() -> None:
    assert encode(b'{"a":1}') == b'7:{"a":1},'
    assert encode(b"") == b"0:,"


def test_several_frames_in_one_read() -> None:
    assert Decoder().feed(b"".join(encode(f) for f in FRAMES)) == FRAMES


@pytest.mark.parametrize("chunk", [1, 2, 3, 7, 50])
def test_frames_split_at_every_boundary(chunk: int) -> None:
    stream = b"".join(encode(f) for f in FRAMES)
    decoder = Decoder()
    got: list[bytes] = []
    for i in range(0, len(stream), chunk):
        got += decoder.feed(stream[i : i + chunk])
    assert got == FRAMES


def test_incomplete_frame_waits_for_the_rest() -> None:
    decoder = Decoder()
    assert decoder.feed(b"5:hel") == []
    assert decoder.feed(b"lo") == []  # the comma is still missing
    assert decoder.feed(b",3:") == [b"hello"]
    assert decoder.feed(b"abc,") == [b"abc"]


@pytest.mark.parametrize(
    "stream",
    [
        b"x:abc,",  # not a length
        b"-1:abc,",
        b"03:abc,",  # leading zero
        b"3:abcd",  # no comma after the payload
        b"3:abc;",
        b":abc,",
        b"9" * 12,  # a length that never ends
        b"%d:" % (MAX_FRAME + 1),  # over the cap
    ],
)
def test_malformed_streams_are_refused(stream: bytes) -> None:
    with pytest.raises(NetstringError):
        Decoder().feed(stream)


def test_oversized_payload_cannot_be_encoded() -> None:
    with pytest.raises(NetstringError):
        encode(b"x" * (MAX_FRAME + 1))
