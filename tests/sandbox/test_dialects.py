"""The sandbox answers each open question of Outreach's contract either way, and stays in spec.

Every answer of every question is checked for what it changes, and every response under it is
validated against Outreach's `openapi.json`.
"""

from __future__ import annotations

import string
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sandbox.conftest import Validate
from tests.support.dialects import SERVED, put_dialect
from tests.support.sandbox import JSONAPI, SandboxServer

SCHEMAS = {
    "prospect": "prospectResponse",
    "phoneNumber": "phoneNumberResponse",
    "callDisposition": "callDispositionResponse",
    "call": "callResponse",
    "task": "taskResponse",
    "account": "accountResponse",
    "user": "userResponse",
}
ONE_EXAMPLE = settings(
    max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)


@pytest.fixture
def server(dialect_server: SandboxServer) -> Iterator[SandboxServer]:
    """The module's sandbox, back to the default dialect after each test."""
    yield dialect_server
    put_dialect(dialect_server, {q.name: q.answers[0] for q in SERVED})


def _get(api: httpx.Client, path: str, validate: Validate, **params: Any) -> httpx.Response:
    """GET and check the answer fits the spec: data and included, or an error document."""
    response = api.get(path, params=params)
    assert response.headers["content-type"] == JSONAPI
    doc = response.json()
    if response.status_code == 200:
        data = doc["data"]
        for res in [*(data if isinstance(data, list) else [data]), *doc.get("included", [])]:
            validate(SCHEMAS[res["type"]], res)
    else:
        assert set(doc) == {"errors"}
        for error in doc["errors"]:
            assert {"id", "title", "detail"} <= set(error)
            assert all(isinstance(error[k], str) for k in ("id", "title", "detail"))
    return response


def _someone(api: httpx.Client) -> dict[str, Any]:
    return dict(api.get("/prospects", params={"page[size]": 1}).json()["data"][0])


def _ids(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["data"]]


# ---- the admin API -----------------------------------------------------------------------------


def test_the_dialect_is_read_and_changed_at_run_time(server: SandboxServer) -> None:
    defaults = {q.name: q.answers[0] for q in SERVED}
    assert server.admin("dialect") == defaults
    changed = server.admin("dialect", method="PUT", json={"phone_match": "normalised"})
    assert changed == {**defaults, "phone_match": "normalised"}
    headers = {"Authorization": f"Bearer {server.admin_token}"}
    bad = httpx.put(
        f"{server.origin}/_admin/dialect",
        headers=headers,
        json={"unknown_filters": "maybe", "calls_complete_tasks": "yes", "nope": 1},
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"unknown_filters", "calls_complete_tasks", "nope"}
    assert server.admin("dialect") == changed  # nothing of a refused change is applied
    not_json = httpx.put(f"{server.origin}/_admin/dialect", headers=headers, content=b"[")
    assert not_json.status_code == 400
    assert httpx.get(f"{server.origin}/_admin/dialect").status_code == 401


def test_flags_choose_the_dialect_at_start(make_sandbox: Any) -> None:
    server = make_sandbox(
        "--prospects",
        "5",
        "--unknown-filters",
        "ignore",
        "--name-filters",
        "exact",
        "--disposition-outcomes",
        "completed",
        "--calls-complete-tasks",
        "--phone-match",
        "normalised",
    )
    assert server.admin("dialect") == {
        "unknown_filters": "ignore",
        "name_filters": "exact",
        "disposition_outcomes": "completed",
        "calls_complete_tasks": True,
        "phone_match": "normalised",
    }


# ---- unknown filters ---------------------------------------------------------------------------

unknown_names = st.text(string.ascii_letters, min_size=1, max_size=12).filter(
    lambda n: n not in {"id", "firstName", "lastName", "emails", "createdAt", "updatedAt", "q"}
)


