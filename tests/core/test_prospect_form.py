"""The "Create prospect" form: whatever a rep types becomes a valid prospect and number, or a
message next to each field at fault — never an exception, never a body Outreach would refuse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core.outreach.bodies import APP_NAME
from dialer_app.core.prospect_form import (
    FIELDS,
    PHONE_TYPE_LABELS,
    FormErrors,
    ProspectForm,
    check_prospect_form,
)
from dialer_app.core.terms import SHORT_TEXT_MAX
from dialer_app.core.text import BIDI_CONTROLS
from tests.support.openapi import read_only, request_schema, validator


def test_a_caller_becomes_a_prospect_and_a_number() -> None:
    form = ProspectForm(
        first_name="  Dev ",
        last_name="Patel",
        company="Acme Ltd",
        title="Head of Procurement",
        number="(212) 555-0199 ext. 42",
        phone_type="mobile",
    )
    plan = check_prospect_form(form, ref="op-1", region="US")
    assert plan.name == "Dev Patel"
    assert (plan.number, plan.extension, plan.phone_type) == ("+12125550199", "42", "mobile")
    attributes = plan.prospect.to_document()["data"]["attributes"]
    assert attributes == {
        "firstName": "Dev",
        "lastName": "Patel",
        "title": "Head of Procurement",
        "company": "Acme Ltd",
        "externalId": "op-1",
        "externalSource": APP_NAME,
    }


def test_a_prospect_without_a_number_is_allowed() -> None:
    plan = check_prospect_form(ProspectForm(last_name="Okafor"), ref="op-2")
    assert plan.number == ""
    assert plan.name == "Okafor"


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        (ProspectForm(), {"first_name"}),
        (ProspectForm(first_name="  ", last_name="\t"), {"first_name"}),
        (ProspectForm(first_name="A", number="12"), {"number"}),
        (ProspectForm(first_name="A", number="not a number"), {"number"}),
        (ProspectForm(first_name="A", phone_type="fax"), {"phone_type"}),
        (ProspectForm(first_name="x" * 256, title="t" * 256), {"first_name", "title"}),
        (ProspectForm(last_name="y" * 256, company="c" * 1001), {"last_name", "company"}),
    ],
)
def test_what_is_wrong_is_said_next_to_its_field(form: ProspectForm, fields: set[str]) -> None:
    with pytest.raises(FormErrors) as refused:
        check_prospect_form(form, ref="op-3")
    assert set(refused.value.errors) == fields
    assert all(refused.value.errors.values())


TEXT = st.text(max_size=300) | st.sampled_from(
    ["", " ", "Dev", "\u202eevil", "a\nb", "x" * 255, "+1 212 555 0199", "0044 20 7946 0958"]
)


@settings(max_examples=300, deadline=None)
@given(
    first=TEXT,
    last=TEXT,
    company=TEXT,
    title=TEXT,
    number=TEXT,
    phone_type=st.sampled_from([*PHONE_TYPE_LABELS, "", "fax"]),
    region=st.sampled_from(["US", "DE", "GB"]),
)
def test_any_input_gives_a_valid_body_or_field_errors(
    first: str, last: str, company: str, title: str, number: str, phone_type: str, region: str
) -> None:
    form = ProspectForm(first, last, company, title, number, phone_type)
    try:
        plan = check_prospect_form(form, ref="op-4", region=region)
    except FormErrors as exc:
        refused = exc.errors
    else:
        refused = None
    if refused is not None:
        assert refused
        assert set(refused) <= set(FIELDS)
        assert all(isinstance(m, str) and m for m in refused.values())
        return
    document = plan.prospect.to_document()
    validator(request_schema("/prospects", "post")).validate(document)
    assert not set(document["data"]["attributes"]) & read_only("prospect")
    attributes = document["data"]["attributes"]
    assert attributes.get("firstName") or attributes.get("lastName")
    for name in ("firstName", "lastName", "title"):
        value = attributes.get(name)
        assert value is None or (0 < len(value) <= SHORT_TEXT_MAX)
    for value in attributes.values():
        assert not set(str(value)) & BIDI_CONTROLS
        assert "\n" not in str(value)
    if number.strip():
        assert plan.number.startswith("+")
    else:
        assert plan.number == ""
