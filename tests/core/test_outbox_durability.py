"""Every write the rep counts on is fsynced: only a sender's claim renewal and its "sent" mark
may skip it, whatever came before on the same connection.

The queue keeps a connection's `PRAGMA synchronous` as its last transaction left it, so that a
sender marking calls sent one after the other does not switch it twice per call. This machine
runs the queue's operations in any order and reads what SQLite was told: every COMMIT of any
other operation happens with `synchronous=FULL`.
"""

from __future__ import annotations

import re
from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dialer_app.core.outbox import Outbox
from tests.support.calls import new_call

OWNER = "this-host:1:sender"
MAY_SKIP_FSYNC = {"confirm_claim", "mark_sent"}  # each says why it is safe (see the queue)
_MODE = re.compile(r"PRAGMA synchronous\s*=\s*(\w+)", re.IGNORECASE)


class Durability(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self._dir = TemporaryDirectory(prefix="outbox-durability-")
        self.outbox = Outbox(Path(self._dir.name) / "outbox.sqlite3")
        self.mode = "FULL"  # what the queue sets when it opens
        self.doing = "open"
        self.commits: list[tuple[str, str]] = []  # (operation, synchronous mode at COMMIT)
        self.claimed: list[int] = []
        self.logged: list[int] = []
        self.outbox._db.set_trace_callback(self._traced)

    def _traced(self, statement: str) -> None:
        if found := _MODE.search(statement):
            self.mode = found.group(1).upper()
        elif statement.strip().upper() == "COMMIT":
            self.commits.append((self.doing, self.mode))

    def _do(self, name: str) -> None:
        self.doing = name

    @rule(n=st.integers(1, 3))
    def log_calls(self, n: int) -> None:
        self._do("enqueue")
        for _ in range(n):
            self.logged.append(self.outbox.enqueue(new_call()).id)

    @rule(limit=st.integers(1, 4))
    def claim(self, limit: int) -> None:
        self._do("claim_batch")
        self.claimed += [entry.id for entry in self.outbox.claim_batch(OWNER, limit)]

    @precondition(lambda self: bool(self.claimed))
    @rule(data=st.data())
    def post_and_mark_sent(self, data: st.DataObject) -> None:
        entry = data.draw(st.sampled_from(self.claimed))
        self._do("confirm_claim")
        if self.outbox.confirm_claim(entry, OWNER, posting=True):
            self._do("mark_sent")
            self.outbox.mark_sent(entry, 4000 + entry)
        self.claimed.remove(entry)

    @precondition(lambda self: bool(self.claimed))
    @rule(data=st.data(), outcome=st.sampled_from(["retry", "attention", "checking", "unclaim"]))
    def post_and_fail(self, data: st.DataObject, outcome: str) -> None:
        entry = data.draw(st.sampled_from(self.claimed))
        self._do("confirm_claim")
        self.outbox.confirm_claim(entry, OWNER, posting=True)
        if outcome == "retry":
            self._do("mark_retry")
            self.outbox.mark_retry(entry, delay=0, error="Outreach is busy", uncertain=True)
        elif outcome == "attention":
            self._do("mark_attention")
            self.outbox.mark_attention(entry, "Outreach refused it", [])
        elif outcome == "checking":
            self._do("mark_checking")
            self.outbox.mark_checking(entry, delay=0, note="not in Outreach yet")
        else:
            self._do("unclaim")
            self.outbox.unclaim([entry])
        self.claimed.remove(entry)

    @rule()
    def release(self) -> None:
        self._do("release_claims")
        self.outbox.release_claims(OWNER)
        self.claimed.clear()

    @precondition(lambda self: bool(self.logged))
    @rule(data=st.data())
    def discard(self, data: st.DataObject) -> None:
        self._do("discard")
        gone = self.outbox.discard(data.draw(st.sampled_from(self.logged)))
        self.claimed = [entry for entry in self.claimed if entry not in gone]

    @rule()
    def retry_now(self) -> None:
        self._do("retry_now")
        self.outbox.retry_now()

    @invariant()
    def only_the_sender_s_marks_skip_the_fsync(self) -> None:
        skipped = [op for op, mode in self.commits if mode != "FULL" and op not in MAY_SKIP_FSYNC]
        assert not skipped, f"committed without fsync: {skipped}"

    def teardown(self) -> None:
        self.outbox.close()
        self._dir.cleanup()


Durability.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestDurability = Durability.TestCase


def test_a_sender_marking_calls_sent_switches_the_mode_once_not_per_call(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    switches: list[str] = []
    outbox._db.set_trace_callback(lambda sql: switches.extend(_MODE.findall(sql)))
    for _ in range(20):
        outbox.enqueue(new_call())
    switches.clear()
    for entry in outbox.claim_batch(OWNER, 20):
        assert outbox.confirm_claim(entry.id, OWNER, posting=True)
        outbox.mark_sent(entry.id, 4000 + entry.id)
    outbox.close()
    assert switches == ["NORMAL"]
