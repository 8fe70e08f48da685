"""The outbox keeps every logged call on disk, hands each to one sender, and remembers its fate."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.jsonapi import FieldError
from dialer_app.core.outbox import LEASE_SECONDS, Outbox, OutboxError
from dialer_app.core.outbox.schema import FIRST_SCHEMA


class Clock:
    def __init__(self) -> None:
        self.t = 1_000_000.0

    def __call__(self) -> float:
        return self.t


def _call(n: int, prospect: int = 5) -> NewCall:
    return NewCall(
        attributes=CallAttributes(note=f"call {n}", vendorCallId=f"vid-{n}"),
        relationships=CallRelationships.link(prospect=prospect),
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def outbox(tmp_path: Path, clock: Clock) -> Outbox:
    box = Outbox(tmp_path / "outbox.sqlite3", clock=clock)
    yield box
    box.close()


def test_an_enqueued_call_is_on_disk_for_a_fresh_process(tmp_path: Path, outbox: Outbox) -> None:
    outbox.enqueue(_call(1), summary="Jane Doe")
    reopened = Outbox(tmp_path / "outbox.sqlite3")
    try:
        (entry,) = reopened.entries()
        assert entry.call == _call(1)
        assert entry.state == "waiting"
        assert entry.summary == "Jane Doe"
    finally:
        reopened.close()


def test_calls_are_claimed_oldest_first_and_only_once(outbox: Outbox) -> None:
    for n in range(3):
        outbox.enqueue(_call(n))
    first = outbox.claim_next("a")
    second = outbox.claim_next("b")
    assert first is not None
    assert second is not None
    assert (first.vendor_call_id, second.vendor_call_id) == ("vid-0", "vid-1")
    assert outbox.counts().sending == 2


def test_the_same_call_cannot_be_queued_twice(outbox: Outbox) -> None:
    outbox.enqueue(_call(1))
    with pytest.raises(ValueError, match="already"):
        outbox.enqueue(_call(1))


def test_a_retry_waits_for_its_delay(outbox: Outbox, clock: Clock) -> None:
    outbox.enqueue(_call(1))
    entry = outbox.claim_next("a")
    assert entry is not None
    outbox.mark_retry(entry.id, delay=30, error="Outreach had a problem")
    assert outbox.claim_next("a") is None
    assert outbox.next_due_in() == pytest.approx(30)
    clock.t += 30
    again = outbox.claim_next("a")
    assert again is not None
    assert again.attempts == 2


def test_a_dead_sender_s_claim_comes_back_as_uncertain(outbox: Outbox, clock: Clock) -> None:
    outbox.enqueue(_call(1))
    assert outbox.claim_next("crashed") is not None
    assert outbox.claim_next("other") is None  # still leased
    clock.t += LEASE_SECONDS + 1
    entry = outbox.claim_next("other")
    assert entry is not None
    assert entry.uncertain


def test_a_refused_call_keeps_outreach_s_field_messages(outbox: Outbox) -> None:
    outbox.enqueue(_call(1))
    entry = outbox.claim_next("a")
    assert entry is not None
    outbox.mark_attention(
        entry.id, "refused", [FieldError("/data/attributes/note", "note", "is too long")]
    )
    parked = outbox.get(entry.id)
    assert parked.state == "attention"
    assert parked.field_errors == (FieldError("/data/attributes/note", "note", "is too long"),)
    fixed = NewCall(attributes=CallAttributes(note="short", vendorCallId="vid-1"))
    outbox.resend(entry.id, fixed)
    back = outbox.claim_next("a")
    assert back is not None
    assert back.call == fixed
    assert back.field_errors == ()


def test_sent_calls_keep_the_outreach_id(outbox: Outbox) -> None:
    outbox.enqueue(_call(1))
    entry = outbox.claim_next("a")
    assert entry is not None
    outbox.mark_sent(entry.id, 987)
    assert outbox.get(entry.id).outreach_id == 987
    assert outbox.counts().sent == 1
    assert outbox.next_due_in() is None


@pytest.mark.parametrize(
    "pragma",
    ["PRAGMA query_only = 1", "PRAGMA max_page_count = 2"],
    ids=["read-only", "full"],
)
def test_a_read_only_or_full_database_is_a_clear_error_and_loses_nothing(
    tmp_path: Path, pragma: str
) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    box.enqueue(_call(1))
    box._db.execute(pragma)  # the file can no longer take writes
    with pytest.raises(OutboxError, match=r"saved|not writable"):
        box.enqueue(NewCall(attributes=CallAttributes(note="x" * 60_000, vendorCallId="vid-2")))
    box.close()
    again = Outbox(path)
    assert [e.vendor_call_id for e in again.entries()] == ["vid-1"]
    again.close()


def _claim_all(path: str, owner: str, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    box = Outbox(Path(path))
    got = []
    while (entry := box.claim_next(owner)) is not None:
        got.append(entry.vendor_call_id)
        box.mark_sent(entry.id, 1)
    box.close()
    out.put(got)


def test_two_processes_never_claim_the_same_call(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    for n in range(200):
        box.enqueue(_call(n))
    box.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(str(path), f"p{i}", out)) for i in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(60)
    claimed = results[0] + results[1]
    assert sorted(claimed) == sorted(f"vid-{n}" for n in range(200))
    assert len(set(claimed)) == len(claimed)


def test_a_call_waiting_for_its_retry_holds_the_ones_behind_it(
    outbox: Outbox, clock: Clock
) -> None:
    for n in range(3):
        outbox.enqueue(_call(n))
    first = outbox.claim_next("a")
    assert first is not None
    outbox.mark_retry(first.id, delay=10, error="Outreach had a problem")
    assert outbox.claim_batch("a", 10) == []  # vid-1 and vid-2 wait behind vid-0
    clock.t += 10
    assert [e.vendor_call_id for e in outbox.claim_batch("a", 10)] == ["vid-0", "vid-1", "vid-2"]


def test_unclaimed_calls_go_back_without_needing_a_lookup(outbox: Outbox) -> None:
    for n in range(3):
        outbox.enqueue(_call(n))
    batch = outbox.claim_batch("a", 3)
    outbox.unclaim([e.id for e in batch[1:]])
    again = outbox.claim_batch("b", 3)
    assert [e.vendor_call_id for e in again] == ["vid-1", "vid-2"]
    assert not any(e.uncertain for e in again)
    assert [e.attempts for e in again] == [1, 1]


def test_an_outbox_from_before_task_follow_ups_opens_with_its_calls(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(FIRST_SCHEMA)
    db.execute(
        "INSERT INTO outbox (vendor_call_id, body, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (
            "old-1",
            '{"data": {"type": "call", "attributes": {"vendorCallId": "old-1"}}}',
            "2026-01-01T00:00:00.000+00:00",
            "2026-01-01T00:00:00.000+00:00",
        ),
    )
    db.commit()
    db.close()
    box = Outbox(path)
    try:
        (entry,) = box.entries()
        assert (entry.vendor_call_id, entry.kind, entry.state) == ("old-1", "call", "waiting")
        assert box.followers(entry.id) == []  # no task to complete after it
    finally:
        box.close()


def test_an_outbox_of_this_version_without_the_count_indexes_gets_them_and_keeps_its_calls(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    sent = box.enqueue(_call(1))
    box.claim_next("t")
    box.mark_sent(sent.id, 77)
    box.enqueue(_call(2))
    box.close()
    db = sqlite3.connect(path)  # as the first files of this version were written
    db.executescript(
        "DROP INDEX operations_tally; DROP INDEX operations_today;"
        " CREATE INDEX operations_created ON operations (created_at);"
    )
    db.close()
    box = Outbox(path)
    try:
        counts = box.counts()
        assert (counts.sent, counts.waiting, counts.calls) == (1, 1, 2)
        assert box.today().calls == 2
        names = {
            row[0] for row in box._db.execute("SELECT name FROM sqlite_master WHERE type='index'")
        }
        assert {"operations_tally", "operations_today"} <= names
        assert "operations_created" not in names
    finally:
        box.close()