@pytest.mark.parametrize("answer", ["search", "reject", "ignore"])
def test_an_unknown_filter_is_refused_or_dropped_as_the_dialect_says(
    server: SandboxServer, validate: Validate, answer: str
) -> None:
    put_dialect(server, {"unknown_filters": answer})
    with server.client() as api:
        unfiltered = _ids(_get(api, "/prospects", validate))

        @ONE_EXAMPLE
        @given(name=unknown_names, value=st.text(max_size=10))
        def check(name: str, value: str) -> None:
            response = _get(api, "/prospects", validate, **{f"filter[{name}]": value})
            if answer == "ignore":
                assert _ids(response) == unfiltered
            else:
                assert response.status_code == 400
                (error,) = response.json()["errors"]
                assert error["id"] == "badRequest"
                assert error["source"] == {"parameter": f"filter[{name}]"}

        check()


@pytest.mark.parametrize("answer", ["search", "reject", "ignore"])
def test_filter_q_is_a_search_only_where_the_dialect_keeps_it(
    server: SandboxServer, validate: Validate, answer: str
) -> None:
    put_dialect(server, {"unknown_filters": answer})
    with server.client() as api:
        first = _someone(api)["attributes"]["firstName"]
        everyone = _ids(_get(api, "/prospects", validate))
        response = _get(api, "/prospects", validate, **{"filter[q]": "zzqx-nobody"})
        named = _get(api, "/prospects", validate, **{"filter[q]": first[:2]})
    if answer == "search":
        assert _ids(response) == []
        assert all(
            any(
                t.lower().startswith(first[:2].lower())
                for t in (p["attributes"]["firstName"], p["attributes"]["lastName"])
            )
            or p["attributes"]["company"].lower().startswith(first[:2].lower())
            or any(e.lower().startswith(first[:2].lower()) for e in p["attributes"]["emails"])
            for p in named.json()["data"]
        )
    elif answer == "reject":
        assert response.status_code == named.status_code == 400
        assert response.json()["errors"][0]["source"] == {"parameter": "filter[q]"}
    else:
        assert _ids(response) == _ids(named) == everyone


# ---- name filters ------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["folded", "exact"])
@pytest.mark.parametrize("field", ["firstName", "lastName"])
def test_name_filters_ignore_case_or_not(
    server: SandboxServer, validate: Validate, answer: str, field: str
) -> None:
    put_dialect(server, {"name_filters": answer})
    with server.client() as api:
        value = _someone(api)["attributes"][field]
        as_stored = _get(api, "/prospects", validate, **{f"filter[{field}]": value})
        swapped = _get(api, "/prospects", validate, **{f"filter[{field}]": value.swapcase()})
    assert as_stored.json()["data"]
    assert all(p["attributes"][field] == value for p in as_stored.json()["data"])
    if answer == "folded":
        assert _ids(swapped) == _ids(as_stored)
    else:
        assert _ids(swapped) == []


# ---- dispositions' outcome ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "words"),
    [("answered", {"Answered", "Not Answered"}), ("completed", {"completed", "no_answer"})],
)
def test_dispositions_speak_the_dialects_outcome_words(
    server: SandboxServer, validate: Validate, answer: str, words: set[str]
) -> None:
    put_dialect(server, {"disposition_outcomes": answer})
    with server.client() as api:
        listed = _get(api, "/callDispositions", validate).json()["data"]
        one = _get(api, f"/callDispositions/{listed[0]['id']}", validate).json()["data"]
        calls = _get(
            api, "/calls", validate, include="callDisposition", **{"page[size]": 200}
        ).json()
    assert {d["attributes"]["outcome"] for d in listed} == words
    assert one["attributes"]["outcome"] in words
    included = [r for r in calls["included"] if r["type"] == "callDisposition"]
    assert included
    assert {r["attributes"]["outcome"] for r in included} <= words
    # the calls themselves keep the spec's own outcome enumeration
    assert {c["attributes"]["outcome"] for c in calls["data"]} <= {"Answered", "Not Answered"}


# ---- calls completing their task ---------------------------------------------------------------


def _open_task(api: httpx.Client) -> dict[str, Any]:
    params = {"filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"}
    return dict(api.get("/tasks", params=params).json()["data"][0])


