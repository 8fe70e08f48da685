"""Reading a request body of name/value pairs: a URL-encoded form, or a flat JSON object."""

from __future__ import annotations

import json
from urllib.parse import parse_qsl

MAX_FORM_BYTES = 16_384


def read_form(body: bytes, content_type: str) -> dict[str, str]:
    """The pairs of `body`; `ValueError` saying why when it is neither form nor flat JSON."""
    if len(body) > MAX_FORM_BYTES:
        raise ValueError(f"the body is larger than {MAX_FORM_BYTES:,} bytes")
    media = content_type.split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError as exc:
            raise ValueError("the form is not UTF-8") from exc
        return dict(pairs)
    if media == "application/json" or media.endswith("+json"):
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ValueError("the body is not valid JSON") from exc
        if not isinstance(document, dict) or not all(
            isinstance(v, str | int) and not isinstance(v, bool) for v in document.values()
        ):
            raise ValueError("the JSON body must be an object of strings")
        return {str(k): str(v) for k, v in document.items()}
    raise ValueError("send application/x-www-form-urlencoded (or application/json)")
