"""The sender's life in any order, against the real sandbox: calls logged, the sender woken,
started again after a new sign-in, Outreach failing and healing, the sender crashing, the
logbook closed and opened again on the same outbox file.

After every step: no call is in Outreach twice, every call the outbox file says is sent is in
Outreach under the id the file holds, the logbook counts what the file holds, only the sender's
thread posts calls and marks them sent, a closed logbook says nothing more (even when its
sender's last words arrive late), and its sender thread is gone. Once Outreach is healthy and
the rep presses "Retry now": every call logged is in Outreach exactly once.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from PySide6.QtCore import QCoreApplication
from pytestqt.exceptions import TimeoutError as WaitTimedOut

from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach import OutreachClient
from dialer_app.core.outreach.client import StaticToken
from dialer_app.core.sync import SyncWorker
from dialer_app.services.connection import Backend, Connection
from dialer_app.services.logbook import Logbook
from dialer_app.services.sender import Sender
from dialer_app.services.tasks import TaskRunner
from tests.support.calls import new_call

PROSPECT = 5
SENDER_THREAD = "outbox-sender"
SETTLE_MS = 60_000  # how long the end may take to drain (never reached when it works)
# How Outreach fails for a while, and whether the calls it holds can be read meanwhile.
FAULTS: dict[str, tuple[dict[str, object], bool]] = {
    "maintenance": ({"maintenance": True, "retry_after_s": 1}, False),
    "server errors": ({"error_rate": 1.0, "error_statuses": [500, 502, 503]}, False),
    "rate limited": ({"burst_429": 3, "retry_after_s": 1}, False),
    "answers lost": ({"drop_after_commit": 2}, True),  # committed, then the connection drops
}
SIGNALS = (
    "callQueued",
    "callSent",
    "callParked",
    "callFailed",
    "prospectCreated",
    "numberAdded",
    "writeRefused",
    "writeDone",
    "writeDropped",
    "changed",
    "syncProblem",
)


class Heard:
    """Every signal of one logbook, and those it sent once closed."""

    def __init__(self, logbook: Logbook) -> None:
        self.closed = False
        self.late: list[str] = []
        self.last_counts: Any = None
        for name in SIGNALS:
            getattr(logbook, name).connect(lambda *args, name=name: self._heard(name, args))

    def _heard(self, name: str, args: tuple[Any, ...]) -> None:
        if self.closed:
            self.late.append(name)
        elif name == "changed":
            self.last_counts = args[0].counts


class Witness:
    """Which threads post calls, claim and mark them sent (set by the test, read by each run)."""

    posted_on: ClassVar[list[str]] = []
    marked_on: ClassVar[list[str]] = []
    crashes_armed: ClassVar[int] = 0


async def _never_connects() -> Backend:
    raise AssertionError("the machine gives the connection its client itself")


class SenderLifecycle(RuleBasedStateMachine):
    server: Any = None
    tokens: tuple[str, ...] = ()  # the sandbox's own, and one a sign-in gave
    qtbot: Any = None
    aio: Any = None
    tmp: Path | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.tmp is not None
        self.server.reset_faults()
        self.path = self.tmp / f"{uuid.uuid4().hex}.sqlite3"
        self.logged: list[str] = []  # vendorCallIds, in order
        self.readable = True  # Outreach answers reads (no fault that refuses them)
        self.clients: list[OutreachClient] = []
        self.closed: list[Heard] = []
        self.token = self.server.token
        Witness.posted_on.clear()
        Witness.marked_on.clear()
        Witness.crashes_armed = 0
        self._open()

    # -- the app's side ----------------------------------------------------------------------

    def _open(self) -> None:
        self.outbox = Outbox(self.path)
        self.connection = Connection(TaskRunner(), _never_connects)
        self.logbook = Logbook(TaskRunner(), self.outbox, self.connection)
        self.heard = Heard(self.logbook)
        self._connect(self.token)

    def _connect(self, token: str) -> None:
        """What `Connection` does once connected: a client, then `connected` starts sending."""
        client = OutreachClient(self.server.base_url, StaticToken(token))
        self.clients.append(client)
        self.connection.client = client
        self.logbook.start()

    def _await(self, coro: Any) -> Any:
        task = self.aio.create_task(coro)
        self.qtbot.waitUntil(task.done, timeout=15_000)
        return task.result()

    def _close(self) -> None:
        logbook, heard = self.logbook, self.heard
        sender = logbook.findChild(Sender)
        assert sender is not None
        self._await(logbook.aclose())
        heard.closed = True
        self.closed.append(heard)
        assert not _sender_threads(), "the sender thread outlived aclose()"
        # What a sender says right as it ends reaches the window's thread after aclose() (a
        # queued signal): the logbook says nothing of it.
        entries = self.outbox.entries(limit=1)
        sender.changed.emit()
        sender.problem.emit("late")
        if entries:
            sender.sent.emit(entries[0], 1)
            sender.parked.emit(entries[0])
        assert heard.late == []
        self.connection.client = None
        self._await(self.connection.aclose())
        self.outbox.close()

    # -- rules -------------------------------------------------------------------------------

    @rule(calls=st.integers(1, 3))
    def log_calls(self, calls: int) -> None:
        for _ in range(calls):
            entry = self.logbook.log_call(new_call(PROSPECT, outcome="Answered"), "Machine")
            assert entry is not None  # on disk when it returns
            self.logged.append(entry.vendor_call_id)

    @rule()
    def wake(self) -> None:
        self.logbook.wake()

    @rule()
    def retry_now(self) -> None:
        self.logbook.retry_now()

    @rule()
    def signed_in_again(self) -> None:
        """A new sign-in: another token and client; the sender starts again with them."""
        self.token = next(t for t in self.tokens if t != self.token)
        self._connect(self.token)

    @rule(how=st.sampled_from(sorted(FAULTS)))
    def outreach_fails(self, how: str) -> None:
        faults, readable = FAULTS[how]
        self.server.reset_faults()
        self.server.faults(**faults)
        self.readable = readable

    @rule()
    def outreach_heals(self) -> None:
        self.server.reset_faults()
        self.readable = True

    @rule()
    def sender_crashes_once(self) -> None:
        """The next claim raises, as a bug would: the sender is restarted and says so."""
        Witness.crashes_armed += 1
        self.logbook.wake()

    @rule()
    def closed_and_opened_again(self) -> None:
        """The app quits and starts again on the same outbox file."""
        self._close()
        self._open()

    def _where(self) -> str:
        return (
            "; ".join(
                f"{e.ref[:8]} {e.state} attempts={e.attempts} uncertain={e.uncertain}"
                f" error={e.last_error!r}"
                for e in self.outbox.entries(limit=1000)
            )
            + f"; held={self.logbook.held!r} problem={self.logbook.problem!r}"
        )

    # -- invariants --------------------------------------------------------------------------

    def _file(self) -> dict[str, tuple[str, int | None]]:
        """The outbox file's calls: vendorCallId → (state, Outreach id)."""
        with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as db:
            rows = db.execute(
                "SELECT ref, state, outreach_id FROM operations WHERE kind = 'call'"
            ).fetchall()
        db.close()
        return {ref: (state, outreach_id) for ref, state, outreach_id in rows}

    def _stored(self) -> dict[str, list[int]]:
        """Outreach's calls of the ones logged here: vendorCallId → the ids it holds them as."""
        ours = set(self.logged)
        with self.server.client() as api:
            got = api.get("/calls", params={"filter[prospect][id]": PROSPECT, "page[size]": 1000})
        assert got.status_code == 200, got.text
        stored: dict[str, list[int]] = {}
        for call in got.json()["data"]:
            vendor = call["attributes"]["vendorCallId"]
            if vendor in ours:
                stored.setdefault(vendor, []).append(int(call["id"]))
        return stored

    @invariant()
    def never_twice_and_sent_means_there(self) -> None:
        if not self.readable:
            return  # Outreach answers nobody meanwhile (the check reads it too)
        file = self._file()
        stored = self._stored()
        assert all(len(ids) == 1 for ids in stored.values()), stored
        for vendor, (state, outreach_id) in file.items():
            if state == "sent":
                assert stored.get(vendor) == [outreach_id], vendor

    @invariant()
    def the_logbook_counts_what_the_file_holds(self) -> None:
        counts = self.logbook.counts()  # before the file: the sender may send meanwhile
        file = self._file()
        assert sorted(file) == sorted(self.logged)  # every call logged is in it, and no other
        assert counts.calls == counts.total == len(self.logged)
        assert counts.attention == 0  # nothing here is refused
        assert counts.sent <= sum(state == "sent" for state, _ in file.values())

    @invariant()
    def only_the_sender_thread_posts_and_marks(self) -> None:
        assert set(Witness.posted_on) <= {SENDER_THREAD}
        assert set(Witness.marked_on) <= {SENDER_THREAD}

    @invariant()
    def a_closed_logbook_says_nothing(self) -> None:
        assert all(heard.late == [] for heard in self.closed)

    def teardown(self) -> None:
        try:
            self.server.reset_faults()
            self.readable = True
            Witness.crashes_armed = 0
            self.logbook.retry_now()  # the rep presses "Retry now" once Outreach is back
            every = len(self.logged)
            try:
                self.qtbot.waitUntil(lambda: self.outbox.counts().sent == every, timeout=SETTLE_MS)
            except WaitTimedOut as exc:  # say where each call stands
                raise AssertionError(f"not all sent: {self._where()}") from exc
            stored = self._stored()
            assert sorted(stored) == sorted(self.logged)  # none lost
            assert all(len(ids) == 1 for ids in stored.values())  # none twice
            self.never_twice_and_sent_means_there()
            # What the window was told last is how the file stands.
            self.qtbot.waitUntil(
                lambda: self.heard.last_counts == self.logbook.counts(), timeout=5_000
            )
            if self.logged:
                assert set(Witness.posted_on) == set(Witness.marked_on) == {SENDER_THREAD}
        finally:
            self._close()
            for client in self.clients:
                self._await(client.aclose())
        QCoreApplication.processEvents()  # what was still queued for the window's thread
        self.a_closed_logbook_says_nothing()


