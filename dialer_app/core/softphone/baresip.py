"""Baresip adapter: `ctrl_tcp` events become CallEvents; calls can be dialled through it.

Baresip 1.0.0 speaks netstring-framed JSON on one TCP connection. Events map as:

    CALL_LOCAL_SDP, param "offer", no id   → dialing   (1.0.0 has no CALL_OUTGOING; the call's
                                              id arrives with the next event, matched by peeruri)
    CALL_RINGING, CALL_PROGRESS           → ringing
    CALL_INCOMING                         → incoming
    CALL_ESTABLISHED                      → answered
    CALL_CLOSED                           → ended   (the reason is in param)

Everything else is ignored. Baresip serves one client at a time (a new connection silently
replaces the old one), so the app keeps exactly one. When the connection drops (Baresip
restarted), `run` connects again with a capped backoff. TCP_NODELAY (and TCP_QUICKACK where the
OS has it) keeps small frames from waiting ~40 ms for delayed ACKs.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .events import CallEvent, make_event
from .netstring import Decoder, NetstringError, encode

log = logging.getLogger(__name__)

DEFAULT_PORT = 4444
MAX_URI = 256
_SIP_URI = re.compile(r"^sips?:[A-Za-z0-9._~%!$&'()*+,;=:@\[\]-]{1,250}$")
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_TRACKED = 32


class BaresipError(RuntimeError):
    """Baresip could not be reached, or refused a command; the message says which."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Endpoint:
        """`HOST:PORT` (or `HOST`, port 4444); `[::1]:4444` for IPv6."""
        text = text.strip()
        host, port = text, DEFAULT_PORT
        if text.startswith("["):
            host, _, rest = text[1:].partition("]")
            if rest:
                port = _port(rest.removeprefix(":"))
        elif text.count(":") == 1:
            host, _, raw = text.partition(":")
            port = _port(raw)
        if not host or len(host) > 253:
            raise ValueError("Give Baresip's control address as HOST:PORT.")
        return cls(host, port)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def _port(raw: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"{raw[:10]!r} is not a TCP port.")
    return int(raw)


def check_dial_target(target: str) -> str:
    """A plain sip:/sips: address, or a number (Baresip adds its account's domain) — else raise
    BaresipError: nothing else is passed to Baresip's command line."""
    if len(target) <= MAX_URI and (_SIP_URI.match(target) or _NUMBER.match(target)):
        return target
    raise BaresipError("Only a sip: or sips: address or a phone number can be dialled.")


class EventMapper:
    """Turns Baresip's JSON events into CallEvents, keeping what is needed to pair them up."""

    def __init__(self, region: str = "US") -> None:
        self._region = region
        self._outgoing: dict[str, str] = {}  # peeruri → id ("" until it is known)

    def map(self, message: dict[str, Any]) -> CallEvent | None:
        if message.get("event") is not True:
            return None
        kind = _text(message.get("type"))
        peer = _text(message.get("peeruri"))
        call_id = _text(message.get("id"))
        param = _text(message.get("param"))
        direction = {"outgoing": "outbound", "incoming": "inbound"}.get(
            _text(message.get("direction"))
        )
        if kind == "CALL_LOCAL_SDP":
            if param != "offer" or call_id or direction != "outbound" or not peer:
                return None  # an answer, or a re-offer on a call already known
            self._remember(peer, "")
            return self._event("dialing", peer, "", direction)
        if not call_id:
            return None
        if direction == "outbound" and self._outgoing.get(peer) == "":
            self._outgoing[peer] = call_id  # the id of the call dialled a moment ago
        if kind in ("CALL_RINGING", "CALL_PROGRESS"):
            return self._event("ringing", peer, call_id, direction)
        if kind == "CALL_INCOMING":
            return self._event("incoming", peer, call_id, "inbound")
        if kind == "CALL_ESTABLISHED":
            return self._event("answered", peer, call_id, direction)
        if kind == "CALL_CLOSED":
            if self._outgoing.get(peer) == call_id:
                del self._outgoing[peer]
            return self._event("ended", peer, call_id, direction, reason=param)
        return None

    def _remember(self, peer: str, call_id: str) -> None:
        self._outgoing[peer] = call_id
        while len(self._outgoing) > _TRACKED:
            self._outgoing.pop(next(iter(self._outgoing)))

    def _event(
        self, kind: str, peer: str, call_id: str, direction: str | None, reason: str = ""
    ) -> CallEvent | None:
        try:
            return make_event(
                kind,
                peer,
                call_id=call_id,
                direction=direction,
                reason=reason,
                region=self._region,
                strict=False,
            )
        except ValueError as exc:  # an id with odd characters: not a call we can follow
            log.warning("ignoring a Baresip event: %s", exc)
            return None


