"""Reading the sandbox over HTTP: the current user, prospects, phone numbers, reference data."""

from __future__ import annotations

from typing import Any

import httpx
import phonenumbers
import pytest

from tests.sandbox.conftest import Validate

JSONAPI = "application/vnd.api+json"


def _data(response: httpx.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    return response.json()["data"]


def _first_prospect(api: httpx.Client) -> dict[str, Any]:
    return _data(api.get("/prospects", params={"page[size]": 1}))[0]


def test_root_names_the_tokens_user(api: httpx.Client) -> None:
    response = api.get("")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSONAPI
    assert response.json() == {
        "meta": {
            "user": {
                "id": 1,
                "email": "alex.morgan@dialer-demo.example",
                "firstName": "Alex",
                "lastName": "Morgan",
            }
        }
    }


def test_a_prospect_has_the_fields_the_card_shows(api: httpx.Client, validate: Validate) -> None:
    prospect = _data(api.get("/prospects/1"))
    validate("prospectResponse", prospect)
    assert prospect["type"] == "prospect"
    assert prospect["id"] == 1
    attrs, rels = prospect["attributes"], prospect["relationships"]
    for key in ("firstName", "lastName", "name", "title", "company", "emails", "timeZone", "tags"):
        assert attrs[key] is not None, key
    assert isinstance(attrs["callOptedOut"], bool)
    assert attrs["name"] == f"{attrs['firstName']} {attrs['lastName']}"
    assert rels["account"]["data"]["type"] == "account"
    assert rels["owner"]["data"]["type"] == "user"
    phones = rels["phoneNumbers"]["data"]
    assert phones
    assert all(p["type"] == "phoneNumber" and isinstance(p["id"], int) for p in phones)
    assert isinstance(rels["activeSequenceStates"]["data"], list)


@pytest.mark.parametrize("field", ["firstName", "lastName"])
def test_name_filters_match_exactly_ignoring_case(api: httpx.Client, field: str) -> None:
    value = _first_prospect(api)["attributes"][field]
    found = _data(api.get("/prospects", params={f"filter[{field}]": value.upper()}))
    assert found
    assert all(p["attributes"][field] == value for p in found)
    assert _data(api.get("/prospects", params={f"filter[{field}]": value[:-1]})) == []


def test_email_filter_matches_any_email_ignoring_case(api: httpx.Client) -> None:
    with_two = _data(api.get("/prospects", params={"page[size]": 300}))
    prospect = next(p for p in with_two if len(p["attributes"]["emails"]) > 1)
    for email in prospect["attributes"]["emails"]:
        found = _data(api.get("/prospects", params={"filter[emails]": email.upper()}))
        assert [p["id"] for p in found] == [prospect["id"]]


def test_id_and_account_filters(api: httpx.Client) -> None:
    found = _data(api.get("/prospects", params={"filter[id]": "3,1,2"}))
    assert [p["id"] for p in found] == [1, 2, 3]
    account_id = _first_prospect(api)["relationships"]["account"]["data"]["id"]
    colleagues = _data(api.get("/prospects", params={"filter[account][id]": account_id}))
    assert colleagues
    assert {p["relationships"]["account"]["data"]["id"] for p in colleagues} == {account_id}


def test_phone_lookup_by_e164_includes_the_prospect(api: httpx.Client, validate: Validate) -> None:
    prospect = _first_prospect(api)
    number = prospect["attributes"]["mobilePhones"] or prospect["attributes"]["workPhones"]
    response = api.get("/phoneNumbers", params={"filter[number]": number[0], "include": "prospect"})
    phones = _data(response)
    assert phones
    for phone in phones:
        validate("phoneNumberResponse", phone)
        attrs = phone["attributes"]
        assert attrs["number"] == number[0]
        assert attrs["phoneType"] in {"mobile", "work", "home", "voip", "other"}
        parsed = phonenumbers.parse(attrs["number"])
        assert phonenumbers.is_valid_number(parsed)
        assert phonenumbers.region_code_for_number(parsed) == attrs["countryCode"]
    included = response.json()["included"]
    assert prospect["id"] in {p["id"] for p in included}
    assert all(p["type"] == "prospect" for p in included)


def test_a_company_main_line_finds_several_prospects(api: httpx.Client) -> None:
    phones = _data(
        api.get("/phoneNumbers", params={"filter[phoneType]": "work", "page[size]": 500})
    )
    counts: dict[str, int] = {}
    for phone in phones:
        counts[phone["attributes"]["number"]] = counts.get(phone["attributes"]["number"], 0) + 1
    shared = max(counts, key=lambda n: counts[n])
    assert counts[shared] >= 2
    found = api.get("/phoneNumbers", params={"filter[number]": shared, "include": "prospect"})
    assert len(found.json()["included"]) == counts[shared]
    extensions = [p["attributes"]["extension"] for p in phones if p["attributes"]["extension"]]
    assert extensions


def test_phone_numbers_of_a_prospect_in_order(api: httpx.Client) -> None:
    prospect = _first_prospect(api)
    phones = _data(api.get("/phoneNumbers", params={"filter[prospect][id]": prospect["id"]}))
    linked = [p["id"] for p in prospect["relationships"]["phoneNumbers"]["data"]]
    assert sorted(p["id"] for p in phones) == sorted(linked)
    assert [
        p["attributes"]["order"] for p in sorted(phones, key=lambda p: linked.index(p["id"]))
    ] == list(range(1, len(phones) + 1))


def test_dispositions_are_a_real_orgs_defaults(api: httpx.Client, validate: Validate) -> None:
    items = _data(api.get("/callDispositions"))
    for item in items:
        validate("callDispositionResponse", item)
    assert [d["attributes"]["name"] for d in items] == [
        "Answered - Meeting Set",
        "Answered - Not Interested",
        "Answered - Wrong Contact",
        "Answered - Call Back Later",
        "No Answer",
        "Left Voicemail",
        "Bad Number",
        "Gatekeeper",
    ]
    assert [d["attributes"]["order"] for d in items] == list(range(1, 9))
    assert {d["attributes"]["outcome"] for d in items} == {"Answered", "Not Answered"}


def test_purposes(api: httpx.Client, validate: Validate) -> None:
    items = _data(api.get("/callPurposes"))
    for item in items:
        validate("callPurposeResponse", item)
    names = [p["attributes"]["name"] for p in items]
    assert names == ["Prospecting", "Follow-up", "Meeting Confirmation", "Discovery", "Renewal"]


@pytest.mark.parametrize(
    ("path", "schema"),
    [
        ("/users", "userResponse"),
        ("/accounts", "accountResponse"),
        ("/sequences", "sequenceResponse"),
        ("/sequenceSteps", "sequenceStepResponse"),
        ("/sequenceStates", "sequenceStateResponse"),
        ("/tasks", "taskResponse"),
        ("/prospects", "prospectResponse"),
        ("/phoneNumbers", "phoneNumberResponse"),
        ("/calls", "callResponse"),
    ],
)
def test_every_list_and_member_fits_outreachs_schema(
    api: httpx.Client, validate: Validate, path: str, schema: str
) -> None:
    items = _data(api.get(path, params={"page[size]": 100}))
    assert items
    for item in items:
        validate(schema, item)
    one = _data(api.get(f"{path}/{items[0]['id']}"))
    assert one == items[0]


def test_sequence_states_include_sequence_and_step(api: httpx.Client) -> None:
    prospect = next(
        p
        for p in _data(api.get("/prospects", params={"page[size]": 300}))
        if p["relationships"]["activeSequenceStates"]["data"]
    )
    response = api.get(
        "/sequenceStates",
        params={"filter[prospect][id]": prospect["id"], "include": "sequence,sequenceStep"},
    )
    states = _data(response)
    assert any(s["attributes"]["state"] == "active" for s in states)
    included = {(r["type"], r["id"]) for r in response.json()["included"]}
    for state in states:
        rels = state["relationships"]
        assert ("sequence", rels["sequence"]["data"]["id"]) in included
        assert ("sequenceStep", rels["sequenceStep"]["data"]["id"]) in included


def test_sequences_have_call_steps(api: httpx.Client) -> None:
    sequences = _data(api.get("/sequences"))
    assert len(sequences) >= 2
    calls = _data(api.get("/sequenceSteps", params={"filter[stepType]": "call"}))
    assert {s["relationships"]["sequence"]["data"]["id"] for s in calls} >= {
        s["id"] for s in sequences[:2]
    }


def test_open_call_tasks_of_a_prospect(api: httpx.Client) -> None:
    tasks = _data(
        api.get(
            "/tasks",
            params={
                "filter[state]": "incomplete",
                "filter[taskType]": "sequence_step_call",
                "page[size]": 5,
            },
        )
    )
    assert tasks
    task = tasks[0]
    pid = task["relationships"]["prospect"]["data"]["id"]
    mine = _data(
        api.get(
            "/tasks",
            params={
                "filter[prospect][id]": pid,
                "filter[state]": "incomplete",
                "filter[taskType]": "sequence_step_call",
            },
        )
    )
    assert task["id"] in {t["id"] for t in mine}
    assert all(t["attributes"]["taskType"] == "sequence_step_call" for t in mine)


def test_sparse_fieldsets_trim_attributes_and_relationships(api: httpx.Client) -> None:
    prospect = _data(
        api.get("/prospects/1", params={"fields[prospect]": "firstName,company,account"})
    )
    assert set(prospect["attributes"]) == {"firstName", "company"}
    assert set(prospect["relationships"]) == {"account"}


def test_sparse_fieldsets_apply_to_included(api: httpx.Client) -> None:
    response = api.get(
        "/phoneNumbers",
        params={
            "page[size]": 3,
            "include": "prospect",
            "fields[phoneNumber]": "number",
            "fields[prospect]": "lastName",
        },
    )
    assert all(set(p["attributes"]) == {"number"} for p in _data(response))
    assert all(set(p["attributes"]) == {"lastName"} for p in response.json()["included"])