def _sender_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == SENDER_THREAD and t.is_alive()]


@pytest.fixture
def witnessed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Record the threads that post calls and mark them sent; crash a claim when armed."""
    post, mark, claim = OutreachClient.post_call, Outbox.mark_sent, Outbox.claim_batch

    async def post_call(client: OutreachClient, call: Any) -> Any:
        Witness.posted_on.append(threading.current_thread().name)
        return await post(client, call)

    def mark_sent(queue: Outbox, entry_id: int, outreach_id: int | None) -> None:
        Witness.marked_on.append(threading.current_thread().name)
        mark(queue, entry_id, outreach_id)

    def claim_batch(queue: Outbox, owner: str, limit: int) -> Any:
        if Witness.crashes_armed and threading.current_thread().name == SENDER_THREAD:
            Witness.crashes_armed -= 1
            raise RuntimeError("a bug while claiming")
        return claim(queue, owner, limit)

    # A call whose POST may have been stored is looked for over a window (Outreach's reads may
    # lag its writes) before any resend: a minute in the app, a second here (the sandbox does
    # not lag unless told to).
    monkeypatch.setitem(SyncWorker.__init__.__kwdefaults__, "checks", (0.3, 1.0))
    monkeypatch.setattr(OutreachClient, "post_call", post_call)
    monkeypatch.setattr(Outbox, "mark_sent", mark_sent)
    monkeypatch.setattr(Outbox, "claim_batch", claim_batch)


@pytest.mark.slow
def test_the_sender_in_any_order_sends_every_call_once(
    qtbot: Any, aio: asyncio.AbstractEventLoop, make_sandbox: Any, tmp_path: Path, witnessed: None
) -> None:
    assert not _sender_threads()
    server = make_sandbox("--prospects", "10", "--rate-limit", "1000000")
    SenderLifecycle.server = server
    SenderLifecycle.tokens = (server.token, str(server.sign_in()["access_token"]))
    SenderLifecycle.qtbot, SenderLifecycle.aio, SenderLifecycle.tmp = qtbot, aio, tmp_path
    run_state_machine_as_test(
        SenderLifecycle,
        settings=settings(
            max_examples=20,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
    assert not _sender_threads()


def test_a_closed_logbook_says_nothing_of_what_its_sender_says_late(
    qtbot: Any, aio: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    """Its sender's last signals, queued on their way to the window's thread, arrive after
    `aclose()`: the window hears none of them (a call "sent" by a closed session, a problem
    of a sender that is gone)."""
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        logbook = Logbook(TaskRunner(), outbox, Connection(TaskRunner(), _never_connects))
        entry = logbook.log_call(new_call(PROSPECT), "Late")
        assert entry is not None
        heard = Heard(logbook)
        closing = aio.create_task(logbook.aclose())
        qtbot.waitUntil(closing.done, timeout=5_000)
        heard.closed = True
        sender = logbook.findChild(Sender)
        assert sender is not None
        sender.sent.emit(entry, 4242)
        sender.parked.emit(entry)
        sender.problem.emit("Sending stopped on an unexpected error")
        sender.changed.emit()
        assert heard.late == []
    finally:
        outbox.close()
