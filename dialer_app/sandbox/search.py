"""Search terms for search-as-you-type (`filter[q]`) and the case-insensitive name/email filters.

Each prospect is indexed under these terms, all case-folded (`str.casefold`, so `Strauß` matches
`strauss` and `É` matches `é`) with surrounding blanks removed:

- `first`: the first name; `last`: the last name; `full`: "first last" joined by one space;
- `email`: each of the prospect's email addresses;
- `company`: the company name.

`filter[q]=<text>` returns prospects with ANY term that starts with the folded text (a prefix
match, so `jo` finds "John", "Jones", "jo@x.com" and "Joyce Ltd"; `john sm` finds "John Smith").
`filter[firstName]`, `filter[lastName]` and `filter[emails]` match one kind of term exactly,
ignoring case. Runs of blanks count as one space; a trailing blank is kept, so `john ` finds
"John Smith" but not "Johnson". Blank queries match nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# Strings are compared as UTF-8 bytes; no real character sorts above this one.
_PREFIX_END = "\U0010ffff"


def fold(text: str) -> str:
    """The form terms are stored and looked up in."""
    return " ".join(text.split()).casefold()


def prefix_bounds(text: str) -> tuple[str, str]:
    """`[low, high)` such that every folded term starting with `text` falls inside.

    A trailing blank is kept (as one space): `john ` finds "John Smith" but not "Johnson".
    """
    low = fold(text)
    if low and text[-1:].isspace():
        low += " "
    return low, low + _PREFIX_END


def prospect_terms(attrs: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(kind, term) pairs a prospect is found by."""
    first = fold(str(attrs.get("firstName") or ""))
    last = fold(str(attrs.get("lastName") or ""))
    if first:
        yield "first", first
    if last:
        yield "last", last
    if first and last:
        yield "full", f"{first} {last}"
    for email in attrs.get("emails") or ():
        if email:
            yield "email", fold(str(email))
    company = fold(str(attrs.get("company") or ""))
    if company:
        yield "company", company


TERM_SOURCES = {"prospect": prospect_terms}
