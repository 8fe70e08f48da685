"""Phone URIs from outside (`tel:`, `callto:`, `sip:`, `sips:`): parsed strictly, never trusted.

Accepted:
- `tel:` per RFC 3966: a global number (`tel:+1-415-555-0123`) with visual separators `-.()`
  (and spaces, which desktop handlers often pass through), or a local number with
  `;phone-context=+<country code>`; parameters `;ext=`, `;isub=`, `;phone-context=`, others ignored.
- `callto:` with a number (`callto:+14155550123`, `callto://+14155550123`).
- `sip:`/`sips:` whose user part is a number (`sip:+14155550123@pbx.example;user=phone`).
Everything else — another scheme, a user name, letters, control characters, over-long input — is
refused with a reason. Nothing from a URI is ever executed or used as anything but a number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from .phone import PhoneNumberError, to_e164

MAX_URI = 256
SCHEMES = ("tel", "callto", "sip", "sips")
_VISUAL = re.compile(r"[-.()\s]")
_GLOBAL = re.compile(r"^\+[0-9]{3,15}$")
_LOCAL = re.compile(r"^[0-9*#]{1,20}$")
_CONTEXT = re.compile(r"^\+[0-9]{1,6}$")
_EXT = re.compile(r"^[0-9]{1,10}$")
_PARAM_NAME = re.compile(r"^[A-Za-z0-9-]{1,32}$")


class UriError(ValueError):
    """The text is not a phone URI this app accepts; the message says why."""


@dataclass(frozen=True, slots=True)
class DialTarget:
    """A number to look up and call, from a URI."""

    scheme: str
    number: str
    extension: str = ""


def dial_uri(scheme: str, number: str, extension: str = "") -> str:
    """The link that hands `number` to the softphone: `tel:+12125550115;ext=571` (RFC 3966),
    `callto:+12125550115`, `sip:+12125550115`. Only `tel:` has a place for the extension."""
    if scheme == "tel" and extension:
        return f"tel:{number};ext={extension}"
    return f"{scheme}:{number}"


def is_phone_uri(text: str) -> bool:
    """Whether `text` claims to be one of the URIs this app handles (it may still be refused)."""
    scheme, sep, _ = text.strip().partition(":")
    return bool(sep) and scheme.lower() in SCHEMES


def parse_uri(text: str, *, region: str = "US") -> DialTarget:
    """The number a phone URI names, normalised to E.164; raise UriError with the reason."""
    if len(text) > MAX_URI:
        raise UriError(f"The link is longer than {MAX_URI} characters.")
    raw = text.strip()
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        raise UriError("The link contains control characters.")
    scheme, sep, rest = raw.partition(":")
    scheme = scheme.lower()
    if not sep or scheme not in SCHEMES:
        raise UriError(
            "Only tel:, callto:, sip: and sips: links can be opened"
            + (f", not {scheme}:." if sep and scheme else ".")
        )
    try:
        rest = unquote(rest, errors="strict")
    except UnicodeDecodeError:
        raise UriError("The link has a bad %-escape.") from None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in rest):
        raise UriError("The link contains control characters.")
    if scheme == "tel":
        number, ext = _parse_tel(rest)
    elif scheme == "callto":
        number, ext = _parse_callto(rest)
    else:
        number, ext = _parse_sip(rest)
    try:
        e164 = to_e164(number, region)
    except PhoneNumberError as exc:
        raise UriError(str(exc)) from None
    return DialTarget(scheme=scheme, number=e164, extension=ext)


def _params(parts: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in parts:
        name, _, value = part.partition("=")
        if not _PARAM_NAME.match(name):
            raise UriError(f"The link has a malformed parameter {part[:20]!r}.")
        params[name.lower()] = value
    return params


def _digits(number: str) -> str:
    return _VISUAL.sub("", number)


def _parse_tel(rest: str) -> tuple[str, str]:
    body, *param_parts = rest.split(";")
    params = _params(param_parts)
    ext = params.get("ext", "")
    if ext and not _EXT.match(_digits(ext)):
        raise UriError("The extension must be digits.")
    number = _digits(body)
    if not number:
        raise UriError("The link has no number.")
    if number.startswith("+"):
        if not _GLOBAL.match(number):
            raise UriError("A tel: number is + and 3 to 15 digits.")
        return number, _digits(ext)
    context = params.get("phone-context", "")
    if not _LOCAL.match(number):
        raise UriError("A tel: number may hold only digits and the separators - . ( ).")
    if not context:
        raise UriError("A local tel: number needs ;phone-context= (or write it with + first).")
    context_digits = _digits(context)
    if not _CONTEXT.match(context_digits):
        raise UriError("Only a +<country code> phone-context is supported, not a domain.")
    return context_digits + number, _digits(ext)


def _parse_callto(rest: str) -> tuple[str, str]:
    body = rest[2:] if rest.startswith("//") else rest
    body = body.split(";")[0].split("?")[0]
    number = _digits(body)
    if not (_GLOBAL.match(number) or _LOCAL.match(number)):
        raise UriError("This callto: link names a user, not a phone number.")
    return number, ""


def _parse_sip(rest: str) -> tuple[str, str]:
    user, at, host = rest.partition("@")
    if not at or not host:
        raise UriError("A sip: link must look like sip:number@host.")
    user = user.split(";")[0]
    number = _digits(user)
    if not (_GLOBAL.match(number) or _LOCAL.match(number)):
        raise UriError("This SIP address names a user, not a phone number.")
    return number, ""
