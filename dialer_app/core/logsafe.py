"""A logging filter that keeps tokens, secrets, full phone numbers and email addresses out of
every log line.

Installed on the app's log handlers, so it covers third-party loggers too (httpx logs each
request URL at INFO, which would otherwise carry `filter[number]=+1415…` or
`filter[emails]=jane%40acme.com`). Phone numbers are caught in international form (`+44 20…`,
`%2B44…`), as bare runs of 7 or more digits, and in the national forms people write (`(415)
555-0123`, `020 7946 0000`, `01 99 00 12 34`, `415.555.0123`): 7 to 15 digits in groups. Dates,
times, dotted versions and IPv4 addresses, ports, decimals and ids in URL paths are left alone.
"""

from __future__ import annotations

import logging
import re

from .phone import mask

_SECRET_PARAMS = re.compile(
    r"(?i)\b(access_token|refresh_token|client_secret|code|state|token)"
    r"(\"?\s*[=:]\s*\"?|%3D)([^&\s\"',;]+)"
)
_BEARER = re.compile(r"(?i)(bearer\s+)([^\s\"',;]+)")
_PREFIXED = re.compile(r"\bsbx_(?:at|rt|code)_[A-Za-z0-9_-]+")
_INTERNATIONAL = re.compile(r"(?:\+|%2B)\d[\d\s().-]{5,}\d")
_BARE = re.compile(r"(?<![\w%/.-])\d{7,}(?![\w/-]|\.\d)")
# A run of digit groups: separators are spaces, dots, dashes, parentheses (also URL-encoded);
# not glued to a word, a decimal, a time, a path, an escape, an address or a UUID's next group
# (30433819-7096-d20f-…); at most 40 long.
_SEP = r"(?:[ ().\-]|%20|%28|%29)"
_UUID_GROUP = r"-[0-9a-fA-F]{4}-"  # what follows a UUID's first (or second) group
_NATIONAL = re.compile(
    rf"(?<![\w.:/%+\-@])(?:\(|%28)?\d(?:\d|{_SEP}){{0,40}}\d(?![\w:]|[.\-]\d|{_UUID_GROUP})"
)
_DATE = re.compile(r"\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2\d{4}")
_DIGITS = re.compile(r"\d+")
_EMAIL = re.compile(r"(?i)(?<![\w.+-])[\w.+-]+(@|%40)([\w-]+(?:\.[\w-]+)*\.[a-z]{2,})\b")
HIDDEN = "[hidden]"


def _national(run: str) -> str:
    """`run` masked if it is a phone number written in a national form, else as it was."""
    if "%" in run:
        run = run.replace("%20", " ").replace("%28", "(").replace("%29", ")")
    groups = _DIGITS.findall(run)
    digits = sum(map(len, groups))
    if len(groups) < 2 or digits < 7:
        return run  # a bare run is the next pass's to judge; shorter ones are not numbers
    date = _DATE.match(run)
    if digits > 15 or date is not None:  # perhaps a date (or more) before a number
        head, space, tail = run.partition(" ")
        return head + space + _national(tail) if space else run
    separators = set(_DIGITS.sub("", run))
    if separators == {"."}:  # dotted: 415.555.0123, not 6.11.2, 0.123, 10.0.19045, 192.168.1.20
        if len(groups) < 3 or any(not 2 <= len(g) <= 4 for g in groups):
            return run
        if len(groups) == 4 and all(len(g) <= 3 for g in groups):
            return run
    return mask(run)


def redact(text: str) -> str:
    """`text` with secrets replaced by `[hidden]`, phone numbers masked but their last two
    digits, and the part of an email address before the @ hidden."""
    text = _BEARER.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _SECRET_PARAMS.sub(lambda m: m.group(1) + m.group(2) + HIDDEN, text)
    text = _PREFIXED.sub(HIDDEN, text)
    text = _EMAIL.sub(lambda m: HIDDEN + m.group(1) + m.group(2), text)
    text = _INTERNATIONAL.sub(lambda m: mask(m.group(0).replace("%2B", "+")), text)
    text = _NATIONAL.sub(lambda m: _national(m.group(0)), text)
    return _BARE.sub(lambda m: mask(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and exception text) through `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> None:
    """Put the filter on every handler of `logger` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
