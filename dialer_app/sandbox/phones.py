"""Building phone numbers from small reserved ranges: unique while a range lasts, then reused.

A draw names a pattern and fallbacks. The factory draws from the first pattern that still has
unused numbers (a pattern counts as used up after `MISSES` draws in a row hit used or invalid
numbers); once all are used up, it hands out numbers of any of them again, so a number may then
belong to several prospects (as a shared line does). Numbers are checked with
`phonenumbers` unless their pattern is listed as unchecked (a reserved range that its metadata
leaves out, such as the UK's drama mobiles).
"""

from __future__ import annotations

import random
import re

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat

MAX_ATTEMPTS = 200
MISSES = 30  # draws in a row that found nothing new: the pattern is used up


class _Dialable:
    """Is a national number a fixed-line or mobile number of one region? (`phonenumbers` data.)

    The same test `phonenumbers.is_valid_number` makes for those two types, precompiled: the
    number must fit the region's general pattern and the fixed-line or the mobile one.
    """

    def __init__(self, region: str) -> None:
        metadata = PhoneMetadata.metadata_for_region(region)
        if metadata is None:
            raise ValueError(f"phonenumbers knows no region {region!r}")
        self._descs = [
            (re.compile(d.national_number_pattern), frozenset(d.possible_length or ()))
            for d in (metadata.general_desc, metadata.fixed_line, metadata.mobile)
            if d is not None and d.national_number_pattern
        ]

    def _fits(self, index: int, nsn: str) -> bool:
        pattern, lengths = self._descs[index]
        return (not lengths or len(nsn) in lengths) and pattern.fullmatch(nsn) is not None

    def __call__(self, nsn: str) -> bool:
        return self._fits(0, nsn) and any(self._fits(i, nsn) for i in range(1, len(self._descs)))


class PhoneNumberFactory:
    """Draws numbers from national patterns (`N` = 2–9, `X` = 0–9), new ones while they last."""

    def __init__(self, rng: random.Random, unchecked: frozenset[str] = frozenset()) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._checks: dict[str, _Dialable] = {}
        self._unchecked = unchecked
        self._used_up: set[tuple[str, str]] = set()

    def _digits(self, pattern: str) -> str:
        rng = self._rng
        head = pattern.rstrip("X")
        tail = len(pattern) - len(head)
        digits = "".join(
            str(rng.randint(2, 9)) if c == "N" else str(rng.randrange(10)) if c == "X" else c
            for c in head
        )
        return digits + str(rng.randrange(10**tail)).zfill(tail) if tail else digits

    def draw(self, region: str, pattern: str, fallbacks: tuple[str, ...] = ()) -> PhoneNumber:
        """A number of `region` (ISO country code): new from the first pattern not used up."""
        country_code = phonenumbers.country_code_for_region(region)
        dialable = self._checks.get(region)
        if dialable is None:
            dialable = self._checks[region] = _Dialable(region)
        chain = (pattern, *fallbacks)
        for candidate in chain:
            if (region, candidate) in self._used_up:
                continue
            for _ in range(MISSES):
                nsn = self._digits(candidate).lstrip("0")
                e164 = f"+{country_code}{nsn}"
                if e164 not in self._used and (candidate in self._unchecked or dialable(nsn)):
                    self._used.add(e164)
                    return PhoneNumber(country_code=country_code, national_number=int(nsn))
            self._used_up.add((region, candidate))
        for _ in range(MAX_ATTEMPTS):  # every pattern is used up: hand out a number again
            again = self._rng.choice(chain)
            nsn = self._digits(again).lstrip("0")
            if again in self._unchecked or dialable(nsn):
                return PhoneNumber(country_code=country_code, national_number=int(nsn))
        raise ValueError(f"the patterns {chain!r} of {region} yield no valid number")


def e164_of(number: PhoneNumber) -> str:
    return f"+{number.country_code}{number.national_number}"


class Formatter:
    """Writes numbers as people do, `(212) 555-0123` or `+1 212-555-0123`, fast.

    `phonenumbers` picks a layout from the country, the length and the leading digits; the layout
    is learnt once per (country, length, first four digits) and then filled with the digits.
    """

    def __init__(self) -> None:
        self._layouts: dict[tuple[int | None, int, str, int], str | None] = {}

    def format(self, number: PhoneNumber, style: int) -> str:
        nsn = str(number.national_number)
        key = (number.country_code, len(nsn), nsn[:4], style)
        if key not in self._layouts:
            self._layouts[key] = _layout(phonenumbers.format_number(number, style), nsn)
        layout = self._layouts[key]
        if layout is None:
            return phonenumbers.format_number(number, style)
        return layout.format(*nsn)

    def national(self, number: PhoneNumber) -> str:
        return self.format(number, PhoneNumberFormat.NATIONAL)

    def international(self, number: PhoneNumber) -> str:
        return self.format(number, PhoneNumberFormat.INTERNATIONAL)


def _layout(formatted: str, nsn: str) -> str | None:
    """`(212) 555-0123`, 2125550123 → `({}{}{}) {}{}{}-{}{}{}{}`; None if digits do not line up."""
    out: list[str] = []
    pending = list(nsn)
    for char in reversed(formatted):
        if pending and char.isdigit():
            if char != pending.pop():
                return None
            out.append("{}")
        else:
            out.append(char.replace("{", "{{").replace("}", "}}"))
    return None if pending else "".join(reversed(out))
