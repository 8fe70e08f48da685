"""Call events from a softphone — hook commands or the Baresip adapter — in one checked shape.

Nothing in an event is trusted: the kind comes from a fixed list, the number is parsed to E.164
(or left empty), the call id is a short token of safe characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from ..phone import PhoneNumberError, clean_extension, extension_of, to_e164
from ..uri import UriError, is_phone_uri, parse_uri

EventKind = Literal["incoming", "dialing", "ringing", "answered", "ended"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)
CallDirection = Literal["inbound", "outbound"]
MAX_NUMBER = 64
MAX_REASON = 120
_CALL_ID = re.compile(r"^[A-Za-z0-9._:@+-]{1,128}$")
# What a softphone may pass as the other party: a number, a phone link or a SIP address.
_PARTY = re.compile(r"^[A-Za-z0-9+*#.()\- :@;=/_%\[\]]{1,256}$")


class EventError(ValueError):
    """The event is not one the app accepts; the message says why."""


@dataclass(frozen=True, slots=True)
class CallEvent:
    """One thing that happened to a call on the softphone.

    `number` is E.164 ("" when the softphone gave none we could read), `extension` its
    extension ("" when none); `call_id` is the softphone's id for the call ("" when it gave
    none); `direction` is None when unknown.
    """

    kind: EventKind
    number: str = ""
    call_id: str = ""
    direction: CallDirection | None = None
    reason: str = ""
    extension: str = ""

    @property
    def inbound(self) -> bool:
        return self.kind == "incoming" or self.direction == "inbound"


def read_number(text: str, *, region: str = "US") -> str:
    """E.164 from a plain number or a tel:/callto:/sip: URI; "" if it names no phone number."""
    text = text.strip()
    if not text or len(text) > 256:
        return ""
    try:
        if is_phone_uri(text):
            return parse_uri(text, region=region).number
        if len(text) > MAX_NUMBER:
            return ""
        return to_e164(text, region)
    except (UriError, PhoneNumberError):
        return ""


def read_party(text: str, *, region: str = "US") -> tuple[str, str]:
    """(E.164, extension) from a number (`+1 212-555-0115 ext. 571`) or a tel: link
    (`tel:+12125550115;ext=571`); ("", "") if it names no phone number."""
    number = read_number(text, region=region)
    if not number:
        return "", ""
    text = text.strip()
    try:
        ext = parse_uri(text, region=region).extension if is_phone_uri(text) else ""
        if not ext and not is_phone_uri(text):
            ext = extension_of(text, region)
    except UriError:
        ext = ""
    return number, clean_extension(ext)


def make_event(
    kind: str,
    number: str = "",
    *,
    call_id: str = "",
    direction: str | None = None,
    reason: str = "",
    region: str = "US",
    strict: bool = True,
) -> CallEvent:
    """A checked CallEvent. With `strict`, a `number` that cannot be a number, phone link or SIP
    address raises EventError; one that is well-formed but names no phone number (an extension,
    a SIP user) gives an event without number: the call is still timed, nobody is looked up."""
    if kind not in EVENT_KINDS:
        expected = ", ".join(EVENT_KINDS)
        raise EventError(f"Unknown call event {kind[:20]!r}; expected one of {expected}.")
    if direction not in (None, "inbound", "outbound"):
        raise EventError("The direction is inbound or outbound.")
    if call_id and not _CALL_ID.match(call_id):
        raise EventError("The call id may hold only letters, digits and . _ : @ + - (≤ 128).")
    if strict and number.strip() and not _PARTY.match(number.strip()):
        raise EventError(f"{number[:40]!r} is not a phone number or SIP address.")
    e164, extension = read_party(number, region=region)
    clean_reason = "".join(ch for ch in reason if ch.isprintable())[:MAX_REASON]
    return CallEvent(kind, e164, call_id, direction, clean_reason, extension)  # type: ignore[arg-type]
