"""Odd answers to the task, prospect and number operations, pinned with a fake transport.

The same operations run against the real sandbox in `test_task_client` and
`test_prospect_client`; here whatever a server answers must end as data or as one documented
error, and what the client sends is checked request by request.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach import tasks as t
from dialer_app.core.outreach import writes as w
from dialer_app.core.outreach.bodies import NewPhoneNumber, NewProspect, NewTask
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken

BASE = "https://api.example.test/api/v2"
DUE_BY = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
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


def _task(rid: int, **attributes: Any) -> dict[str, Any]:
    attrs = {"action": "call", "taskType": "manual", "state": "incomplete"}
    attrs["dueAt"] = "2026-03-02T10:00:00.000Z"
    attrs.update(attributes)
    rels = {
        "owner": {"data": {"type": "user", "id": 1}},
        "prospect": {"data": {"type": "prospect", "id": rid}},
    }
    return {"type": "task", "id": rid, "attributes": attrs, "relationships": rels}


def _answer(body: object, status: int = 200) -> Handler:
    return lambda request: httpx.Response(status, json=body)


# -- the queue -------------------------------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
_LINKAGE = st.one_of(
    _JSON,
    st.builds(
        lambda kind, rid: {"data": {"type": kind, "id": rid}},
        st.sampled_from(["prospect", "user", "sequence", "sequenceStep", "task"]),
        st.integers(min_value=1, max_value=9) | st.text(max_size=2),
    ),
)
_ODD_TASK = st.builds(
    lambda rid, attrs, rels: {
        "type": "task",
        "id": rid,
        "attributes": attrs,
        "relationships": rels,
    },
    st.integers(min_value=1, max_value=9),
    st.fixed_dictionaries(
        {},
        optional={
            "action": st.sampled_from(["call", "email", None, 3]),
            "taskType": st.sampled_from(["sequence_step_call", "manual", "", 1]),
            "state": st.sampled_from(["incomplete", "complete", "pending", None]),
            "dueAt": st.sampled_from(
                [
                    "2026-03-02T10:00:00.000Z",
                    "2026-03-09T10:00:00Z",
                    "2026-03-02T10:00:00",
                    "soon",
                    None,
                    7,
                ]
            ),
            "note": _JSON,
        },
    ),
    st.dictionaries(
        st.sampled_from(["owner", "prospect", "sequence", "sequenceStep"]), _LINKAGE, max_size=4
    ),
)


@pytest.mark.slow
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(tasks=st.lists(_ODD_TASK, max_size=6), included=st.lists(_JSON, max_size=3))
def test_an_odd_page_gives_only_open_call_tasks_due_in_time(
    tasks: list[dict[str, Any]], included: list[Any]
) -> None:
    body: dict[str, Any] = {
        "data": tasks,
        "included": [
            i
            for i in included
            if isinstance(i, dict)
            and {"type", "id"} <= set(i)
            and isinstance(i["type"], str)
            and isinstance(i["id"], int)
        ],
    }
    try:
        queue = _run(_answer(body), lambda c: t.due_call_tasks(c, 1, DUE_BY))
    except e.MalformedResponse:
        return  # an answer that is not JSON:API at all
    for item in queue:
        task = item.task
        assert task.is_call
        assert task.is_open
        assert task.due_at is not None
        assert task.due_at <= DUE_BY
        assert task.owner_id in (None, 1)
    assert len({q.task.id for q in queue}) == len(queue)


def test_the_queue_asks_with_the_filters_the_spec_allows() -> None:
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"data": []})

    start = DUE_BY - timedelta(days=3)
    assert _run(handler, lambda c: t.due_call_tasks(c, 7, DUE_BY, due_from=start, limit=20)) == []
    (url,) = seen
    params = dict(url.params)
    assert params["filter[owner][id]"] == "7"
    assert params["filter[state]"] == "incomplete"
    assert params["filter[dueAt]"] == "2026-02-27T23:00:00.000Z..2026-03-02T23:00:00.000Z"
    assert params["sort"] == "dueAt"
    assert params["include"] == "prospect,sequence,sequenceStep"
    assert params["page[size]"] == "20"


def test_pages_are_followed_until_a_link_repeats_and_the_result_is_sorted() -> None:
    pages = {
        "": {
            "data": [_task(3, dueAt="2026-03-02T12:00:00.000Z")],
            "links": {"next": f"{BASE}/tasks?page=2"},
        },
        "2": {
            "data": [_task(1, dueAt="2026-03-01T09:00:00.000Z"), _task(3)],
            "links": {"next": f"{BASE}/tasks?page=2"},
        },
    }
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "")
        calls.append(page)
        return httpx.Response(200, json=pages[page])

    queue = _run(handler, lambda c: t.due_call_tasks(c, 1, DUE_BY))
    assert [q.task.id for q in queue] == [1, 3]
    assert calls == ["", "2"]  # the repeated next link is not read again


def test_a_list_that_never_ends_is_cut_after_max_pages() -> None:
    count = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal count
        count += 1
        body = {
            "data": [_task(count, action="email")],
            "links": {"next": f"{BASE}/tasks?p={count}"},
        }
        return httpx.Response(200, json=body)

    assert _run(handler, lambda c: t.due_call_tasks(c, 1, DUE_BY)) == []
    assert count == t.MAX_PAGES


def test_tasks_outside_the_window_or_not_the_reps_are_dropped() -> None:
    page = {
        "data": [
            _task(1, dueAt="2026-02-20T10:00:00.000Z"),  # before due_from
            _task(2, dueAt="2026-03-03T10:00:00.000Z"),  # after due_by
            {**_task(3), "relationships": {"owner": {"data": {"type": "user", "id": 2}}}},
            _task(4, action="email"),
            _task(5, state="complete"),
            _task(6, dueAt=None),
            _task(9, dueAt="this afternoon"),
            _task(10, dueAt="2026-03-02T10:00:00"),  # no time zone: when is that?
            _task(7, action="action_item", taskType="sequence_step_call"),
            _task(8),
        ]
    }
    start = DUE_BY - timedelta(days=5)
    queue = _run(_answer(page), lambda c: t.due_call_tasks(c, 1, DUE_BY, due_from=start))
    assert [q.task.id for q in queue] == [7, 8]
    assert queue[0].prospect is None  # not included: shown without prospect details


@pytest.mark.parametrize(
    "body",
    [
        {"data": []},
        {"data": [_task(1), _task(2)]},
        {"data": {"type": "prospect", "id": 1}},
        {"data": None},
    ],
)
def test_a_write_answered_without_one_task_is_malformed(body: dict[str, Any]) -> None:
    new = NewTask.make(prospect=1, dueAt=DUE_BY)
    with pytest.raises(e.MalformedResponse, match="without the task"):
        _run(_answer(body, 201), lambda c: t.create_call_task(c, new))
    with pytest.raises(e.MalformedResponse):
        _run(_answer(body), lambda c: t.complete_task(c, 1))


def test_actions_send_their_parameters_and_no_retry() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if len(seen) == 4:
            return httpx.Response(503, json={"errors": [{"id": "x", "detail": "down"}]})
        return httpx.Response(200, json={"data": _task(9)})

    when = datetime(2026, 3, 5, 9, 15, tzinfo=UTC)

    async def go(client: OutreachClient) -> None:
        await t.snooze_task(client, 9)
        await t.reschedule_task(client, 9, when)
        await t.complete_task(client, 9, "finish_replied")
        await t.snooze_task(client, 9, when)

    with pytest.raises(e.ServerError):
        _run(handler, go)
    assert [(r.method, r.url.path, dict(r.url.params)) for r in seen] == [
        ("POST", "/api/v2/tasks/9/actions/snooze", {}),
        (
            "POST",
            "/api/v2/tasks/9/actions/reschedule",
            {"actionParams[dueAt]": "2026-03-05T09:15:00.000Z"},
        ),
        (
            "POST",
            "/api/v2/tasks/9/actions/markComplete",
            {"actionParams[completionAction]": "finish_replied"},
        ),
        (
            "POST",
            "/api/v2/tasks/9/actions/snooze",
            {"actionParams[dueAt]": "2026-03-05T09:15:00.000Z"},
        ),
    ]


def test_own_task_is_looked_for_in_every_page_of_the_prospects_tasks() -> None:
    mine = _task(8, note="Call back.\n\nDialer Companion ref op-1")
    pages = {
        "": {
            "data": [_task(5, note="Dialer Companion ref op-2")],
            "links": {"next": f"{BASE}/tasks?page=2"},
        },
        "2": {
            "data": [
                {**mine, "relationships": {"prospect": {"data": {"type": "prospect", "id": 9}}}},
                mine,
            ]
        },
    }
    seen: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json=pages[request.url.params.get("page", "")])

    found = _run(handler, lambda c: t.find_own_task(c, 8, "op-1"))
    assert found is not None
    assert (found.id, found.ref, found.rep_note) == (8, "op-1", "Call back.")
    assert seen[0].params["filter[prospect][id]"] == "8"
    assert "filter[owner][id]" not in seen[0].params
    assert _run(handler, lambda c: t.find_own_task(c, 8, "op-3")) is None


# -- prospects and numbers -------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"data": []}, {"data": {"type": "task", "id": 1}}])
def test_writes_answered_without_their_resource_are_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(e.MalformedResponse, match="without the prospect"):
        _run(_answer(body, 201), lambda c: w.create_prospect(c, NewProspect.make(lastName="X")))
    number = NewPhoneNumber.make(prospect=1, number="+14155550100")
    with pytest.raises(e.MalformedResponse, match="without the phoneNumber"):
        _run(_answer(body, 201), lambda c: w.add_phone_number(c, number))


def test_lookups_keep_only_what_matches() -> None:
    prospects = [
        {
            "type": "prospect",
            "id": 1,
            "attributes": {"firstName": "Ana", "lastName": "Lima", "externalId": "op"},
        },
        {
            "type": "prospect",
            "id": 2,
            "attributes": {"firstName": "Anabel", "lastName": "Lima", "externalId": "op"},
        },
        {"type": "account", "id": 3, "attributes": {"firstName": "Ana", "lastName": "Lima"}},
    ]
    numbers = {
        "data": [
            {
                "type": "phoneNumber",
                "id": 10,
                "attributes": {"number": "+14155550100"},
                "relationships": {"prospect": {"data": {"type": "prospect", "id": 4}}},
            },
            {
                "type": "phoneNumber",
                "id": 11,
                "attributes": {"number": "+14155550100"},
                "relationships": {"prospect": {"data": {"type": "prospect", "id": "x"}}},
            },
            {
                "type": "phoneNumber",
                "id": 12,
                "attributes": {"number": "+14155550100"},
                "relationships": {"prospect": {"data": {"type": "account", "id": 1}}},
            },
        ],
        "included": [
            {
                "type": "prospect",
                "id": 4,
                "attributes": {"firstName": "Other", "externalId": "op-4"},
            }
        ],
    }
    sent: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        if request.url.path.endswith("/prospects"):
            return httpx.Response(200, json={"data": prospects})
        return httpx.Response(200, json=numbers)

    named = _run(handler, lambda c: w.prospects_named(c, " ana ", "LIMA"))
    assert [p.id for p in named] == [1]
    assert dict(sent[0].params)["filter[firstName]"] == "ana"
    assert (
        _run(handler, lambda c: w.find_own_prospect(c, "op-4", "Ana", "Lima", "+14155550100")).id
        == 4
    )
    assert (
        _run(handler, lambda c: w.find_own_prospect(c, "op-9", "Ana", "Lima", "+14155550100"))
        is None
    )
    assert _run(handler, lambda c: w.find_phone_number(c, 4, "+14155550100")).id == 10
    assert _run(handler, lambda c: w.find_phone_number(c, 5, "+14155550100")) is None
    assert _run(handler, lambda c: w.find_phone_number(c, 4, "+14155550199")) is None
    bare = {
        "data": [
            {"type": "account", "id": 14, "attributes": {"number": "+14155550100"}},
            {"type": "phoneNumber", "id": 13, "attributes": {"number": "+14155550100"}},
        ]
    }
    assert _run(_answer(bare), lambda c: w.find_phone_number(c, 5, "+14155550100")).id == 13


def test_writes_are_sent_once_as_jsonapi() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(504, json={"errors": [{"id": "gatewayTimeout"}]})

    number = NewPhoneNumber.make(prospect=1, number="+14155550100")
    with pytest.raises(e.ServerError):
        _run(handler, lambda c: w.add_phone_number(c, number))
    with pytest.raises(e.ServerError):
        _run(handler, lambda c: w.set_call_opt_out(c, 1, True))
    assert [r.method for r in seen] == ["POST", "PATCH"]
    assert all(r.headers["content-type"] == "application/vnd.api+json" for r in seen)
    assert json.loads(seen[1].content)["data"]["attributes"] == {
        "callOptedOut": True,
        "callsOptStatus": "opted_out",
    }
