"""A logging filter that keeps tokens, secrets and full phone numbers out of every log line.

Installed on the app's log handlers, so it covers third-party loggers too (httpx logs each
request URL at INFO, which would otherwise carry `filter[number]=+1415…`).
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
_PHONE = re.compile(r"(?:\+|%2B)\d[\d\s().-]{5,}\d|(?<![\w%])\d{7,}(?!\w)")
HIDDEN = "[hidden]"


def redact(text: str) -> str:
    """`text` with secrets replaced by `[hidden]` and phone numbers masked but their last two."""
    text = _BEARER.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _SECRET_PARAMS.sub(lambda m: m.group(1) + m.group(2) + HIDDEN, text)
    text = _PREFIXED.sub(HIDDEN, text)
    return _PHONE.sub(lambda m: mask(m.group(0).replace("%2B", "+")), text)


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
