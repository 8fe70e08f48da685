"""The callback asked for at wrap-up, as an outbox operation: created in Outreach once, after its
call, through `POST /tasks` — and never twice, even when Outreach stores it and the answer is
lost (the task has no vendor id: it is found again by the reference line in its note)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.outbox import Outbox
from dialer_app.core.outbox.followups import CallbackKind, callback_step
from dialer_app.core.outreach.bodies import NewTask, ref_of, without_ref
from tests.support.calls import new_call
from tests.support.drain import drain
from tests.support.openapi import request_schema, validator

PROSPECT = 3
WHEN = datetime(2031, 3, 6, 15, 0, tzinfo=UTC)


def _drain(server: Any, outbox: Outbox, done: Any, checks: tuple[float, ...]) -> list[bool]:
    """Run the app's sender against the sandbox until `done()`; whether the callback was ever
    seen uncertain (looked for before any resend), one value per change."""
    seen: list[bool] = []
    drain(
        server,
        outbox,
        done,
        checks=checks,
        each_change=lambda: seen.extend(e.uncertain for e in outbox.entries(kinds=("callback",))),
        owner="callback-test",
    )
    return seen


def _tasks_with(server: Any, ref: str) -> list[dict[str, Any]]:
    """Every task of the prospect whose note carries `ref`, read from the sandbox."""
    with server.client() as api:
        doc = api.get(
            "/tasks", params={"filter[prospect][id]": PROSPECT, "page[size]": 1000}
        ).json()
    return [t for t in doc["data"] if ref_of(t["attributes"].get("note")) == ref]


def _calls_with(server: Any, vendor_id: str) -> int:
    with server.client() as api:
        doc = api.get(
            "/calls", params={"filter[prospect][id]": PROSPECT, "page[size]": 1000}
        ).json()
    return sum(1 for c in doc["data"] if c["attributes"].get("vendorCallId") == vendor_id)


def _user_id(server: Any) -> int:
    """The rep the token belongs to (`GET /api/v2` → `meta.user`)."""
    with server.client() as api:
        return int(api.get("").json()["meta"]["user"]["id"])


@pytest.mark.parametrize(
    ("lag", "dropped"),
    [(0, False), (0, True), (1, True)],
    ids=["clean", "answer-dropped", "answer-dropped-reads-lag"],
)
def test_a_callback_is_created_once_after_its_call(
    make_sandbox: Any, tmp_path: Path, lag: int, dropped: bool
) -> None:
    server = make_sandbox("--prospects", "10", "--read-lag", str(lag))
    owner = _user_id(server)
    if dropped:  # Outreach stores the task; the answer to that POST never arrives
        server.faults(drop_after_commit=1, drop_only="/tasks")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        call = new_call(PROSPECT, outcome="Not Answered")
        step = callback_step(
            PROSPECT, WHEN, "Wants the quote first", owner_id=owner, zone="America/Chicago"
        )
        entry = outbox.enqueue(call, summary="Callback test", then=[step])
        (callback,) = outbox.followers(entry.id)
        assert (callback.kind, [link.role for link in callback.waiting_for]) == (
            "callback",
            ["call"],
        )
        assert outbox.counts().unsent == 2  # both safe on disk before any attempt

        seen = _drain(
            server, outbox, lambda: outbox.counts().sent == 2, checks=(0.2, 0.5, 2.0, 4.0)
        )
        server.admin("read-lag", "PUT", {"seconds": 0})
        assert any(seen) == dropped, "a lost answer is looked for before any resend"
        (task,) = _tasks_with(server, callback.ref)  # exactly one, however it went
        sent = outbox.get(callback.id)
        assert (sent.state, sent.outreach_id) == ("sent", int(task["id"]))
        attrs, rels = task["attributes"], task["relationships"]
        assert (attrs["action"], attrs["state"]) == ("call", "incomplete")
        assert datetime.fromisoformat(attrs["dueAt"]) == WHEN
        assert without_ref(attrs["note"]) == "Wants the quote first"
        assert rels["owner"]["data"]["id"] == owner
        assert rels["prospect"]["data"]["id"] == PROSPECT
        assert _calls_with(server, call.attributes.vendorCallId or "") == 1
    finally:
        outbox.close()


def test_a_callback_waits_for_its_call_and_goes_with_it(make_sandbox: Any, tmp_path: Path) -> None:
    """While the call cannot go (Outreach down), its callback does not go either; both go,
    in order, once it is back."""
    server = make_sandbox("--prospects", "10")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        entry = outbox.enqueue(
            new_call(PROSPECT, outcome="Not Answered"), then=[callback_step(PROSPECT, WHEN)]
        )
        (callback,) = outbox.followers(entry.id)
        server.faults(error_rate=1.0, error_statuses=[503])
        _drain(server, outbox, lambda: outbox.get(entry.id).attempts >= 1, checks=(0.2,))
        assert outbox.get(callback.id).state == "waiting"
        assert outbox.get(callback.id).attempts == 0, "never tried before its call"
        server.reset_faults()
        _drain(server, outbox, lambda: outbox.counts().sent == 2, checks=(0.2,))
        (task,) = _tasks_with(server, callback.ref)
        assert without_ref(task["attributes"]["note"]) == ""
    finally:
        outbox.close()


_zones = st.sampled_from(["", "Europe/Berlin", "America/Los_Angeles", "Not/AZone", "UTC"])


@given(
    prospect=st.integers(min_value=1, max_value=2**31),
    at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    offset=st.integers(min_value=-14 * 60, max_value=14 * 60),
    note=st.text(max_size=300),
    owner=st.none() | st.integers(min_value=1, max_value=2**31),
    zone=_zones,
)
def test_a_callback_step_reads_back_as_the_task_it_posts(
    prospect: int, at: datetime, offset: int, note: str, owner: int | None, zone: str
) -> None:
    from datetime import timezone

    local = at.astimezone(timezone(timedelta(minutes=offset)))
    step = callback_step(prospect, local, note, owner_id=owner, zone=zone)
    kind = CallbackKind()
    task = kind.check(step.body)
    assert isinstance(task, NewTask)
    assert (task.prospect, task.dueAt, task.owner) == (prospect, at, owner)
    ref = uuid.uuid4().hex
    posted = task.model_copy(update={"ref": ref})
    validator(request_schema("/tasks", "post")).validate(posted.to_document())  # the spec's
    wire = posted.wire_note()
    assert ref_of(wire) == ref
    assert without_ref(wire or "") == note.rstrip()
    assert step.needs == {"call": step.needs["call"]}


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


@given(
    body=st.dictionaries(
        st.sampled_from(["prospect", "dueAt", "note", "owner", "zone", "other"]), _json
    )
)
def test_a_damaged_saved_callback_is_refused_plainly(body: dict[str, Any]) -> None:
    """Whatever a damaged file holds: `check` gives a task to post or raises ValueError (the
    operation is then set aside, the others go on); the Outbox view's line never fails."""
    kind = CallbackKind()
    try:
        task = kind.check(body)
    except ValueError:
        pass
    else:
        assert isinstance(task, NewTask)
        assert task.dueAt.tzinfo is not None
    entry: Any = type("E", (), {"body": body, "outreach_id": None})()
    assert kind.describe(entry).startswith("Callback")


def test_a_callback_that_cannot_be_posted_is_refused_before_it_is_stored() -> None:
    with pytest.raises(ValueError, match="time zone"):
        callback_step(PROSPECT, datetime(2031, 3, 6, 15, 0), "")
    with pytest.raises(ValueError, match="must be at most"):
        callback_step(PROSPECT, WHEN, "x" * 70_000)
