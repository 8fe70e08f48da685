"""Phone numbers: anything a rep types or a softphone sends, normalised to E.164, or refused."""

from __future__ import annotations

MAX_INPUT = 64

# How an extension is written after a number: by people and signatures (`ext. 12`, `Ext: 12`,
# `extn 12`, `extension 12`, `x12`, `#12`, `(ext. 12)`, `, ext 12`) and by this app (RFC 3966's
# `;ext=12`, the form logged). Compared without blanks, case-folded.
_MARKS = ("ext", "ext.", "ext:", "ext#", "extn", "extn.", "extension", "x", "#", ";ext=")
_MARK_CHARS = frozenset(".:;=#(,")  # besides letters and blanks


class PhoneNumberError(ValueError):
    """The text is not a phone number this app can call; the message says why."""


def split_extension(text: str) -> tuple[str, str]:
    """(the number, its extension) of a number written with one (`+1 415 555 0123 ext. 12` →
    `+1 415 555 0123`, `12`), `(text, "")` for text without one.

    A mark still being typed after a number (`… e`, `… ext`, `…;ext=`) gives the number with no
    extension yet: key by key, the text stays that number instead of turning into a name.
    One pass from the end, without backtracking, whatever the text's length."""
    if len(text) > 2 * MAX_INPUT:
        return text, ""
    body = text.rstrip()
    if body.endswith(")"):  # `(ext. 12)`
        body = body[:-1].rstrip()
    end = len(body)
    while end and body[end - 1].isascii() and body[end - 1].isdigit():
        end -= 1
    extension = body[end:]
    start = end
    while start and (
        body[start - 1].isalpha() or body[start - 1].isspace() or body[start - 1] in _MARK_CHARS
    ):
        start -= 1
    written = "".join(body[start:end].split()).casefold()
    mark = written.lstrip("(,")
    number = body[:start].rstrip()
    if not written or not any(ch.isdigit() for ch in number):
        return text, ""
    if extension and mark in _MARKS:
        return number, extension
    if not extension and any(m.startswith(mark) for m in _MARKS):
        return number, ""  # a mark on its way (`… e`, `…,`); its digits come next
    return text, ""


def looks_like_phone(query: str) -> bool:
    """Whether a lookup is a phone number (digits and the separators people type, an extension
    after it) or a name."""
    number, _extension = split_extension(query)
    digits = sum(ch.isdigit() for ch in number)
    return digits >= 3 and all(ch.isdigit() or ch in "+-().  /x#" or ch.isspace() for ch in number)


def to_e164(text: str, region: str = "US") -> str:
    """`(415) 555-0123` with region US → `+14155550123`; `0044 20 7946 0958` → `+442079460958`.

    A leading `00` is taken as the international prefix. Extensions are dropped from the E.164
    form (see `extension_of`).

    A number only has to be *possible* (a country code and a length that country uses), not
    *valid*: libphonenumber's list of assigned ranges lags behind real numbering plans, and a
    number Outreach holds for a prospect is worth looking up even where that list calls it
    unassigned (`+1 555-010-0123`). Anything else raises PhoneNumberError saying why.
    """
    import phonenumbers  # on first use: the window's start does not pay its ~50 ms

    raw = text.strip()
    if not raw:
        raise PhoneNumberError("Enter a phone number.")
    if len(raw) > MAX_INPUT:
        raise PhoneNumberError(f"A phone number has at most {MAX_INPUT} characters.")
    if raw.startswith("00"):
        raw = "+" + raw[2:]
    try:
        parsed = phonenumbers.parse(raw, region.upper())
    except phonenumbers.NumberParseException as exc:
        raise PhoneNumberError(f"Not a phone number: {mask(raw)} {_unreadable(exc)}.") from None
    verdict = phonenumbers.is_possible_number_with_reason(parsed)
    if verdict != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise PhoneNumberError(f"{mask(raw)} {_impossible(verdict)}.")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def _unreadable(exc: Exception) -> str:
    """Why libphonenumber could not read a number at all, for a rep."""
    from phonenumbers import NumberParseException as N

    return {
        N.INVALID_COUNTRY_CODE: "has no country code that exists (start with + and the code)",
        N.TOO_SHORT_AFTER_IDD: "is too short after the international prefix",
        N.TOO_SHORT_NSN: "is too short for a phone number",
        N.TOO_LONG: "is too long for a phone number",
    }.get(int(getattr(exc, "error_type", -1)), "is not a whole phone number")


def _impossible(verdict: int) -> str:
    """Why libphonenumber finds a number impossible (a `ValidationResult`), for a rep."""
    from phonenumbers import ValidationResult as V

    return {
        V.INVALID_COUNTRY_CODE: "has no country code that exists",
        V.TOO_SHORT: "is too short for a phone number of its country",
        V.TOO_LONG: "is too long for a phone number of its country",
        V.IS_POSSIBLE_LOCAL_ONLY: "is a local number: add the area code",
    }.get(verdict, "has a length no phone number of its country has")


def extension_of(text: str, region: str = "US") -> str:
    """The extension part of a number (`+1 415 555 0123 ext. 12` → `12`), or ``""``."""
    import phonenumbers  # on first use: the window's start does not pay its ~50 ms

    try:
        parsed = phonenumbers.parse(text.strip(), region.upper())
    except phonenumbers.NumberParseException:
        return ""
    return parsed.extension or ""


def clean_extension(text: str) -> str:
    """An extension as dialled: its digits (and `*`, `#`), at most 20; "" when it has none."""
    return "".join(ch for ch in text if (ch.isdigit() and ch.isascii()) or ch in "*#")[:20]


def with_extension(e164: str, extension: str = "") -> str:
    """A number as logged: `+12125550115`, or `+12125550115;ext=571` with its extension
    (the RFC 3966 `ext` parameter, so the extension is never lost and stays machine-readable)."""
    return f"{e164};ext={extension}" if extension else e164


def pretty_with_extension(e164: str, extension: str = "") -> str:
    """`+1 212-555-0115 ext. 571` for display."""
    return f"{pretty(e164)} ext. {extension}" if extension else pretty(e164)


def pretty(e164: str) -> str:
    """An E.164 number in international format for display (`+1 415-555-0123`)."""
    import phonenumbers  # on first use: the window's start does not pay its ~50 ms

    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(number: str) -> str:
    """A number safe for logs: all but the last two digits hidden (`+1*******23`)."""
    digits = [i for i, ch in enumerate(number) if ch.isdigit()]
    keep = set(digits[-2:]) | ({digits[0]} if number.startswith("+") and digits else set())
    return "".join(ch if (not ch.isdigit() or i in keep) else "*" for i, ch in enumerate(number))
