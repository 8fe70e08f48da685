"""Filling the local index from Outreach: all of the rep's prospects once, then what changed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.index import OWN, TASK, ProspectIndex
from dialer_app.core.index_sync import (
    FULL_EVERY,
    OVERLAP,
    IndexSync,
    SyncError,
    SyncReport,
    entry_from_json,
    latest,
)
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.core.outreach.search import classify
from dialer_app.sandbox.resources import PROSPECT
from dialer_app.sandbox.resources import TASK as TASK_TYPE
from tests.support.inprocess import InProcessOrg
from tests.support.sandbox import SandboxServer

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture
def org() -> Iterator[InProcessOrg]:
    org = InProcessOrg(prospects=60)
    yield org
    org.close()


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ProspectIndex]:
    idx = ProspectIndex(tmp_path / "index.sqlite3")
    yield idx
    idx.close()


def _pass(org: InProcessOrg, index: ProspectIndex, **kw: Any) -> SyncReport:
    async def work(client: OutreachClient) -> SyncReport:
        with ThreadPoolExecutor(1) as writer:
            try:
                return await IndexSync(client, index, writer, user_id=1, **kw).run_once()
            finally:
                writer.submit(index.close_writer).result()

    return org.run(work)


def _why(index: ProspectIndex) -> dict[int, int]:
    rows = index._reader.execute("SELECT id, why FROM prospects").fetchall()
    return dict(rows)


def _own_ids(org: InProcessOrg) -> set[int]:
    return {p["id"] for p in org.every_prospect() if _owner(org, p["id"]) == 1}


def _owner(org: InProcessOrg, pid: int) -> int | None:
    row = org.store.get(PROSPECT, pid)
    return None if row is None else row.links.get("owner")


def _task_prospects(org: InProcessOrg) -> set[int]:
    from dialer_app.sandbox.query import parse_list_query

    query = parse_list_query(
        TASK_TYPE, {"filter[state]": "incomplete", "filter[owner][id]": "1", "page[size]": "1000"}
    )
    rows = org.store.page(TASK_TYPE, query).rows
    return {
        r.links["prospect"] for r in rows if r.attrs["taskType"] in ("call", "sequence_step_call")
    }


def test_the_first_pass_indexes_the_reps_prospects_and_those_with_call_tasks(
    org: InProcessOrg, index: ProspectIndex
) -> None:
    report = _pass(org, index, page_size=7)  # several pages
    own, tasks = _own_ids(org), _task_prospects(org)
    why = _why(index)
    assert set(why) == own | tasks
    assert {pid for pid, w in why.items() if w & OWN} == own
    assert {pid for pid, w in why.items() if w & TASK} == tasks
    assert report.tasks == len(tasks)
    assert report.pages >= len(own) // 7
    for pid in own:
        stored = org.store.get(PROSPECT, pid)
        assert stored is not None
        got = index.get(pid)
        assert got is not None
        assert (got.first_name, got.last_name, got.company) == (
            stored.attrs["firstName"],
            stored.attrs["lastName"],
            stored.attrs["company"],
        )
        phones = [*stored.attrs["workPhones"], *stored.attrs["mobilePhones"]]
        assert {n.number for n in got.phone_numbers} >= set(phones)
    someone = index.get(min(own))
    assert someone is not None
    found = index.search(classify(someone.first_name[:2]), limit=100)
    assert someone.id in {m.prospect.id for m in found}


def test_a_later_pass_asks_only_what_changed_and_picks_up_a_change(
    org: InProcessOrg, index: ProspectIndex
) -> None:
    _pass(org, index)
    pid = min(_own_ids(org))
    row = org.store.get(PROSPECT, pid)
    assert row is not None
    org.store.update(
        replace(
            row,
            attrs={**row.attrs, "firstName": "Zebedee", "updatedAt": "2030-01-01T00:00:00.000Z"},
        )
    )
    org.requests.clear()
    report = _pass(org, index)
    asked = [dict(u.params) for u in org.requests if u.path.endswith("/prospects")]
    assert asked[0]["filter[updatedAt]"].endswith("..inf")
    assert report.prospects < len(_own_ids(org))
    got = index.get(pid)
    assert got is not None
    assert got.first_name == "Zebedee"
    assert index.meta("updated_since") == "2030-01-01T00:00:00.000Z"


def test_a_change_that_shows_up_late_within_the_overlap_is_not_missed(
    org: InProcessOrg, index: ProspectIndex
) -> None:
    _pass(org, index)
    newest = index.meta("updated_since")
    assert newest is not None
    pid = max(_own_ids(org))
    row = org.store.get(PROSPECT, pid)
    assert row is not None
    from datetime import datetime

    earlier = datetime.fromisoformat(newest) - OVERLAP / 2  # written before, read only now
    stamp = earlier.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    org.store.update(replace(row, attrs={**row.attrs, "lastName": "Late", "updatedAt": stamp}))
    _pass(org, index)
    got = index.get(pid)
    assert got is not None
    assert got.last_name == "Late"


def test_a_completed_task_and_a_reassigned_prospect_leave_the_index(
    org: InProcessOrg, index: ProspectIndex
) -> None:
    tasks = _task_prospects(org)
    someone_elses = org.store.get(PROSPECT, min(tasks))  # the rep's task, another rep's prospect
    assert someone_elses is not None
    org.store.update(replace(someone_elses, links={**someone_elses.links, "owner": 2}))
    _pass(org, index)
    only_task = sorted(tasks - _own_ids(org))
    own = sorted(_own_ids(org) - tasks)
    assert only_task
    assert own
    assert _why(index)[only_task[0]] == TASK
    from dialer_app.sandbox.query import parse_list_query

    query = parse_list_query(TASK_TYPE, {"filter[prospect][id]": str(only_task[0])})
    for task in org.store.page(TASK_TYPE, query).rows:
        org.store.update(replace(task, attrs={**task.attrs, "state": "complete"}))
    moved = org.store.get(PROSPECT, own[0])
    assert moved is not None
    org.store.update(replace(moved, links={**moved.links, "owner": 2}))
    _pass(org, index)
    assert only_task[0] not in _why(index)  # no task left, not the rep's
    assert own[0] in _why(index)  # a reassignment shows only in a full pass…
    index.set_meta({"full_at": "2020-01-01T00:00:00.000Z"})  # …which is due once a day
    index.close_writer()
    _pass(org, index)
    assert own[0] not in _why(index)
    assert FULL_EVERY.total_seconds() == 86_400


def test_another_rep_starts_from_an_empty_index(org: InProcessOrg, index: ProspectIndex) -> None:
    _pass(org, index)
    index.mark_seen([index.get(min(_own_ids(org)))])  # type: ignore[list-item]
    index.close_writer()

    async def work(client: OutreachClient) -> SyncReport:
        with ThreadPoolExecutor(1) as writer:
            try:
                return await IndexSync(client, index, writer, user_id=2).run_once()
            finally:
                writer.submit(index.close_writer).result()

    org.run(work)
    assert index.meta("user") == "2"
    owned_by_2 = {p["id"] for p in org.every_prospect() if _owner(org, p["id"]) == 2}
    assert {pid for pid, w in _why(index).items() if w & OWN} == owned_by_2


def test_everyone_can_be_indexed(org: InProcessOrg, index: ProspectIndex) -> None:
    _pass(org, index, everyone=True)
    assert len(index) == len(org.every_prospect())


@pytest.mark.parametrize(
    "next_link",
    ["https://elsewhere.example/api/v2/prospects?page%5Bafter%5D=x", "SAME"],
    ids=["off the API", "a loop"],
)
def test_pages_that_lead_off_the_api_or_loop_stop_the_pass(
    index: ProspectIndex, next_link: str
) -> None:
    base = "https://api.example.test/api/v2"

    def handler(request: httpx.Request) -> httpx.Response:
        link = f"{base}/prospects?page%5Bafter%5D=1" if next_link == "SAME" else next_link
        return httpx.Response(200, json={"data": [], "links": {"next": link}})

    async def work() -> None:
        client = OutreachClient(
            base, StaticToken("t"), transport=httpx.MockTransport(handler), retry=RetryPolicy(1)
        )
        with ThreadPoolExecutor(1) as writer:
            try:
                await IndexSync(client, index, writer, user_id=1).run_once()
            finally:
                await client.aclose()
                writer.submit(index.close_writer).result()

    with pytest.raises(SyncError):
        asyncio.run(work())


@given(JSON)
@settings(max_examples=200, suppress_health_check=list(HealthCheck))
def test_any_json_as_a_prospect_is_read_or_refused_never_a_crash(raw: Any) -> None:
    entry = entry_from_json(raw)
    if entry is not None:
        assert isinstance(entry.prospect.id, int)
        assert all(n.number.startswith("+") for n in entry.prospect.phone_numbers)


@given(
    st.dictionaries(
        st.sampled_from(["id", "type", "attributes", "relationships"]),
        JSON | st.just("prospect") | st.integers(1, 9),
    ),
    st.dictionaries(
        st.sampled_from(["firstName", "emails", "mobilePhones", "updatedAt", "callOptedOut"]),
        JSON | st.just(["+14155550123", 5, "x"]) | st.just("2025-01-01T00:00:00Z"),
    ),
)
def test_odd_prospect_attributes_are_read_as_far_as_they_make_sense(
    res: dict[str, Any], attrs: dict[str, Any]
) -> None:
    entry = entry_from_json({**res, "type": "prospect", "id": 5, "attributes": attrs})
    assert entry is not None
    assert entry.prospect.id == 5
    assert entry.updated_at in ("", attrs.get("updatedAt"))


def test_the_latest_change_is_compared_as_instants() -> None:
    assert latest(["2025-01-01T10:00:00.000Z", "2025-01-01T11:00:00+02:00", "junk", ""]) == (
        "2025-01-01T10:00:00.000Z"
    )
    assert latest([]) == ""


def test_a_pass_against_the_sandbox_over_http(make_sandbox: Any, tmp_path: Path) -> None:
    server: SandboxServer = make_sandbox("--prospects", "80")
    index = ProspectIndex(tmp_path / "index.sqlite3")

    async def work() -> tuple[SyncReport, SyncReport]:
        client = OutreachClient(server.base_url, StaticToken(server.token))
        with ThreadPoolExecutor(1) as writer:
            try:
                sync = IndexSync(client, index, writer, user_id=1, page_size=25)
                return await sync.run_once(), await sync.run_once()
            finally:
                await client.aclose()
                writer.submit(index.close_writer).result()

    try:
        first, second = asyncio.run(work())
        with server.client() as api:
            own = api.get(
                "/prospects", params={"filter[owner][id]": 1, "count": "true", "page[size]": 1}
            ).json()["meta"]["count"]
        assert sum(1 for w in _why(index).values() if w & OWN) == own
        assert first.pages >= own // 25
        assert second.prospects < first.prospects
    finally:
        index.close()


class _RefusingRanges(httpx.AsyncBaseTransport):
    """The in-process org, except that `filter[updatedAt]` is refused (400)."""

    def __init__(self, org: InProcessOrg) -> None:
        self._inner = httpx.ASGITransport(app=org.app)
        self.ranges = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if "filter[updatedAt]" in request.url.params:
            self.ranges += 1
            body = {"errors": [{"id": "badRequest", "detail": "no ranges here"}]}
            return httpx.Response(400, json=body, request=request)
        return await self._inner.handle_async_request(request)


def test_an_org_that_refuses_ranges_gets_whole_passes(
    org: InProcessOrg, index: ProspectIndex
) -> None:
    from tests.support.inprocess import BASE, TOKEN

    transport = _RefusingRanges(org)

    async def work() -> list[SyncReport]:
        client = OutreachClient(BASE, StaticToken(TOKEN), transport=transport, retry=RetryPolicy(1))
        with ThreadPoolExecutor(1) as writer:
            try:
                sync = IndexSync(client, index, writer, user_id=1)
                return [await sync.run_once(), await sync.run_once()]
            finally:
                await client.aclose()
                writer.submit(index.close_writer).result()

    first, second = asyncio.run(work())
    assert transport.ranges == 1  # the second pass asked for a range once, then read them all
    assert second.prospects >= len(_own_ids(org))  # all of them again, not what changed
    assert first.prospects >= len(_own_ids(org))
    assert {pid for pid, w in _why(index).items() if w & OWN} == _own_ids(org)
