"""Sender: the outbox drained to Outreach on a thread of its own, never on the window's.

The window's thread only draws and answers the rep. The sender — its HTTP client, its
`SyncWorker`, and the SQLite commits it makes as operations go out — runs on a `LoopThread`
with its own asyncio loop, its own connection to the outbox file (the outbox is built for
several senders: claims, leases, waits checked against what is stored) and its own
`OutreachClient`. It shares the window's sign-in: the token is asked of the window's token
source, on the window's loop (`auth.on_loop`), so one refresh at a time is made and saved.

What the sender says comes back to the window's thread as signals (`sent`, `parked`, `changed`,
`problem`), gathered on the sender's thread and handed over together: when the sender pauses
(nothing more to send for now), and otherwise at most `TELL_EVERY_S` after the first of them.
A drain of hundreds of calls wakes the window's thread at most 20 times a second, not twice a
call (each wake took the window's thread about 0.3 ms, while the sender waited its turn at
Python).
Which operations it changed the window asks when it reads them (`touched()`). Logging a call
stays on the window's thread and durable before it returns; `wake()` then tells the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

from ..core.loop_thread import LoopThread
from ..core.outbox import Queue
from ..core.outreach import OutreachClient
from ..core.outreach.auth import TokenSource, on_loop
from ..core.sync import SyncWorker, sender_id

log = logging.getLogger(__name__)
T = TypeVar("T")

TELL_EVERY_S = 0.05  # what the sender says waits at most this long for the window to hear it


class Sender(QObject):
    """Sends the outbox from a worker thread; tells the window's thread by signals.

    Signals (received on the window's thread):
        changed(): the outbox changed (something went out, waits, was claimed).
        sent(object, object): an `Entry` reached Outreach, with Outreach's id (or None).
        parked(object): Outreach refused an `Entry` (as it stands now).
        problem(str): the sender met an unexpected error and restarted ('' once it runs
            cleanly again).
    """

    changed = Signal()
    sent = Signal(object, object)
    parked = Signal(object)
    problem = Signal(str)
    _told = Signal(object)  # what the sender said, in order: [(signal name, args), …]

    def __init__(self, outbox: Queue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._outbox = outbox
        self._thread = LoopThread("outbox-sender")
        self._worker: SyncWorker | None = None
        self._running: asyncio.Task[Any] | None = None  # the run, on the thread's loop
        self._queue: Queue | None = None  # the sender's connection to the outbox
        self._ended: set[int] = set()  # touched by a run that ended, not yet read
        self._lock = threading.Lock()
        self._starts = 0
        self._said: list[tuple[str, tuple[object, ...]]] = []  # the sender's thread's alone
        self._telling: asyncio.TimerHandle | None = None
        self._told.connect(self._on_told)

    # -- commands (window's thread) -----------------------------------------------------------

    def start(self, base_url: str, token: TokenSource) -> None:
        """Send to `base_url` with the window's `token` source (again, after a new sign-in or
        a new backend: the run before ends first). Nothing when the outbox could not open."""
        if self._outbox.refusal:
            return  # nothing can be in it, and its file must not be touched
        source = on_loop(token, asyncio.get_running_loop())
        self._thread.start()
        self._thread.submit(self._restart(base_url, source))

    def wake(self) -> None:
        """Something changed (a call was logged, the rep pressed retry): look again now."""
        self._thread.call(self._wake_worker)

    def resume(self) -> None:
        """The rep signed in again: release a held queue."""
        self._thread.call(self._resume_worker)

    async def aclose(self) -> None:
        """Stop sending: the run ends (claims not yet used are given back), the thread too."""
        await self._thread.aclose()
        self._worker = None

    # -- state (read from the window's thread) -----------------------------------------------

    def touched(self) -> set[int]:
        """The ids of the operations the sender changed since the last time this was asked."""
        with self._lock:
            ids, self._ended = self._ended, set()
            if self._queue is not None:
                ids |= self._queue.touched()
        return ids

    @property
    def held(self) -> str | None:
        return self._of_worker(lambda worker: worker.held, None)

    @property
    def problem_text(self) -> str:
        return self._of_worker(lambda worker: worker.problem, "")

    @property
    def crashes(self) -> int:
        return self._of_worker(lambda worker: worker.crashes, 0)

    @property
    def saving_budget_for(self) -> float | None:
        return self._of_worker(lambda worker: worker.saving_budget_for, None)

    def _of_worker(self, read: Callable[[SyncWorker], T], idle: T) -> T:
        """What `read` says of the running worker; `idle` while none runs."""
        worker = self._worker
        return read(worker) if worker is not None else idle

    # -- the thread ----------------------------------------------------------------------------

    def _wake_worker(self) -> None:
        if (worker := self._worker) is not None:
            worker.wake()

    def _resume_worker(self) -> None:
        if (worker := self._worker) is not None:
            worker.resume()

    async def _restart(self, base_url: str, source: TokenSource) -> None:
        self._starts += 1
        mine = self._starts
        before, self._running = self._running, asyncio.current_task()
        if before is not None and not before.done():
            before.cancel()  # it gives its claims back before the next run claims
            await asyncio.gather(before, return_exceptions=True)
        if mine == self._starts:  # else a later start runs instead
            await self._run(base_url, source)

    async def _run(self, base_url: str, source: TokenSource) -> None:
        queue = self._outbox.sibling()
        client = OutreachClient(base_url, source)
        worker = SyncWorker(
            queue,
            lambda: client,
            owner=sender_id(),
            on_change=lambda: self._say("changed"),
            on_sent=lambda entry, outreach_id: self._say("sent", entry, outreach_id),
            on_parked=lambda entry: self._say("parked", entry),
            on_problem=lambda text: self._say("problem", text),
            on_pause=self._tell,
        )
        with self._lock:
            self._worker, self._queue = worker, queue
        try:
            await worker.run()
        finally:
            if self._worker is worker:
                self._worker = None
            try:
                await client.aclose()
            finally:
                with self._lock:  # what it changed last stays to be read
                    self._ended |= queue.touched()
                    if self._queue is queue:
                        self._queue = None
                queue.close()
                with contextlib.suppress(RuntimeError):  # the window's side may be gone
                    self._tell()  # what this run said last, and its timer cancelled

    # -- what the sender says -----------------------------------------------------------------

    def _say(self, name: str, *args: object) -> None:
        """On the sender's thread: kept, to reach the window with what follows it."""
        self._said.append((name, args))
        if self._telling is None:
            self._telling = asyncio.get_running_loop().call_later(TELL_EVERY_S, self._tell)

    def _tell(self) -> None:
        """On the sender's thread: what it said since it last told, handed to the window."""
        if self._telling is not None:
            self._telling.cancel()
            self._telling = None
        said, self._said = self._said, []
        if said:
            self._told.emit(said)

    def _on_told(self, said: list[tuple[str, tuple[object, ...]]]) -> None:
        """On the window's thread: each said in order; `changed` once, after the rest."""
        changed = False
        for name, args in said:
            if name == "changed":
                changed = True
            else:
                getattr(self, name).emit(*args)
        if changed:
            self.changed.emit()
