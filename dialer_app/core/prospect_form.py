"""The "Create prospect" form, checked: what the rep typed for a caller nobody knew, as the
prospect and the number the outbox will create, or a message per field saying what is wrong.

Nothing here sends anything: `check_prospect_form` turns the form into a `ProspectPlan` (the
`NewProspect` body with the operation's reference, and the number in E.164 with its extension
and type) or raises `FormErrors`, whose `errors` map each form field to one message.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .phone import PhoneNumberError, clean_extension, extension_of, to_e164
from .terms import SHORT_TEXT_MAX
from .text import neutralise

if TYPE_CHECKING:
    from .outreach.bodies import NewProspect

# Number types as Outreach's `phoneNumber.phoneType` names them, with the words the form shows.
PHONE_TYPE_LABELS = {
    "work": "Work",
    "mobile": "Mobile",
    "home": "Home",
    "voip": "VoIP",
    "other": "Other",
}
FIELDS = ("first_name", "last_name", "company", "title", "number", "phone_type")
COMPANY_MAX = 1_000  # the spec sets no limit on `company`; a line a rep types fits in this


@dataclass(frozen=True, slots=True)
class ProspectForm:
    """The form as the rep left it (text as typed)."""

    first_name: str = ""
    last_name: str = ""
    company: str = ""
    title: str = ""
    number: str = ""
    phone_type: str = "work"


@dataclass(frozen=True, slots=True)
class ProspectPlan:
    """What the outbox will do: create `prospect`, then add `number` to them (when there is
    one)."""

    prospect: NewProspect
    number: str = ""  # E.164, "" for none
    extension: str = ""
    phone_type: str = "work"
    raw_number: str = ""  # as the rep typed it

    @property
    def name(self) -> str:
        first, last = self.prospect.firstName or "", self.prospect.lastName or ""
        return f"{first} {last}".strip()


class FormErrors(ValueError):
    """The form cannot become a prospect; `errors` maps each field at fault to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def tidy(text: str) -> str:
    """A field as it is sent: bidi and other control characters gone, blanks collapsed."""
    kept = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in neutralise(text))
    return " ".join(kept.split())


# The form's fields under the names Outreach's 422 (and `NewProspect`) give them.
_BY_POINTER = {
    "/data/attributes/firstName": "first_name",
    "/data/attributes/lastName": "last_name",
    "/data/attributes/title": "title",
    "/data/attributes/company": "company",
}


def field_of(pointer: str) -> str | None:
    """The form field a JSON pointer of Outreach's (or of `NewProspect`) is about."""
    return _BY_POINTER.get(pointer)


def check_prospect_form(form: ProspectForm, *, ref: str, region: str = "US") -> ProspectPlan:
    """The plan for this form, or `FormErrors` naming every field at fault. `ref` is the id of
    the outbox operation that will create the prospect (sent as its `externalId`)."""
    from .outreach.bodies import BodyError, NewProspect  # pydantic: loaded when a form is sent

    errors: dict[str, str] = {}
    values = {name: tidy(getattr(form, name)) for name in FIELDS}
    if not values["first_name"] and not values["last_name"]:
        errors["first_name"] = "Enter a first or a last name."
    for name, what in (("first_name", "A first name"), ("last_name", "A last name")):
        if len(values[name]) > SHORT_TEXT_MAX:
            errors[name] = f"{what} has at most {SHORT_TEXT_MAX} characters."
    if len(values["title"]) > SHORT_TEXT_MAX:
        errors["title"] = f"A title has at most {SHORT_TEXT_MAX} characters."
    if len(values["company"]) > COMPANY_MAX:
        errors["company"] = f"A company name has at most {COMPANY_MAX:,} characters."
    phone_type = form.phone_type if form.phone_type in PHONE_TYPE_LABELS else ""
    if not phone_type:
        errors["phone_type"] = "Pick work, mobile, home, VoIP or other."
    number = extension = ""
    raw = form.number.strip()
    if raw:
        try:
            number = to_e164(raw, region)
        except PhoneNumberError as exc:
            errors["number"] = str(exc)
        else:
            extension = clean_extension(extension_of(raw, region))
    prospect = None
    try:
        prospect = NewProspect.make(
            firstName=values["first_name"] or None,
            lastName=values["last_name"] or None,
            title=values["title"] or None,
            company=values["company"] or None,
            ref=ref,
        )
    except BodyError as exc:
        for err in exc.errors:
            name = field_of(err.pointer) or "first_name"
            errors.setdefault(name, err.message)
    if errors or prospect is None:
        raise FormErrors(errors or {"first_name": "This prospect cannot be created."})
    return ProspectPlan(
        prospect=prospect,
        number=number,
        extension=extension,
        phone_type=phone_type,
        raw_number=raw if number else "",
    )
