"""DialerService: the Qt-facing side of the core; connects, looks up, logs, reports by signals."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.auth.tokens import OAuthToken, TokenSet
from ..core.calls import NewCall
from ..core.demo import SandboxProcess
from ..core.outbox import Counts, Entry, Outbox, OutboxError
from ..core.outreach import OutreachClient, OutreachError
from ..core.outreach import errors as e
from ..core.outreach.client import StaticToken, TokenSource
from ..core.outreach.detail import ProspectDetail, load_prospect_detail
from ..core.outreach.models import Match, User
from ..core.outreach.reference import ReferenceCache
from ..core.outreach.tags import org_call_tags
from ..core.recent import RecentProspects
from ..core.sync import SyncWorker, sender_id
from .tasks import TaskRunner

log = logging.getLogger(__name__)
COUNTS_INTERVAL_MS = 100
HEALTH_INTERVAL_MS = 60_000
SEARCH_LIMIT = 21  # one more than the window shows, so that it can say "more than 20"


@dataclass
class Backend:
    """Where the app talks to: a real org, or the demo sandbox it started itself."""

    base_url: str
    token: str
    demo: bool
    label: str
    sandbox: SandboxProcess | None = None
    token_source: TokenSource | None = None  # a signed-in profile; else the static `token`

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
        searchFinished(str, list): the query and Outreach's `Match`es for it (possibly empty).
        recentFound(str, list): at once, before Outreach answers: recently seen matches.
        tagsLoaded(list): tags to suggest in the wrap-up (the rep's recent, then the org's).
        searchFailed(str, str): the query and what went wrong.
        numberFound(str, list): an E.164 number looked up by `find_number`, and its `Match`es.
        numberFailed(str, str): that number, and what went wrong.
        prospectLoaded(object): a `ProspectDetail`: numbers, account, sequence, task, last calls.
        prospectFailed(str): what went wrong loading it.
        callQueued(object): the call is safe in the outbox (an outbox `Entry`); sync follows.
        callSent(object, int): an outbox `Entry` reached Outreach, with the Outreach call id.
        callParked(object): Outreach refused an `Entry`; its field errors say why.
        callFailed(str): the call could not even be stored; the form is kept.
        outboxChanged(object): new outbox `Counts` (waiting, sending, sent, needing attention).
        tokenChanged(str): how the sign-in stands ("token valid 118 min", "Sign in again").
        signInRequired(str): the sign-in is gone; the queue is held until the rep signs in.
    """

    connecting = Signal(str)
    connected = Signal(object, str)
    connectionFailed = Signal(str)
    referenceLoaded = Signal(list, list)
    tagsLoaded = Signal(list)
    searchFinished = Signal(str, list)
    recentFound = Signal(str, list)
    searchFailed = Signal(str, str)
    numberFound = Signal(str, list)
    numberFailed = Signal(str, str)
    prospectLoaded = Signal(object)
    prospectFailed = Signal(str)
    callQueued = Signal(object)
    callSent = Signal(object, int)
    callParked = Signal(object)
    callFailed = Signal(str)
    outboxChanged = Signal(object)
    tokenChanged = Signal(str)
    signInRequired = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        backend_factory: BackendFactory,
        outbox: Outbox,
        *,
        region: str = "US",
        recent: RecentProspects | None = None,
        complete_call_task: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._complete_call_task = complete_call_task
        self._runner = runner
        self.recent = recent if recent is not None else RecentProspects()
        self._backend_factory = backend_factory
        self._region = region
        self.outbox = outbox
        self.backend: Backend | None = None
        self.client: OutreachClient | None = None
        self.user: User | None = None
        self.disposition_names: dict[int, str] = {}
        self.org_tags: list[str] = []
        self.reference: ReferenceCache | None = None
        self._wanted = ""
        self._answered = ""
        self._searching = False
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_INTERVAL_MS)
        self._counts_timer.timeout.connect(self._emit_counts)
        self._health_timer = QTimer(self)  # "token valid N min" stays true as time passes
        self._health_timer.setInterval(HEALTH_INTERVAL_MS)
        self._health_timer.timeout.connect(self._emit_health)
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
        trip after the previous answer at worst. Prospects seen recently that match are shown at
        once; Outreach's answer replaces them.
        """
        query = text.strip()
        self._wanted = query
        if not query:
            self.searchFinished.emit("", [])
            return
        if not self._searching:
            self._start_search(query)
        try:  # after the request is on its way: the local scan overlaps the network wait
            asyncio.get_running_loop().call_soon(self._show_recent, query)
        except RuntimeError:  # no loop running (a script driving the service directly)
            self._show_recent(query)

    def _show_recent(self, query: str) -> None:
        if query != self._wanted or query == self._answered:
            return  # typing moved on, or Outreach already answered this query
        local = self.recent.search(query, self._region)
        if local:
            self.recentFound.emit(query, local)

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
            self._answered = query
            self.recent.remember(m.prospect for m in matches)
            self.searchFinished.emit(query, matches)
        if self._wanted and self._wanted != query:
            self._start_search(self._wanted)

    def set_region(self, region: str) -> None:
        """The country numbers typed without + belong to, from the next lookup on."""
        self._region = region

    def find_number(self, number: str) -> None:
        """Who has this number (a link opened, a call coming in); emits numberFound."""
        self._runner.run(
            self._search(number),
            key="number",
            on_success=lambda matches: self.numberFound.emit(number, matches),
            on_error=lambda exc: self.numberFailed.emit(number, _message(exc)),
        )

    def open_prospect(self, prospect_id: int) -> None:
        """Load everything the card shows; emits prospectLoaded(ProspectDetail)."""
        self._runner.run(
            load_prospect_detail(self._require_client(), prospect_id, self.disposition_names),
            key="prospect",
            on_success=self._on_prospect_loaded,
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
        if call.attributes.tags:
            self.recent.use_tags(call.attributes.tags)
            self.tagsLoaded.emit(self.tag_suggestions())
        self._save_recent()
        self.callQueued.emit(entry)
        self._emit_counts()  # the rep sees the new call waiting at once
        self.sync.wake()
        return entry

    def counts(self) -> Counts:
        return self.outbox.counts()

    async def aclose(self) -> None:
        self._health_timer.stop()
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

    @property
    def oauth(self) -> OAuthToken | None:
        """The signed-in profile's token source, when the app runs against one."""
        source = self.backend.token_source if self.backend else None
        return source if isinstance(source, OAuthToken) else None

    def signed_in(self, tokens: TokenSet) -> None:
        """The rep signed in again to this backend's profile: use the tokens, release the queue."""
        oauth = self.oauth
        if oauth is None:
            return
        oauth.replace(tokens)
        self.sync.resume()
        if self.user is None:
            self.start()

    async def _connect(self) -> None:
        self.connecting.emit("Connecting to Outreach…")
        if self.backend is None:
            self.backend = await self._backend_factory()
            if (oauth := self.oauth) is not None:
                oauth.on_change = self._on_token_change
                self._health_timer.start()
        if self.client is None:
            source = self.backend.token_source or StaticToken(self.backend.token)
            self.client = OutreachClient(self.backend.base_url, source)
            self.reference = ReferenceCache(self.client)
        self.user = await self.client.current_user()
        self.connected.emit(self.user, self.backend.label)
        self._on_token_change()
        self._runner.run(self.sync.run(), key="sync")
        await self._load_reference()
        self._runner.run(
            org_call_tags(self.client),
            key="tags",
            on_success=self._on_org_tags,
            on_error=lambda exc: log.warning("could not read the org's tags: %s", exc),
        )

    def refresh_reference(self) -> None:
        """Read the org's dispositions and purposes again, in the background (the window
        asks after a while away, and when Outreach refused a call naming one that is gone);
        referenceLoaded follows. A failure keeps the lists already shown."""
        if self.reference is None:
            return
        self._runner.run(
            self._load_reference(refresh=True),
            key="reference",
            on_error=lambda exc: log.warning("could not read dispositions and purposes: %s", exc),
        )

    async def _load_reference(self, *, refresh: bool = False) -> None:
        assert self.reference is not None
        reference = await self.reference.get(refresh=refresh)
        # Names of dispositions gone from the org stay known: calls logged with them say so.
        self.disposition_names = {
            **self.disposition_names,
            **{d.id: d.name for d in reference.dispositions},
        }
        self.referenceLoaded.emit(reference.dispositions, reference.purposes)

    def _on_org_tags(self, org_tags: list[str]) -> None:
        self.org_tags = org_tags
        self.tagsLoaded.emit(self.tag_suggestions())

    def tag_suggestions(self) -> list[str]:
        """Tags to suggest: the rep's recent ones first, then the org's most used."""
        return [*self.recent.tags, *self.org_tags]

    async def _search(self, query: str) -> list[Match]:
        return await self._require_client().search(query, region=self._region, limit=SEARCH_LIMIT)

    def _require_client(self) -> OutreachClient:
        if self.client is None:
            raise OutreachError("Not connected to Outreach yet.")
        return self.client

    def _on_prospect_loaded(self, detail: ProspectDetail) -> None:
        self.recent.remember([detail.prospect])
        self._save_recent()
        self.prospectLoaded.emit(detail)

    def _save_recent(self) -> None:
        try:
            self.recent.save()
        except OSError as exc:  # only a slower first lookup next time: say so in the log
            log.warning("could not save recently seen prospects: %s", exc)

    def _on_connect_error(self, exc: BaseException) -> None:
        log.warning("connecting failed: %s", exc)
        self.connectionFailed.emit(_message(exc))
        if isinstance(exc, e.SignInRequired):
            self.signInRequired.emit(_message(exc))

    def _emit_health(self) -> None:
        if (oauth := self.oauth) is not None:
            self.tokenChanged.emit(oauth.health())

    def _on_token_change(self) -> None:
        oauth = self.oauth
        if oauth is None:
            return
        self.tokenChanged.emit(oauth.health())
        if oauth.tokens is None:
            self.signInRequired.emit(f"Sign in to {oauth.profile.name} again.")

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
