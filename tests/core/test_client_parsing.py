"""Parsing edge cases of the client's operations, pinned with a fake transport (no network).

The same operations run against the real sandbox in the network tests; here each odd answer
must still end as data or as one documented error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.calls import CallAttributes, NewCall
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.client import OutreachClient, RateBudget, RetryPolicy, StaticToken

BASE = "https://api.example.test/api/v2"
Handler = Callable[[httpx.Request], httpx.Response]


def _run(handler: Handler, use: Callable[[OutreachClient], Any]) -> Any:
    async def go() -> Any:
        client = OutreachClient(
            BASE, StaticToken("t"), transport=httpx.MockTransport(handler), retry=RetryPolicy(1)
        )
        try:
            return await use(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _never(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"unexpected request {request.url}")


def _prospect(pid: int) -> dict[str, Any]:
    return {"type": "prospect", "id": pid, "attributes": {"firstName": f"P{pid}", "lastName": "X"}}


@pytest.mark.parametrize("meta", [{}, {"meta": 3}, {"meta": {"user": {"id": "1"}}}])
def test_current_user_without_a_user_is_malformed(meta: dict[str, Any]) -> None:
    with pytest.raises(e.MalformedResponse, match="who is signed in"):
        _run(lambda r: httpx.Response(200, json=meta), lambda c: c.current_user())


def test_searches_that_need_no_request_send_none() -> None:
    assert _run(_never, lambda c: c.search("   ")) == []
    assert _run(_never, lambda c: c.search("123 456 789 000 111")) == []  # not a valid number


def test_email_and_phone_searches_say_why_they_matched() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if request.url.path.endswith("/phoneNumbers"):
            numbers = [
                {"type": "phoneNumber", "id": n, "attributes": attrs, "relationships": rel}
                for n, attrs, rel in [
                    (1, {"number": "+14155550123", "phoneType": "mobile"}, _to(7)),
                    (2, {"number": "+14155550123"}, _to(7)),  # the same prospect again
                    (3, {"number": "+14155550123"}, _to(99)),  # not included
                    (4, {"number": "+14155550123"}, {}),  # no prospect
                    (5, {"number": "+14155550999"}, _to(8)),  # another number: not a match
                ]
            ]
            return httpx.Response(
                200, json={"data": numbers, "included": [_prospect(7), _prospect(8)]}
            )
        if "filter[q]" in request.url.params:
            return httpx.Response(400, json={"errors": [{"id": "badRequest"}]})
        with_email = {**_prospect(5), "attributes": {"emails": ["Jane@Acme.test"]}}
        return httpx.Response(200, json={"data": [with_email, _prospect(6)]})

    by_email = _run(handler, lambda c: c.search("jane@acme.test"))
    assert [(m.prospect.id, m.reason) for m in by_email] == [(5, "email Jane@Acme.test")]
    assert seen[-1].params["filter[emails]"] == "jane@acme.test"
    by_phone = _run(handler, lambda c: c.search("(415) 555-0123"))
    assert [(m.prospect.id, m.reason) for m in by_phone] == [(7, "mobile number +1 415-555-0123")]
    assert seen[-1].params["filter[number]"] == "+14155550123"
    assert seen[-1].params["include"] == "prospect"


def _to(pid: int) -> dict[str, Any]:
    return {"prospect": {"data": {"type": "prospect", "id": pid}}}


def test_a_prospect_comes_with_its_numbers_from_every_page() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/prospects/7"):
            return httpx.Response(200, json={"data": _prospect(7)})
        if request.url.params.get("page[after]"):
            number = {"type": "phoneNumber", "id": 2, "attributes": {"number": "+14155550002"}}
            return httpx.Response(200, json={"data": [number]})
        number = {"type": "phoneNumber", "id": 1, "attributes": {"number": "+14155550001"}}
        next_url = f"{BASE}/phoneNumbers?page%5Bafter%5D=abc"
        return httpx.Response(200, json={"data": [number], "links": {"next": next_url}})

    prospect = _run(handler, lambda c: c.prospect(7))
    assert [n.number for n in prospect.phone_numbers] == ["+14155550001", "+14155550002"]


def test_a_prospect_answer_without_data_is_malformed() -> None:
    with pytest.raises(e.MalformedResponse, match="no prospect 7"):
        _run(lambda r: httpx.Response(200, json={"data": None}), lambda c: c.prospect(7))


@pytest.mark.parametrize(
    "body",
    [
        {"data": []},
        {"data": {"type": "call", "id": 1, "attributes": {"outcome": "Maybe"}}},
    ],
)
def test_a_call_answer_that_cannot_be_read_is_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(e.MalformedResponse):
        _run(lambda r: httpx.Response(200, json=body), lambda c: c.get_call(1))


def test_an_empty_answer_is_an_empty_document() -> None:
    doc = _run(lambda r: httpx.Response(204), lambda c: c.read("/calls/1"))
    assert doc.resources() == []


def test_any_other_transport_failure_is_a_connect_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ProxyError("proxy said no")

    with pytest.raises(e.ConnectError, match="Network error"):
        _run(handler, lambda c: c.read("/calls/1"))


def test_odd_rate_limit_headers_are_ignored_not_trusted() -> None:
    budget = RateBudget()
    budget.update(
        httpx.Headers(
            {"X-RateLimit-Limit": "many", "X-RateLimit-Remaining": "x, y", "X-RateLimit-Reset": ""}
        )
    )
    assert (budget.limit, budget.remaining, budget.reset_at) == (None, None, None)
    budget.update(httpx.Headers({"X-RateLimit-Remaining": "oops, 17"}))
    assert budget.remaining == 17


def test_a_name_search_asks_by_name() -> None:
    seen: list[httpx.URL] = []
    jane = {"type": "prospect", "id": 3, "attributes": {"firstName": "Jane", "lastName": "Doe"}}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        if request.url.params.get("filter[q]", "").startswith("zqxjv"):
            return httpx.Response(200, json={"data": []})  # the filter is applied
        return httpx.Response(200, json={"data": [jane, _prospect(9)]})

    matches = _run(handler, lambda c: c.search(" Jane Doe "))
    assert [(m.prospect.id, m.reason) for m in matches] == [(3, "name")]  # P9 X is no match
    assert seen[-1].params["filter[q]"] == "Jane Doe"


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
_RESOURCE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["call", "prospect", "Call"]) | _JSON,
        "id": st.integers(min_value=-2, max_value=2**40) | _JSON,
    },
    optional={
        "attributes": st.fixed_dictionaries(
            {}, optional={"outcome": st.sampled_from(["Answered", "Maybe"])}
        )
        | _JSON,
        "relationships": _JSON,
    },
)
_CREATED = st.one_of(
    _JSON,
    st.fixed_dictionaries(
        {"data": st.one_of(_JSON, _RESOURCE, st.lists(_RESOURCE, max_size=2))},
        optional={"included": _JSON, "meta": _JSON},
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=_CREATED)
def test_the_sender_s_post_reads_the_new_call_s_id_as_strictly_as_the_full_read(
    body: Any,
) -> None:
    """`post_call` (the sender's) reads only the id, as strictly as `create_call` does:
    whenever the full read gives a call, the same id, and an id only from a `call` resource
    with an integer id; any other answer is a `MalformedResponse`, never a crash."""
    answer = _created(body)
    call = NewCall(attributes=CallAttributes(vendorCallId="v-1"))
    try:
        full: Any = _run(answer, lambda c: c.create_call(call)).id
    except e.MalformedResponse:
        full = None
    try:
        lean: Any = _run(answer, lambda c: c.post_call(call))
    except e.MalformedResponse:
        lean = None
    if full is not None:
        assert lean == full
    data = body.get("data") if isinstance(body, dict) else None
    if isinstance(data, list) and len(data) == 1:
        data = data[0]
    for read in (full, lean):
        if read is not None:
            assert isinstance(data, dict)
            assert data["type"] == "call"
            assert type(data["id"]) is int
            assert read == data["id"]


def _created(body: Any) -> Handler:
    def answer(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/api/v2/calls")
        return httpx.Response(201, json=body)

    return answer
