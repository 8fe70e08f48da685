"""Number hygiene on the card: numbers marked bad and "don't call me", shown at once.

A rep who marks a number bad or records an opt-out sees it on the card straight away, before
the outbox has written it to Outreach (and again after the card is read from Outreach while
the write still waits). `Marks` holds what the outbox is writing; `marked` lays it over a
card's data; `offered` orders a prospect's numbers as the card offers them: the good ones
first, each with its Alt+N key, then the bad ones, without a key (dialling one asks first).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from .outreach.models import BAD_NUMBER, PhoneNumber, Prospect

if TYPE_CHECKING:
    from .outreach.detail import ProspectDetail

MAX_NUMBER_KEYS = 9


@dataclass
class Marks:
    """What the outbox is writing about numbers and opt-outs, by the operation doing it:
    `numbers[ref] = (phone id, bad or good again)`, `opt_outs[ref] = (prospect id, opted out)`.
    The latest operation about a number (or prospect) wins."""

    numbers: dict[str, tuple[int, bool]] = field(default_factory=dict)
    opt_outs: dict[str, tuple[int, bool]] = field(default_factory=dict)

    def mark_number(self, ref: str, phone_id: int, bad: bool) -> None:
        self.numbers = {k: v for k, v in self.numbers.items() if v[0] != phone_id}
        self.numbers[ref] = (phone_id, bad)

    def mark_opt_out(self, ref: str, prospect_id: int, opted_out: bool) -> None:
        self.opt_outs = {k: v for k, v in self.opt_outs.items() if v[0] != prospect_id}
        self.opt_outs[ref] = (prospect_id, opted_out)

    def settle(self, ref: str) -> bool:
        """Operation `ref` is over (written, refused or thrown away): the card shows what
        Outreach says again. True when it was one of these."""
        return (self.numbers.pop(ref, None) or self.opt_outs.pop(ref, None)) is not None

    def bad(self, phone_id: int) -> bool | None:
        """Whether the outbox is marking this number bad (True) or good again (False)."""
        return next((bad for pid, bad in self.numbers.values() if pid == phone_id), None)

    def opted_out(self, prospect_id: int) -> bool | None:
        return next((o for pid, o in self.opt_outs.values() if pid == prospect_id), None)

    def pending_about(self, prospect: Prospect) -> bool:
        numbers = {n.id for n in prospect.phone_numbers}
        return self.opted_out(prospect.id) is not None or any(
            pid in numbers for pid, _ in self.numbers.values()
        )


def marked(detail: ProspectDetail, marks: Marks) -> ProspectDetail:
    """The card's data with what the outbox is writing laid over it (the same object when
    nothing is)."""
    prospect = detail.prospect
    if not marks.pending_about(prospect):
        return detail
    numbers = []
    for number in prospect.phone_numbers:
        bad = marks.bad(number.id)
        if bad is not None and bad != number.is_bad:
            number = replace(number, status=BAD_NUMBER if bad else "")
        numbers.append(number)
    opted = marks.opted_out(prospect.id)
    changed = replace(
        prospect,
        phone_numbers=tuple(numbers),
        call_opted_out=prospect.call_opted_out if opted is None else opted,
    )
    return replace(detail, prospect=changed)


@dataclass(frozen=True, slots=True)
class Offered:
    """A number as the card offers it: its Alt+N key (None for a bad number, or past 9)."""

    number: PhoneNumber
    key: int | None

    @property
    def bad(self) -> bool:
        return self.number.is_bad


def offered(numbers: tuple[PhoneNumber, ...] | list[PhoneNumber]) -> list[Offered]:
    """The good numbers in their order, keyed Alt+1…Alt+9, then the bad ones, unkeyed."""
    good = [n for n in numbers if not n.is_bad]
    bad = [n for n in numbers if n.is_bad]
    out = [Offered(n, i if i <= MAX_NUMBER_KEYS else None) for i, n in enumerate(good, start=1)]
    return out + [Offered(n, None) for n in bad]


def by_key(numbers: tuple[PhoneNumber, ...] | list[PhoneNumber], key: int) -> PhoneNumber | None:
    """The number Alt+`key` dials: never a bad one."""
    return next((o.number for o in offered(numbers) if o.key == key), None)
