"""The card's data and the org's tags from odd but possible answers, with a fake transport.

The same reads run against the real sandbox in the window tests; here each odd answer must still
end as data or as one documented error.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.detail import (
    CallTask,
    ProspectDetail,
    SequenceInfo,
    load_prospect_detail,
)
from dialer_app.core.outreach.models import Prospect
from dialer_app.core.outreach.tags import org_call_tags
from tests.core.test_client_parsing import _run


def _empty_list(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"data": []})


def _seq(state_id: int) -> SequenceInfo:
    return SequenceInfo(state_id, 1, "Trade show", 2, 2, "call")


def _task(state_id: int | None) -> CallTask:
    return CallTask(9, None, "", 1, state_id, 2)


def test_the_call_belongs_to_the_tasks_sequence_else_the_first_active_one() -> None:
    p = Prospect(1, "A", "B")
    two = (_seq(5), _seq(6))
    assert ProspectDetail(p, "", two, _task(6), ()).sequence == two[1]
    assert ProspectDetail(p, "", two, _task(7), ()).sequence == two[0]  # the task's is gone
    assert ProspectDetail(p, "", two, None, ()).sequence == two[0]
    assert ProspectDetail(p, "", (), _task(7), ()).sequence is None


def test_no_prospect_in_the_answer_is_malformed() -> None:
    with pytest.raises(e.MalformedResponse, match="no prospect 4"):
        _run(_empty_list, lambda c: load_prospect_detail(c, 4))


def test_unreadable_dates_are_left_out_not_fatal() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/prospects/4"):
            return httpx.Response(200, json={"data": {"type": "prospect", "id": 4}})
        if path.endswith("/tasks"):
            task = {"type": "task", "id": 9, "attributes": {"dueAt": "next tuesday"}}
            return httpx.Response(200, json={"data": [task]})
        if path.endswith("/calls"):
            call: dict[str, Any] = {"type": "call", "id": 3, "attributes": {"dialedAt": ""}}
            return httpx.Response(200, json={"data": [call]})
        return _empty_list(request)

    detail = _run(handler, lambda c: load_prospect_detail(c, 4))
    assert detail.task is not None
    assert detail.task.due_at is None
    assert detail.last_calls[0].at is None


def test_org_tags_skip_what_is_not_a_tag_and_rank_by_use() -> None:
    calls = [
        {"type": "call", "id": 1, "attributes": {"tags": "budget"}},  # not a list
        {"type": "call", "id": 2, "attributes": {"tags": ["Q3", " ", 7, "budget"]}},
        {"type": "call", "id": 3, "attributes": {"tags": ["q3"]}},
        {"type": "call", "id": 4, "attributes": {}},
    ]
    tags = _run(lambda r: httpx.Response(200, json={"data": calls}), org_call_tags)
    assert tags == ["Q3", "budget"]


def test_a_task_state_without_the_task_is_malformed() -> None:
    with pytest.raises(e.MalformedResponse, match="no task 9"):
        _run(_empty_list, lambda c: c.task_state(9))
