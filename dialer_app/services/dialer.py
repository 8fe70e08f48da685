"""DialerService: the Qt-facing side of the core; connects, looks up, logs, reports by signals."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.auth.tokens import OAuthToken, TokenSet
from ..core.calls import NewCall
from ..core.demo import SandboxProcess
from ..core.index import IndexUnusable, ProspectIndex
from ..core.index_sync import IndexSync, SyncReport
from ..core.outbox import Counts, Entry, Outbox, OutboxError
from ..core.outreach import OutreachClient, OutreachError
from ..core.outreach import errors as e
from ..core.outreach.client import StaticToken, TokenSource
from ..core.outreach.detail import ProspectDetail, load_prospect_detail
from ..core.outreach.models import Match, User
from ..core.outreach.reference import ReferenceCache
from ..core.outreach.search import CapabilityFile, ProspectSearch, checked, classify, rank
from ..core.outreach.tags import org_call_tags
from ..core.recent import RecentProspects
from ..core.sync import SyncWorker, sender_id
from .tasks import TaskRunner

log = logging.getLogger(__name__)
COUNTS_INTERVAL_MS = 100
HEALTH_INTERVAL_MS = 60_000
SEARCH_LIMIT = 21  # one more than the window shows, so that it can say "more than 20"
INDEX_INTERVAL_S = 300.0  # the local index is brought up to date this often


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
        searchFinished(str, list): the query and its `Match`es: Outreach's answer merged with
            the local index's, checked and ranked (possibly empty).
        recentFound(str, list): at once, before Outreach answers: the local index's matches
            (the rep's own prospects, those with open call tasks, those seen lately).
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
        syncProblem(str): the sender met an unexpected error and restarted, in plain words
            ('' once it runs cleanly again).
        indexSynced(object): a pass of the local index's sync finished (a `SyncReport`).
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
    syncProblem = Signal(str)
    indexSynced = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        backend_factory: BackendFactory,
        outbox: Outbox,
        *,
        region: str = "US",
        recent: RecentProspects | None = None,
        complete_call_task: Callable[[], bool] = lambda: False,
        index_path: Path | None = None,
        index_interval: float = INDEX_INTERVAL_S,
        parent: QObject | None = None,
    ) -> None:
        """`index_path` is the local index's file, the org's search capabilities beside it
        (default: next to the outbox, one of each per org)."""
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
        self._local: tuple[str, list[Match]] = ("", [])
        index_file = index_path or outbox.path.with_suffix(".index.sqlite3")
        self._capabilities = CapabilityFile(index_file.with_name(index_file.stem + ".search.json"))
        self.index = _open_index(index_file)
        self._index_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer")
        self._index_interval = index_interval
        self.prospect_search: ProspectSearch | None = None
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
            on_problem=self.syncProblem.emit,
        )

    # -- commands ---------------------------------------------------------------------------

    def start(self) -> None:
        self._runner.run(self._connect(), key="connect", on_error=self._on_connect_error)

    def search(self, text: str) -> None:
        """Look up `text`: at once when idle, else right after the lookup in flight.

        At most one lookup is in flight; while it runs only the newest text is kept, so typing
        fast costs one request per answer, and the answer to the last keystroke comes one round
        trip after the previous answer at worst. Matches from the local index (and prospects
        seen recently) are shown at once; Outreach's answer is merged with them.
        """
        query = text.strip()
        self._wanted = query
        if not query:
            self.searchFinished.emit("", [])
            return
        if not self._searching:
            self._start_search(query)
        try:  # after the request is on its way: the local search overlaps the network wait
            asyncio.get_running_loop().call_soon(self._show_local, query)
        except RuntimeError:  # no loop running (a script driving the service directly)
            self._show_local(query)

    def local_matches(self, text: str) -> list[Match]:
        """Matches from the local index and the recently seen prospects, checked and ranked."""
        cached_query, cached = self._local
        if cached_query == text:
            return cached
        query = classify(text, self._region)
        found = self.index.search(query) if self.index is not None else []
        seen = checked(query, (m.prospect for m in self.recent.search(text, self._region)))
        matches = rank(query, [*found, *seen], SEARCH_LIMIT)
        self._local = (text, matches)
        return matches

    def _show_local(self, query: str) -> None:
        if query != self._wanted or query == self._answered:
            return  # typing moved on, or Outreach already answered this query
        local = self.local_matches(query)
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
            parsed = classify(query, self._region)
            merged = rank(parsed, [*matches, *self.local_matches(query)], SEARCH_LIMIT)
            self.searchFinished.emit(query, merged)
            if parsed.kind == "partial phone" and not merged:
                self.searchFailed.emit(query, parsed.problem)
        if self._wanted and self._wanted != query:
            self._start_search(self._wanted)

    def set_region(self, region: str) -> None:
        """The country numbers typed without + belong to, from the next lookup on."""
        self._region = region
        self._local = ("", [])

    def find_number(self, number: str) -> None:
        """Who has this number (a link opened, a call coming in); emits numberFound — from the
        local index when Outreach cannot be asked."""

        def on_error(exc: BaseException) -> None:
            local = self.local_matches(number)
            if local:
                self.numberFound.emit(number, local)
            else:
                self.numberFailed.emit(number, _message(exc))

        self._runner.run(
            self._search(number, typed=False),
            key="number",
            on_success=lambda matches: self.numberFound.emit(number, matches),
            on_error=on_error,
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
        if self.index is not None:
            index, self.index = self.index, None
            await asyncio.get_running_loop().run_in_executor(self._index_writer, index.close_writer)
            index.close()
        self._index_writer.shutdown(wait=True)

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
            self.prospect_search = ProspectSearch(self.client, self._capabilities)
            self.client.prospect_search = self.prospect_search
        self.user = await self.client.current_user()
        self.connected.emit(self.user, self.backend.label)
        self._on_token_change()
        self._runner.run(self.sync.run(), key="sync")
        if self.index is not None:
            self._runner.run(
                self._keep_index(self.client, self.index, self.user.id),
                key="index",
                on_error=lambda exc: log.error("the local index stopped syncing: %s", exc),
            )
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

    async def _search(self, query: str, *, typed: bool = True) -> list[Match]:
        self._require_client()
        assert self.prospect_search is not None
        return await self.prospect_search.search(
            query,
            region=self._region,
            limit=SEARCH_LIMIT,
            superseded=(lambda: self._wanted != query) if typed else None,
        )

    async def _keep_index(self, client: OutreachClient, index: ProspectIndex, user: int) -> None:
        """Bring the local index up to date now and every `index_interval` seconds after."""
        sync = IndexSync(client, index, self._index_writer, user_id=user)
        while True:
            try:
                report: SyncReport = await sync.run_once()
            except Exception as exc:  # offline, refused, a full disk: the next pass tries again
                log.warning("the local index could not be brought up to date: %s", _message(exc))
            else:
                self._local = ("", [])
                log.info(
                    "local index: %d prospects written, %d with open call tasks, in %.1f s",
                    report.prospects,
                    report.tasks,
                    report.seconds,
                )
                self.indexSynced.emit(report)
            await asyncio.sleep(self._index_interval)

    def _require_client(self) -> OutreachClient:
        if self.client is None:
            raise OutreachError("Not connected to Outreach yet.")
        return self.client

    def _on_prospect_loaded(self, detail: ProspectDetail) -> None:
        self.recent.remember([detail.prospect])
        self._save_recent()
        if self.index is not None:  # seen lately: found from the index from now on
            index = self.index
            self._runner.run(
                self._on_index_writer(lambda: index.mark_seen([detail.prospect])),
                on_error=lambda exc: log.warning("could not keep a seen prospect: %s", exc),
            )
        self.prospectLoaded.emit(detail)

    async def _on_index_writer(self, work: Callable[[], object]) -> None:
        await asyncio.get_running_loop().run_in_executor(self._index_writer, work)
        self._local = ("", [])

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


def _open_index(path: Path) -> ProspectIndex | None:
    try:
        return ProspectIndex(path)
    except (IndexUnusable, OSError) as exc:  # only slower lookups: say so in the log
        log.warning("running without a local index: %s", exc)
        return None


def _message(exc: BaseException) -> str:
    if isinstance(exc, OutreachError):
        return exc.message
    return str(exc) or type(exc).__name__
