"""Marking the call task complete after delivery: exactly once, even across a crash."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.core.sync import Backoff, SyncWorker


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


@pytest.fixture
def server(make_sandbox: Any) -> Any:
    return make_sandbox("--prospects", "20")


def _open_call_task(server: Any) -> dict[str, Any]:
    with server.client() as api:
        doc = api.get(
            "/tasks",
            params={
                "filter[state]": "incomplete",
                "filter[taskType]": "sequence_step_call",
                "page[size]": 1,
            },
        ).json()
    return dict(doc["data"][0])


def _task(server: Any, task_id: int) -> dict[str, Any]:
    with server.client() as api:
        return dict(api.get(f"/tasks/{task_id}").json()["data"])


def _sequence_state(server: Any, state_id: int) -> dict[str, Any]:
    with server.client() as api:
        return dict(api.get(f"/sequenceStates/{state_id}").json()["data"])


def _call_for(task: dict[str, Any], action: str = "Advance") -> NewCall:
    rel = task["relationships"]
    return NewCall(
        attributes=CallAttributes(
            outcome="Answered", sequenceAction=action, vendorCallId=str(uuid.uuid4())
        ),
        relationships=CallRelationships.link(
            prospect=rel["prospect"]["data"]["id"],
            task=task["id"],
            sequenceState=rel["sequenceState"]["data"]["id"],
        ),
    )


def _worker(outbox: Outbox, client: OutreachClient, owner: str = "test") -> SyncWorker:
    return SyncWorker(
        outbox,
        lambda: client,
        owner=owner,
        backoff=Backoff(base=0, cap=0, floor=0),
        rng=random.Random(1),
    )


def _with_client(server: Any, work: Any) -> Any:
    async def go() -> Any:
        client = OutreachClient(
            server.base_url, StaticToken(server.token), retry=RetryPolicy(attempts=1)
        )
        try:
            return await work(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def test_client_marks_a_task_complete_with_the_completion_action(server: Any) -> None:
    task = _open_call_task(server)
    state_id = task["relationships"]["sequenceState"]["data"]["id"]

    async def work(client: OutreachClient) -> tuple[str, str]:
        before = await client.task_state(task["id"])
        await client.mark_task_complete(task["id"], "finish_no_reply")
        return before, await client.task_state(task["id"])

    assert _with_client(server, work) == ("incomplete", "complete")
    assert _sequence_state(server, state_id)["attributes"]["state"] == "finished"

    async def again(client: OutreachClient) -> None:
        await client.mark_task_complete(task["id"])

    with pytest.raises(e.ValidationFailed):  # not idempotent: the client must never repeat it
        _with_client(server, again)


def _follow_up(outbox: Outbox, call_entry: Any) -> Any:
    """The task completion that follows a logged call."""
    (follow,) = outbox.followers(call_entry.id)
    assert follow.kind == "complete_task"
    return follow


def test_after_delivery_the_call_task_is_completed_once(server: Any, outbox: Outbox) -> None:
    task = _open_call_task(server)
    state_id = task["relationships"]["sequenceState"]["data"]["id"]
    step_before = _sequence_state(server, state_id)["relationships"]["sequenceStep"]["data"]
    entry = outbox.enqueue(_call_for(task), complete_task=True)
    follow = _follow_up(outbox, entry)
    assert follow.body == {"task": task["id"], "completionAction": ""}
    assert (follow.state, [link.role for link in follow.waiting_for]) == ("waiting", ["call"])

    async def drain(client: OutreachClient) -> tuple[bool, bool, bool]:
        worker = _worker(outbox, client)
        return await worker.send_next(), await worker.send_next(), await worker.send_next()

    assert _with_client(server, drain) == (True, True, False)
    done = outbox.get(follow.id)
    assert (done.state, done.outreach_id, done.last_error) == ("sent", task["id"], "")
    assert outbox.get(entry.id).state == "sent"
    assert _task(server, task["id"])["attributes"]["state"] == "complete"
    state = _sequence_state(server, state_id)
    # Advanced by exactly one step (or finished after the last one), not twice.
    assert state["relationships"]["sequenceStep"]["data"] != step_before or (
        state["attributes"]["state"] == "finished"
    )


def test_a_crash_between_the_call_and_mark_complete_still_completes_the_task(
    server: Any, outbox: Outbox
) -> None:
    task = _open_call_task(server)
    entry = outbox.enqueue(_call_for(task, "Finish - Replied"), complete_task=True)
    follow = _follow_up(outbox, entry)
    assert follow.body["completionAction"] == "finish_replied"

    async def first_app(client: OutreachClient) -> None:
        assert await _worker(outbox, client, owner="first").send_next()
        # The app dies here, before markComplete.

    _with_client(server, first_app)
    assert outbox.get(follow.id).state == "waiting"
    assert _task(server, task["id"])["attributes"]["state"] == "incomplete"

    async def second_app(client: OutreachClient) -> bool:
        return await _worker(outbox, client, owner="second").send_next()

    assert _with_client(server, second_app)
    assert outbox.get(follow.id).state == "sent"
    assert _task(server, task["id"])["attributes"]["state"] == "complete"


def test_a_crash_after_mark_complete_never_completes_it_twice(server: Any, outbox: Outbox) -> None:
    task = _open_call_task(server)
    entry = outbox.enqueue(_call_for(task), complete_task=True)
    follow = _follow_up(outbox, entry)

    async def first_app(client: OutreachClient) -> None:
        assert await _worker(outbox, client, owner="host:1:dead").send_next()
        claimed = outbox.claim_next("host:1:dead")
        assert claimed is not None
        assert claimed.id == follow.id
        await client.mark_task_complete(task["id"])
        # The app dies here: Outreach completed the task, the outbox does not know.

    _with_client(server, first_app)
    assert outbox.claim_next("second") is None  # still claimed by the first app
    assert outbox.recover_orphans(lambda owner: owner != "host:1:dead") == 1

    async def second_app(client: OutreachClient) -> bool:
        return await _worker(outbox, client, owner="second").send_next()

    assert _with_client(server, second_app)
    # A second markComplete would have been refused (422) and set aside.
    after = outbox.get(follow.id)
    assert (after.state, after.last_error) == ("sent", "")


def test_with_the_setting_off_the_task_is_left_to_outreach(server: Any, outbox: Outbox) -> None:
    task = _open_call_task(server)
    entry = outbox.enqueue(_call_for(task), complete_task=False)
    assert outbox.followers(entry.id) == []

    async def drain(client: OutreachClient) -> tuple[bool, bool]:
        worker = _worker(outbox, client)
        return await worker.send_next(), await worker.send_next()

    assert _with_client(server, drain) == (True, False)
    assert outbox.get(entry.id).state == "sent"
    assert _task(server, task["id"])["attributes"]["state"] == "incomplete"


def test_a_task_completed_elsewhere_is_left_alone_and_a_refused_call_completes_nothing(
    server: Any, outbox: Outbox
) -> None:
    task = _open_call_task(server)
    entry = outbox.enqueue(_call_for(task), complete_task=True)
    follow = _follow_up(outbox, entry)

    async def drain(client: OutreachClient) -> bool:
        worker = _worker(outbox, client)
        assert await worker.send_next()
        await client.mark_task_complete(task["id"])  # someone completed it meanwhile: fine
        return await worker.send_next()

    assert _with_client(server, drain)
    assert outbox.get(follow.id).state == "sent"
    missing = outbox.enqueue(
        NewCall(
            attributes=CallAttributes(vendorCallId=str(uuid.uuid4())),
            relationships=CallRelationships.link(prospect=1, task=99_999),
        ),
        complete_task=True,
    )
    missing_follow = _follow_up(outbox, missing)

    async def drain_missing(client: OutreachClient) -> tuple[bool, bool]:
        worker = _worker(outbox, client)
        return await worker.send_next(), await worker.send_next()

    assert _with_client(server, drain_missing) == (True, False)
    parked = outbox.get(missing.id)
    assert parked.state == "attention"  # Outreach refuses a call linking no such task
    waiting = outbox.get(missing_follow.id)  # and nothing is completed for a call never delivered
    assert (waiting.state, [link.state for link in waiting.waiting_for]) == (
        "waiting",
        ["attention"],
    )


def test_a_follow_up_taken_over_by_another_sender_is_left_to_it(
    server: Any, tmp_path: Path
) -> None:
    task = _open_call_task(server)
    now = [1_000.0]
    path = tmp_path / "shared.sqlite3"
    first, second = (Outbox(path, clock=lambda: now[0], lease=30) for _ in range(2))
    taken: list[int] = []

    class Stalling(OutreachClient):
        """Reads the task, then the app sleeps past its lease and another copy takes over."""

        async def task_state(self, task_id: int) -> str:
            state = await super().task_state(task_id)
            now[0] += 60
            claimed = second.claim_next("b")
            taken.extend([claimed.id] if claimed else [])
            return state

    async def work() -> tuple[bool, bool]:
        client = Stalling(server.base_url, StaticToken(server.token), retry=RetryPolicy(1))
        try:
            worker = SyncWorker(
                first,
                lambda: client,
                owner="a",
                backoff=Backoff(base=0, cap=0, floor=0),
                clock=lambda: now[0],
            )
            return await worker.send_next(), await worker.send_next()
        finally:
            await client.aclose()

    try:
        entry = first.enqueue(_call_for(task), complete_task=True)
        follow = _follow_up(first, entry)
        assert asyncio.run(work()) == (True, True)
        assert taken == [follow.id]
        assert first.get(follow.id).state == "sending"  # b's to finish
    finally:
        first.close()
        second.close()
    assert _task(server, task["id"])["attributes"]["state"] == "incomplete"
