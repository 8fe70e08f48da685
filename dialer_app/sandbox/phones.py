"""Building unique phone numbers that `phonenumbers` accepts as valid for their country."""

from __future__ import annotations

import random
import re

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumber, PhoneNumberFormat

MAX_ATTEMPTS = 200


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
    """Draws numbers from national patterns (`N` = 2–9, `X` = 0–9), never the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()
        self._checks: dict[str, _Dialable] = {}

    def _digits(self, pattern: str) -> str:
        rng = self._rng
        head = pattern.rstrip("X")
        tail = len(pattern) - len(head)
        digits = "".join(str(rng.randint(2, 9)) if c == "N" else c for c in head)
        return digits + str(rng.randrange(10**tail)).zfill(tail) if tail else digits

    def draw(self, region: str, pattern: str) -> PhoneNumber:
        """A new valid number of `region` (ISO country code) matching `pattern`."""
        country_code = phonenumbers.country_code_for_region(region)
        dialable = self._checks.get(region)
        if dialable is None:
            dialable = self._checks[region] = _Dialable(region)
        for _ in range(MAX_ATTEMPTS):
            nsn = self._digits(pattern).lstrip("0")
            e164 = f"+{country_code}{nsn}"
            if e164 not in self._used and dialable(nsn):
                self._used.add(e164)
                return PhoneNumber(country_code=country_code, national_number=int(nsn))
        raise ValueError(f"pattern {pattern!r} of {region} yields no new valid number")


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