def _text(value: object) -> str:
    return value[:512] if isinstance(value, str) else ""


class BaresipClient:
    """One connection to Baresip's ctrl_tcp, kept up by `run()`; events go to `on_event`.

    `on_event(event, received)` gets each CallEvent with the `time.monotonic()` at which its
    frame was read; `on_connection(connected)` reports the link going up and down.
    """

    def __init__(
        self,
        endpoint: Endpoint,
        on_event: Callable[[CallEvent, float], None],
        *,
        on_connection: Callable[[bool], None] | None = None,
        region: str = "US",
        retry_initial: float = 0.1,
        retry_max: float = 5.0,
        command_timeout: float = 5.0,
    ) -> None:
        self.endpoint = endpoint
        self._on_event = on_event
        self._on_connection = on_connection or (lambda _up: None)
        self._mapper = EventMapper(region)
        self._retry_initial = retry_initial
        self._retry_max = retry_max
        self._timeout = command_timeout
        self._writer: asyncio.StreamWriter | None = None
        self._pending: dict[str, asyncio.Future[str]] = {}
        self._tokens = itertools.count(1)
        self._connected = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self._writer is not None

    async def wait_connected(self) -> None:
        """Return once connected (wrap in `asyncio.timeout` to bound the wait)."""
        await self._connected.wait()

    async def run(self) -> None:
        """Stay connected until cancelled, reconnecting with backoff whenever the link drops."""
        delay = self._retry_initial
        while True:
            try:
                reader, writer = await asyncio.open_connection(
                    self.endpoint.host, self.endpoint.port
                )
            except OSError as exc:
                log.debug("Baresip at %s not reachable: %s", self.endpoint, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)
                continue
            delay = self._retry_initial
            try:
                await self._serve(reader, writer)
            finally:
                self._drop(writer)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if hasattr(socket, "TCP_QUICKACK"):
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        self._writer = writer
        self._connected.set()
        self._on_connection(True)
        decoder = Decoder()
        while True:
            data = await reader.read(65536)
            received = time.monotonic()
            if not data:
                return
            if sock is not None and hasattr(socket, "TCP_QUICKACK"):
                with contextlib.suppress(OSError):  # Linux clears it after each ACK
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
            try:
                frames = decoder.feed(data)
            except NetstringError as exc:
                log.warning("dropping the Baresip connection: %s", exc)
                return
            for frame in frames:
                self._handle(frame, received)

    def _handle(self, frame: bytes, received: float) -> None:
        try:
            message = json.loads(frame)
        except ValueError:
            log.warning("ignoring a Baresip frame that is not JSON")
            return
        if not isinstance(message, dict):
            return
        if message.get("response") is True:
            future = self._pending.pop(_text(message.get("token")), None)
            if future is not None and not future.done():
                if message.get("ok") is True:
                    future.set_result(_text(message.get("data")))
                else:
                    future.set_exception(
                        BaresipError(f"Baresip refused: {_text(message.get('data'))[:120]}")
                    )
            return
        event = self._mapper.map(message)
        if event is not None:
            self._on_event(event, received)

    def _drop(self, writer: asyncio.StreamWriter) -> None:
        writer.close()
        if self._writer is writer:
            self._writer = None
            self._connected.clear()
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BaresipError("The connection to Baresip dropped."))
            self._pending.clear()
            self._on_connection(False)

    async def command(self, command: str, params: str = "") -> str:
        """Send one ctrl_tcp command and return Baresip's answer text (BaresipError if refused)."""
        writer = self._writer
        if writer is None:
            raise BaresipError(f"Not connected to Baresip at {self.endpoint}.")
        token = f"dc{next(self._tokens)}"
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._pending[token] = future
        payload = json.dumps({"command": command, "params": params, "token": token})
        writer.write(encode(payload.encode()))
        try:
            await writer.drain()
            return await asyncio.wait_for(future, self._timeout)
        except TimeoutError:
            raise BaresipError("Baresip did not answer in time.") from None
        finally:
            self._pending.pop(token, None)

    async def dial(self, target: str) -> str:
        """Place a call from Baresip to a sip:/sips: address or a number."""
        return await self.command("dial", check_dial_target(target))

    async def hang_up(self) -> str:
        """Hang up Baresip's current call."""
        return await self.command("hangup")
