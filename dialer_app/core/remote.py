"""What a second launch asks of the running window, and the checks it passes first.

`dialer-app tel:+1…` (a link), `dialer-app event <kind> --number N …` (a softphone hook) and a
plain `dialer-app` (show the window) are turned into a `Request` by `parse_request`, in the
launching process (to refuse bad input with a reason before anything is forwarded) and again in
the running window (which trusts nothing it receives). On the wire a request is one line of JSON,
`{"argv": [...]}`, capped in size.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from .softphone.events import EVENT_KINDS, CallEvent, EventError, make_event
from .uri import MAX_URI, UriError, is_phone_uri, parse_uri

MAX_MESSAGE = 8 * 1024
MAX_ARGS = 16


class RequestError(ValueError):
    """Not a request the app accepts; the message says why."""


@dataclass(frozen=True, slots=True)
class Request:
    """`show` the window, `open` a phone link, or apply a call `event`."""

    kind: Literal["show", "open", "event"]
    uri: str = ""
    event: CallEvent | None = None

    @property
    def argv(self) -> list[str]:
        """The arguments that ask for this again (what the launching process forwards)."""
        if self.kind == "open":
            return [self.uri]
        if self.kind == "event" and self.event is not None:
            e = self.event
            argv = ["event", e.kind]
            number = f"tel:{e.number};ext={e.extension}" if e.extension else e.number
            argv += ["--number", number] if number else []
            argv += ["--call-id", e.call_id] if e.call_id else []
            argv += ["--direction", e.direction] if e.direction else []
            return argv
        return []


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise RequestError(message)


def event_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="dialer-app event",
        description="Tell the running window what the softphone is doing with a call.",
    )
    parser.add_argument("kind", choices=EVENT_KINDS, help="what happened")
    parser.add_argument("--number", default="", help="the other party's number or phone link")
    parser.add_argument("--call-id", default="", help="the softphone's id for the call")
    parser.add_argument("--direction", choices=("inbound", "outbound"), default=None)
    return parser


def parse_request(argv: Sequence[str], *, region: str = "US") -> Request:
    """The request these arguments make; RequestError with the reason if they make none."""
    args = list(argv)
    if len(args) > MAX_ARGS or any(not isinstance(a, str) or len(a) > MAX_URI for a in args):
        raise RequestError("Too many or too long arguments.")
    if not args:
        return Request("show")
    if args[0] == "event":
        ns = event_parser().parse_args(args[1:])
        try:
            event = make_event(
                ns.kind, ns.number, call_id=ns.call_id, direction=ns.direction, region=region
            )
        except EventError as exc:
            raise RequestError(str(exc)) from None
        return Request("event", event=event)
    if len(args) == 1 and is_phone_uri(args[0]):
        try:
            parse_uri(args[0], region=region)
        except UriError as exc:
            raise RequestError(str(exc)) from None
        return Request("open", uri=args[0].strip())
    raise RequestError(
        f"{args[0][:40]!r} is not a tel:, callto:, sip: or sips: link, nor 'event …'."
    )


def encode_message(argv: Sequence[str]) -> bytes:
    data = json.dumps({"argv": list(argv)}).encode() + b"\n"
    if len(data) > MAX_MESSAGE:
        raise RequestError("The request is too long.")
    return data


def decode_message(data: bytes) -> list[str]:
    """The argv in one received line; RequestError if it is not one."""
    if len(data) > MAX_MESSAGE:
        raise RequestError("The request is too long.")
    try:
        message = json.loads(data)
    except ValueError:
        raise RequestError("The request is not JSON.") from None
    argv = message.get("argv") if isinstance(message, dict) else None
    if not isinstance(argv, list) or not all(isinstance(a, str) for a in argv):
        raise RequestError("The request has no argument list.")
    return argv


def instance_name(data_dir: Path, user: str | None = None) -> str:
    """The local socket name of the running window: one per user and per data directory."""
    who = user if user is not None else getpass.getuser()
    digest = hashlib.sha256(f"{who}\0{data_dir.resolve()}".encode()).hexdigest()[:16]
    safe_user = "".join(ch for ch in who if ch.isalnum())[:16] or "user"
    return f"dialer-companion-{safe_user}-{digest}"
