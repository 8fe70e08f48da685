"""DialerService: the Qt-facing side of the core; connects, looks up, logs, reports by signals."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.calls import NewCall
from ..core.demo import SandboxProcess
from ..core.outbox import Counts, Entry, Outbox, OutboxError
from ..core.outreach import OutreachClient, OutreachError
from ..core.outreach.client import StaticToken
from ..core.outreach.detail import load_prospect_detail
from ..core.outreach.models import Disposition, Match, Purpose, User
from ..core.sync import SyncWorker, sender_id
from .tasks import TaskRunner

log = logging.getLogger(__name__)
COUNTS_INTERVAL_MS = 100


@dataclass
class Backend:
    """Where the app talks to: a real org, or the demo sandbox it started itself."""

    base_url: str
    token: str
    demo: bool
    label: str
    sandbox: SandboxProcess | None = None

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.stop()


BackendFactory = Callable[[], Awaitable[Backend]]


async def start_demo_backend(sandbox: SandboxProcess) -> Backend:
    """Start the demo sandbox without blocking the window; resolve once it answers."""
    sandbox.start()
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[str] = loop.create_future()

    def settle(result: str | None, error: BaseException | None) -> None:
        if ready.done():
            return
        if error is not None:
            ready.set_exception(error)
        else:
            ready.set_result(result or "")

    def wait_for_ready_line() -> None:  # a plain thread: the pipe read blocks
        try:
            url = sandbox.read_ready()
        except Exception as exc:
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, url, None)

    threading.Thread(target=wait_for_ready_line, name="sandbox-ready", daemon=True).start()
    try:
        base_url = await asyncio.wait_for(ready, 60)
    except BaseException:
        sandbox.stop()
        raise
    return Backend(base_url, sandbox.token, demo=True, label="Demo", sandbox=sandbox)


class DialerService(QObject):
    """Everything the window asks of Outreach, run in the background through the TaskRunner.

    Signals:
        connecting(str): what is being connected to.
        connected(object, str): the signed-in `User` and the backend label ("Demo" or the org).
        connectionFailed(str): could not reach or sign in to Outreach; the text says what to do.
        referenceLoaded(list, list): the org's dispositions and purposes, in their order.
        searchFinished(str, list): the query and its `Match`es (possibly empty).
        searchFailed(str, str): the query and what went wrong.
        prospectLoaded(object): a `ProspectDetail`: numbers, account, sequence, task, last calls.
        prospectFailed(str): what went wrong loading it.
        callQueued(object): the call is safe in the outbox (an outbox `Entry`); sync follows.
        callSent(object, int): an outbox `Entry` reached Outreach, with the Outreach call id.
        callParked(object): Outreach refused an `Entry`; its field errors say why.
        callFailed(str): the call could not even be stored; the form is kept.
        outboxChanged(object): new outbox `Counts` (waiting, sending, sent, needing attention).
    """

    connecting = Signal(str)
    connected = Signal(object, str)
    connectionFailed = Signal(str)
    referenceLoaded = Signal(list, list)
    searchFinished = Signal(str, list)
    searchFailed = Signal(str, str)
    prospectLoaded = Signal(object)
    prospectFailed = Signal(str)
    callQueued = Signal(object)
    callSent = Signal(object, int)
    callParked = Signal(object)
    callFailed = Signal(str)
    outboxChanged = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        backend_factory: BackendFactory,
        outbox: Outbox,
        *,
        region: str = "US",
        complete_call_task: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._complete_call_task = complete_call_task
        self._runner = runner
        self._backend_factory = backend_factory
        self._region = region
        self.outbox = outbox
        self.backend: Backend | None = None
        self.client: OutreachClient | None = None
        self.user: User | None = None
        self.disposition_names: dict[int, str] = {}
        self._wanted = ""
        self._searching = False
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_INTERVAL_MS)
        self._counts_timer.timeout.connect(self._emit_counts)
        self.sync = SyncWorker(
            outbox,
            lambda: self.client,
            owner=sender_id(),
            on_change=self._on_sync_change,
            on_sent=self.callSent.emit,
            on_parked=self.callParked.emit,
        )

    # -- commands ---------------------------------------------------------------------------

    def start(self) -> None:
        self._runner.run(self._connect(), key="connect", on_error=self._on_connect_error)

    def search(self, text: str) -> None:
        """Look up `text`: at once when idle, else right after the lookup in flight.

        At most one lookup is in flight; while it runs only the newest text is kept, so typing
        fast costs one request per answer, and the answer to the last keystroke comes one round
        trip after the previous answer at worst.
        """
        query = text.strip()
        self._wanted = query
        if not query:
            self.searchFinished.emit("", [])
            return
        if not self._searching:
            self._start_search(query)

    def _start_search(self, query: str) -> None:
        self._searching = True
        self._runner.run(
            self._search(query),
            key="search",
            on_success=lambda matches: self._on_search_done(query, matches, None),
            on_error=lambda exc: self._on_search_done(query, [], exc),
        )

    def _on_search_done(self, query: str, matches: list[Match], exc: BaseException | None) -> None:
        self._searching = False
        if exc is not None:
            self.searchFailed.emit(query, _message(exc))
        else:
            self.searchFinished.emit(query, matches)
        if self._wanted and self._wanted != query:
            self._start_search(self._wanted)

    def open_prospect(self, prospect_id: int) -> None:
        """Load everything the card shows; emits prospectLoaded(ProspectDetail)."""
        self._runner.run(
            load_prospect_detail(self._require_client(), prospect_id, self.disposition_names),
            key="prospect",
            on_success=self.prospectLoaded.emit,
            on_error=lambda exc: self.prospectFailed.emit(_message(exc)),
        )

    def log_call(self, call: NewCall, summary: str = "") -> Entry | None:
        """Commit the call to the outbox (on disk when this returns); the sync worker sends it."""
        try:
            entry = self.outbox.enqueue(
                call, summary=summary, complete_task=self._complete_call_task()
            )
        except (OutboxError, ValueError) as exc:
            self.callFailed.emit(str(exc))
            return None
        self.callQueued.emit(entry)
        self._emit_counts()  # the rep sees the new call waiting at once
        self.sync.wake()
        return entry

    def counts(self) -> Counts:
        return self.outbox.counts()

    async def aclose(self) -> None:
        self._counts_timer.stop()
        await self._runner.cancel_all()
        self._counts_timer.stop()  # a task may have asked for one more count while stopping
        if self.client is not None:
            await self.client.aclose()
            self.client = None
        if self.backend is not None:
            self.backend.close()
            self.backend = None

    # -- background work --------------------------------------------------------------------

    async def _connect(self) -> None:
        self.connecting.emit("Connecting to Outreach…")
        self.backend = await self._backend_factory()
        self.client = OutreachClient(self.backend.base_url, StaticToken(self.backend.token))
        self.user = await self.client.current_user()
        self.connected.emit(self.user, self.backend.label)
        self._runner.run(self.sync.run(), key="sync")
        dispositions: list[Disposition]
        purposes: list[Purpose]
        dispositions, purposes = await asyncio.gather(
            self.client.dispositions(), self.client.purposes()
        )
        self.disposition_names = {d.id: d.name for d in dispositions}
        self.referenceLoaded.emit(dispositions, purposes)

    async def _search(self, query: str) -> list[Match]:
        return await self._require_client().search(query, region=self._region)

    def _require_client(self) -> OutreachClient:
        if self.client is None:
            raise OutreachError("Not connected to Outreach yet.")
        return self.client

    def _on_connect_error(self, exc: BaseException) -> None:
        log.warning("connecting failed: %s", exc)
        self.connectionFailed.emit(_message(exc))

    def _on_sync_change(self) -> None:
        """Coalesce outbox changes: at most one count and one signal per 100 ms."""
        if not self._counts_timer.isActive():
            self._counts_timer.start()

    def _emit_counts(self) -> None:
        self.outboxChanged.emit(self.outbox.counts())


def _message(exc: BaseException) -> str:
    if isinstance(exc, OutreachError):
        return exc.message
    return str(exc) or type(exc).__name__
