"""Text from outside (Outreach, a file, a link, the softphone) made safe to show.

The window shows such text as plain text only (never Qt rich text: see `ui/text.py`); here it
also loses what could make it lie about itself:

- bidi controls (embeddings, overrides, isolates, marks: U+202A–U+202E, U+2066–U+2069,
  U+200E, U+200F, U+061C) are removed, so a title typed as "CFO", U+202E, ")llac ton od(" cannot
  be drawn reversed as "CFO )do not call(". Right-to-left names need none of them: the Unicode
  bidi algorithm orders Arabic or Hebrew letters by itself.
- In a one-line name, line breaks, tabs and other control characters become spaces (a name
  cannot push a forged line under itself), and overlong text is cut with "…".
- `isolate` wraps right-to-left text in first-strong isolates (U+2068 … U+2069) where it is put
  into a sentence of the app's own, so it cannot reorder the words around it.
"""

from __future__ import annotations

import re
import unicodedata

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_DROP = dict.fromkeys(map(ord, BIDI_CONTROLS))
LINE_BREAKS = frozenset("\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029")
# Control characters (Unicode category Cc: U+0000–U+001F, U+007F–U+009F) and line breaks become
# spaces, bidi controls go: one `str.translate`, and only for text that holds any (names are
# drawn keystroke after keystroke; nearly all hold none).
_ONE_LINE: dict[int, str | None] = {
    **dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), *map(ord, LINE_BREAKS)], " "),
    **_DROP,
}
_ANY_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_ANY_UNSAFE = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(_ONE_LINE)) + "]")
MAX_NAME = 300
FSI, PDI = "\u2068", "\u2069"


def neutralise(text: str) -> str:
    """`text` without bidi control characters (multi-line text keeps its lines)."""
    return text.translate(_DROP) if _ANY_BIDI.search(text) else text


def one_line(text: str, limit: int | None = MAX_NAME) -> str:
    """A name or a label from outside: bidi controls removed, line breaks and other control
    characters turned into spaces, at most `limit` characters (cut with "…"; None: not cut)."""
    out = text.translate(_ONE_LINE) if _ANY_UNSAFE.search(text) else text
    return out if limit is None or len(out) <= limit else out[: limit - 1] + "…"


def is_rtl(text: str) -> bool:
    """Whether `text` holds a right-to-left letter (Hebrew, Arabic, Syriac, Thaana, N'Ko…)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def isolate(text: str) -> str:
    """`one_line(text)`, isolated when it is right-to-left, for a sentence of the app's own."""
    out = one_line(text)
    return f"{FSI}{out}{PDI}" if is_rtl(out) else out
