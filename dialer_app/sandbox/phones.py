"""Building unique phone numbers that `phonenumbers` accepts as valid for their country."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumber, PhoneNumberFormat

MAX_ATTEMPTS = 200


class PhoneNumberFactory:
    """Draws numbers from national patterns (`N` = 2–9, `X` = 0–9), never the same one twice."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def _digits(self, pattern: str) -> str:
        rng = self._rng
        head = pattern.rstrip("X")
        tail = len(pattern) - len(head)
        digits = "".join(str(rng.randint(2, 9)) if c == "N" else c for c in head)
        return digits + str(rng.randrange(10**tail)).zfill(tail) if tail else digits

    def draw(self, region: str, pattern: str) -> PhoneNumber:
        """A new valid number of `region` (ISO country code) matching `pattern`."""
        country_code = phonenumbers.country_code_for_region(region)
        for _ in range(MAX_ATTEMPTS):
            number = PhoneNumber(
                country_code=country_code, national_number=int(self._digits(pattern))
            )
            e164 = e164_of(number)
            if e164 not in self._used and phonenumbers.is_valid_number_for_region(number, region):
                self._used.add(e164)
                return number
        raise ValueError(f"pattern {pattern!r} of {region} yields no new valid number")


def e164_of(number: PhoneNumber) -> str:
    return f"+{number.country_code}{number.national_number}"


class Formatter:
    """Writes numbers as people do, `(212) 555-0123` or `+1 212-555-0123`, fast.

    `phonenumbers` picks a layout from the country, the length and the leading digits; the layout
    is learnt once per (country, length, first four digits) and then filled with the digits.
    """

    def __init__(self) -> None:
        self._layouts: dict[tuple[int, int, str, int], str | None] = {}

    def format(self, number: PhoneNumber, style: int) -> str:
        nsn = str(number.national_number)
        key = (number.country_code, len(nsn), nsn[:4], style)
        if key not in self._layouts:
            self._layouts[key] = _layout(phonenumbers.format_number(number, style), nsn)
        layout = self._layouts[key]
        if layout is None:
            return phonenumbers.format_number(number, style)
        digits = iter(nsn)
        return "".join(next(digits) if c == "#" else c for c in layout)

    def national(self, number: PhoneNumber) -> str:
        return self.format(number, PhoneNumberFormat.NATIONAL)

    def international(self, number: PhoneNumber) -> str:
        return self.format(number, PhoneNumberFormat.INTERNATIONAL)


def _layout(formatted: str, nsn: str) -> str | None:
    """`(212) 555-0123` for 2125550123 → `(###) ###-####`; None if the digits do not line up."""
    out: list[str] = []
    pending = list(nsn)
    for char in reversed(formatted):
        if pending and char.isdigit():
            if char != pending.pop():
                return None
            out.append("#")
        else:
            out.append(char)
    return None if pending else "".join(reversed(out))
