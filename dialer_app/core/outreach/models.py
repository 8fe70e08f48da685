"""Typed views of the Outreach resources the app reads (prospects, numbers, dispositions, …)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # read from a Resource, built without pydantic: the window imports these
    from ..jsonapi import Resource


# What this app writes into `phoneNumber.status` (free text in the spec): "bad" marks a number a
# rep found wrong or dead (the card stops offering it); None clears it.
BAD_NUMBER = "bad"


def _text(attrs: dict[str, Any], name: str) -> str:
    value = attrs.get(name)
    return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class User:
    """The signed-in rep."""

    id: int
    email: str
    first_name: str
    last_name: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


@dataclass(frozen=True, slots=True)
class PhoneNumber:
    """One of a prospect's numbers, in E.164."""

    id: int
    number: str
    phone_type: str = ""
    extension: str = ""
    status: str = ""

    @property
    def is_bad(self) -> bool:
        """Marked as a wrong or dead number (`status` "bad")."""
        return self.status == BAD_NUMBER

    @classmethod
    def from_resource(cls, res: Resource) -> PhoneNumber:
        a = res.attributes
        return cls(
            id=res.id,
            number=_text(a, "number"),
            phone_type=_text(a, "phoneType"),
            extension=_text(a, "extension"),
            status=_text(a, "status"),
        )


@dataclass(frozen=True, slots=True)
class Prospect:
    """A prospect as the lookup and the card show it."""

    id: int
    first_name: str
    last_name: str
    title: str = ""
    company: str = ""
    emails: tuple[str, ...] = ()
    time_zone: str = ""
    call_opted_out: bool = False
    phone_numbers: tuple[PhoneNumber, ...] = field(default=())

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or f"Prospect {self.id}"

    @classmethod
    def from_resource(cls, res: Resource, phone_numbers: tuple[PhoneNumber, ...] = ()) -> Prospect:
        a = res.attributes
        emails = a.get("emails")
        return cls(
            id=res.id,
            first_name=_text(a, "firstName"),
            last_name=_text(a, "lastName"),
            title=_text(a, "title"),
            company=_text(a, "company"),
            emails=tuple(e for e in emails if isinstance(e, str))
            if isinstance(emails, list)
            else (),
            time_zone=_text(a, "timeZone"),
            call_opted_out=a.get("callOptedOut") is True,
            phone_numbers=phone_numbers,
        )


@dataclass(frozen=True, slots=True)
class Match:
    """A lookup result: the prospect and why it matched (`name`, `email`, `phone +1…`)."""

    prospect: Prospect
    reason: str


# A disposition's `outcome` as orgs spell it: Outreach's docs say `Answered` / `Not Answered`,
# a real org answered `completed` / `no_answer`. Compared lower-case, `_` and `-` as blanks.
_ANSWERED = frozenset({"answered", "completed", "connected"})
_NOT_ANSWERED = frozenset({"not answered", "no answer", "unanswered", "not connected"})


def call_outcome(disposition_outcome: str) -> str:
    """The call `outcome` (`Answered` / `Not Answered`) a disposition's outcome means, in either
    vocabulary; "" when it says nothing the app knows (the call's times decide then)."""
    word = " ".join(disposition_outcome.lower().replace("_", " ").replace("-", " ").split())
    if word in _ANSWERED:
        return "Answered"
    if word in _NOT_ANSWERED:
        return "Not Answered"
    return ""


@dataclass(frozen=True, slots=True)
class Disposition:
    """A call disposition of the org (ids are per organisation)."""

    id: int
    name: str
    order: int
    outcome: str = ""  # as the org spells it: see `call_outcome`

    @property
    def call_outcome(self) -> str:
        """`Answered`, `Not Answered`, or "" when the org's word for it is unknown."""
        return call_outcome(self.outcome)

    @classmethod
    def from_resource(cls, res: Resource) -> Disposition:
        a = res.attributes
        order = a.get("order")
        return cls(
            id=res.id,
            name=_text(a, "name"),
            order=order if isinstance(order, int) else 0,
            outcome=_text(a, "outcome"),
        )


@dataclass(frozen=True, slots=True)
class Purpose:
    """A call purpose of the org."""

    id: int
    name: str
    order: int

    @classmethod
    def from_resource(cls, res: Resource) -> Purpose:
        a = res.attributes
        order = a.get("order")
        return cls(id=res.id, name=_text(a, "name"), order=order if isinstance(order, int) else 0)