def _post_call(api: httpx.Client, task: dict[str, Any], action: str | None) -> None:
    attrs: dict[str, Any] = {"outcome": "Answered", "vendorCallId": str(uuid.uuid4())}
    if action:
        attrs["sequenceAction"] = action
    body = {
        "data": {
            "type": "call",
            "attributes": attrs,
            "relationships": {
                "prospect": task["relationships"]["prospect"],
                "task": {"data": {"type": "task", "id": task["id"]}},
            },
        }
    }
    response = api.post("/calls", json=body, headers={"Content-Type": JSONAPI})
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("answer", [False, True])
@pytest.mark.parametrize(
    ("action", "sequence_after"),
    [("Advance", "active-or-finished"), ("Finish - Replied", "finished"), (None, "unchanged")],
)
def test_a_call_with_a_sequence_action_completes_its_task_in_one_dialect_only(
    server: SandboxServer,
    validate: Validate,
    answer: bool,
    action: str | None,
    sequence_after: str,
) -> None:
    put_dialect(server, {"calls_complete_tasks": answer})
    with server.client() as api:
        task = _open_task(api)
        state_id = task["relationships"]["sequenceState"]["data"]["id"]
        _post_call(api, task, action)
        after = _get(api, f"/tasks/{task['id']}", validate).json()["data"]
        state = api.get(f"/sequenceStates/{state_id}").json()["data"]["attributes"]["state"]
    completes = answer and action is not None
    assert after["attributes"]["state"] == ("complete" if completes else "incomplete")
    if not completes or sequence_after == "unchanged":
        assert state == "active"
    elif sequence_after == "finished":
        assert state == "finished"


# ---- phone matching ----------------------------------------------------------------------------


def _a_number(api: httpx.Client) -> str:
    phones = api.get("/phoneNumbers", params={"filter[phoneType]": "mobile"}).json()["data"]
    return str(phones[0]["attributes"]["number"])


@pytest.mark.parametrize("answer", ["exact", "normalised"])
def test_phone_numbers_match_exactly_or_normalised(
    server: SandboxServer, validate: Validate, answer: str
) -> None:
    put_dialect(server, {"phone_match": answer})
    with server.client() as api:
        e164 = _a_number(api)
        parsed = phonenumbers.parse(e164)
        exact = _ids(_get(api, "/phoneNumbers", validate, **{"filter[number]": e164}))
        formats = [
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
            "00" + e164[1:],
            phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
        ]
        found = [
            _ids(_get(api, "/phoneNumbers", validate, **{"filter[number]": typed}))
            for typed in formats
        ]
        partial = _get(api, "/phoneNumbers", validate, **{"filter[number]": e164[-4:]})
    assert exact
    if answer == "exact":
        assert found == [[], [], []]
        assert _ids(partial) == []
    else:
        assert all(set(exact) <= set(ids) for ids in found)
        assert found[0] == found[1] == exact
        numbers = [p["attributes"]["number"] for p in partial.json()["data"]]
        assert numbers
        assert all(n.endswith(e164[-4:]) for n in numbers)


# ---- date ranges (every dialect) ---------------------------------------------------------------


def test_updated_at_ranges_select_exactly_the_prospects_inside(
    server: SandboxServer, validate: Validate
) -> None:
    with server.client() as api:
        every = api.get("/prospects", params={"page[size]": 1000}).json()["data"]
        stamps = sorted({p["attributes"]["updatedAt"] for p in every})

        @ONE_EXAMPLE
        @given(
            low=st.one_of(st.just("neginf"), st.sampled_from(stamps)),
            high=st.one_of(st.just("inf"), st.sampled_from(stamps)),
        )
        def check(low: str, high: str) -> None:
            response = _get(
                api,
                "/prospects",
                validate,
                sort="updatedAt",
                **{"filter[updatedAt]": f"{low}..{high}", "page[size]": 1000},
            )
            want = [
                p["id"]
                for p in sorted(every, key=lambda p: (p["attributes"]["updatedAt"], p["id"]))
                if (low == "neginf" or p["attributes"]["updatedAt"] >= low)
                and (high == "inf" or p["attributes"]["updatedAt"] <= high)
            ]
            assert _ids(response) == want

        check()


@pytest.mark.parametrize(
    "value", ["yesterday", "2025-01-01..", "..inf", "inf..neginf", "2025-01-01..2025-02-01..inf"]
)
def test_a_malformed_range_is_a_bad_request(
    server: SandboxServer, validate: Validate, value: str
) -> None:
    with server.client() as api:
        response = _get(api, "/prospects", validate, **{"filter[updatedAt]": value})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "filter[updatedAt]"}
