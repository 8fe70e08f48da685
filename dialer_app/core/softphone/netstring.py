"""Netstring framing (`<len>:<payload>,`), as Baresip's `ctrl_tcp` speaks it.

`encode` frames one payload; `Decoder.feed` takes bytes as they arrive (any split, several frames
per read) and returns the complete payloads. A malformed stream raises `NetstringError`: the
caller drops the connection, since nothing after a framing error can be trusted.
"""

from __future__ import annotations

MAX_FRAME = 64 * 1024
_MAX_DIGITS = len(str(MAX_FRAME))


class NetstringError(ValueError):
    """The byte stream is not a well-formed netstring sequence."""


def encode(payload: bytes) -> bytes:
    """One netstring frame holding `payload`."""
    if len(payload) > MAX_FRAME:
        raise NetstringError(f"A frame holds at most {MAX_FRAME} bytes.")
    return b"%d:%s," % (len(payload), payload)


class Decoder:
    """Reassembles netstring frames from a byte stream."""

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self._buf = bytearray()
        self._max = max_frame

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; return every payload now complete, in order."""
        self._buf += data
        frames: list[bytes] = []
        while self._buf:
            colon = self._buf.find(b":", 0, _MAX_DIGITS + 1)
            if colon < 0:
                head = bytes(self._buf[: _MAX_DIGITS + 1])
                if len(self._buf) > _MAX_DIGITS or not head.isdigit():
                    raise NetstringError(f"Bad netstring length {head[:12]!r}.")
                break  # the length is still arriving
            digits = bytes(self._buf[:colon])
            if not digits.isdigit() or (len(digits) > 1 and digits.startswith(b"0")):
                raise NetstringError(f"Bad netstring length {digits[:12]!r}.")
            size = int(digits)
            if size > self._max:
                raise NetstringError(f"A netstring frame of {size} bytes is over the limit.")
            end = colon + 1 + size
            if len(self._buf) <= end:
                break  # the payload or its comma is still arriving
            if self._buf[end] != ord(","):
                raise NetstringError("A netstring frame does not end with a comma.")
            frames.append(bytes(self._buf[colon + 1 : end]))
            del self._buf[: end + 1]
        return frames
