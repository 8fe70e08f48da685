"""The call-task follow-up under both answers to "does a call complete its task by itself?".

The follow-up reads the task first and completes it only while open: whichever way Outreach
answers, the task ends complete and its sequence moves on exactly once. Run against the sandbox
app in-process, switched between the two answers (the window-level test runs over HTTP in
`tests/ui/test_dialects_end_to_end.py`).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.core.sync import Backoff, SyncWorker
from dialer_app.sandbox.query import parse_list_query
from dialer_app.sandbox.resources import SEQUENCE_STATE, SEQUENCE_STEP, TASK
from tests.support.inprocess import InProcessOrg


@pytest.fixture
def org() -> Iterator[InProcessOrg]:
    org = InProcessOrg(prospects=120)
    yield org
    org.close()


def _open_tasks(org: InProcessOrg) -> list[Any]:
    query = parse_list_query(
        TASK, {"filter[state]": "incomplete", "filter[taskType]": "sequence_step_call"}
    )
    return org.store.page(TASK, query).rows


def _step_order(org: InProcessOrg, state_id: int) -> tuple[str, int | None]:
    state = org.store.get(SEQUENCE_STATE, state_id)
    assert state is not None
    step = org.store.get(SEQUENCE_STEP, state.links["sequenceStep"] or 0)
    return state.attrs["state"], step.attrs["order"] if step else None


@pytest.mark.parametrize("calls_complete_tasks", [False, True])
@pytest.mark.parametrize("action", ["Advance", "Finish - Replied", ""])
def test_the_task_is_completed_once_and_the_sequence_moves_once(
    org: InProcessOrg, tmp_path: Path, calls_complete_tasks: bool, action: str
) -> None:
    org.speak(calls_complete_tasks=calls_complete_tasks)
    task = _open_tasks(org)[0]
    state_id = task.links["sequenceState"]
    before_state, before_order = _step_order(org, state_id)
    call = NewCall(
        attributes=CallAttributes(
            outcome="Answered", sequenceAction=action or None, vendorCallId=str(uuid.uuid4())
        ),
        relationships=CallRelationships.link(
            prospect=task.links["prospect"], task=task.id, sequenceState=state_id
        ),
    )
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        entry = outbox.enqueue(call, complete_task=True)

        async def drain(client: Any) -> tuple[bool, bool]:
            worker = SyncWorker(
                outbox,
                lambda: client,
                owner="test",
                backoff=Backoff(base=0, cap=0, floor=0),
                rng=random.Random(1),
            )
            return await worker.send_next(), await worker.send_next()

        assert org.run(drain) == (True, True)
        (after,) = outbox.followers(entry.id)
        assert (after.kind, after.state, after.last_error) == ("complete_task", "sent", "")
    finally:
        outbox.close()
    done = org.store.get(TASK, task.id)
    assert done is not None
    assert done.attrs["state"] == "complete"
    state, order = _step_order(org, state_id)
    assert before_state == "active"
    if action == "Finish - Replied":
        assert state == "finished"
    elif state == "active":  # advanced: by exactly one step, never two
        assert order == (before_order or 0) + 1
    else:
        assert state == "finished"  # it was the last step


def test_a_task_outreach_completed_itself_is_read_and_left_alone(
    org: InProcessOrg, tmp_path: Path
) -> None:
    org.speak(calls_complete_tasks=True)
    task = _open_tasks(org)[0]
    org.store.update(replace(task, attrs={**task.attrs, "state": "complete"}))
    requests_before = len(org.requests)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        call = NewCall(
            attributes=CallAttributes(vendorCallId=str(uuid.uuid4())),
            relationships=CallRelationships.link(prospect=task.links["prospect"], task=task.id),
        )
        entry = outbox.enqueue(call, complete_task=True)

        async def drain(client: Any) -> bool:
            worker = SyncWorker(outbox, lambda: client, owner="t", rng=random.Random(1))
            await worker.send_next()
            return await worker.send_next()

        assert org.run(drain)
        (after,) = outbox.followers(entry.id)
        assert after.state == "sent"
    finally:
        outbox.close()
    asked = [u.path for u in org.requests[requests_before:]]
    assert not any(path.endswith("/markComplete") for path in asked)
