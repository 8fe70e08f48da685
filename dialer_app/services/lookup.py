"""Lookup: finding prospects and what the card and the wrap-up show.

Search as the rep types (Outreach's answer merged with the local index's, which comes first),
who has a number, a prospect's card, the recently seen prospects, the local index and its
background sync, the org's dispositions and purposes, and the tags to suggest. It starts its
background work (reference lists, tags, index) when the connection says `connected`.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..core.index import IndexUnusable, ProspectIndex
from ..core.index_sync import IndexSync, SyncReport
from ..core.outreach import OutreachClient
from ..core.outreach.detail import ProspectDetail, load_prospect_detail
from ..core.outreach.models import Match, User
from ..core.outreach.reference import ReferenceCache
from ..core.outreach.search import (
    CapabilityFile,
    ProspectSearch,
    checked,
    classify,
    digits_of,
    rank,
)
from ..core.outreach.tags import org_call_tags
from ..core.phone import with_extension
from ..core.recent import RecentProspects
from .connection import Connection, message
from .tasks import TaskRunner
from .throttle import Throttle

log = logging.getLogger(__name__)
INDEX_INTERVAL_S = 300.0  # the local index is brought up to date this often
SEARCH_LIMIT = 21  # one more than the window shows, so that it can say "more than 20"
# When Outreach answers this fast (a server nearby: the demo's), the local matches wait for its
# answer up to this long after the keystroke, so that the list is drawn once, with them merged
# in, not the local rows and then the whole list again a moment later (half a frame at most).
# Across a network Outreach takes far longer, and they show at once.
LOCAL_GRACE_S = 0.008
ROUND_TRIPS_KEPT = 5  # Outreach's last answers to typed text, for how fast it answers


class Lookup(QObject):
    """Everything the window looks up, run in the background through the TaskRunner.

    Signals:
        referenceLoaded(list, list): the org's dispositions and purposes, in their order.
        referenceFailed(str): they could not be read; the text says why.
        searchFinished(str, list): the query and its `Match`es: Outreach's answer merged with
            the local index's, checked and ranked (possibly empty).
        recentFound(str, list): the local index's matches, before Outreach answers (see
            `local_wait`; possibly none: the window then knows that only Outreach's answer is
            to come) (the rep's own prospects, those with open call tasks, those seen lately).
        searchFailed(str, str): the query and what went wrong.
        tagsLoaded(list): tags to suggest in the wrap-up (the rep's recent, then the org's).
        numberFound(str, list): an E.164 number looked up by `find_number`, and its `Match`es.
        numberFailed(str, str): that number, and what went wrong.
        prospectLoaded(object): a `ProspectDetail`: numbers, account, sequence, task, last calls.
        prospectFailed(str): what went wrong loading it.
        indexSynced(object): a pass of the local index's sync finished (a `SyncReport`).
    """

    referenceLoaded = Signal(list, list)
    referenceFailed = Signal(str)
    searchFinished = Signal(str, list)
    recentFound = Signal(str, list)
    searchFailed = Signal(str, str)
    tagsLoaded = Signal(list)
    numberFound = Signal(str, list)
    numberFailed = Signal(str, str)
    prospectLoaded = Signal(object)
    prospectFailed = Signal(str)
    indexSynced = Signal(object)

    def __init__(
        self,
        runner: TaskRunner,
        connection: Connection,
        index_path: Path,
        *,
        region: str = "US",
        recent: RecentProspects | None = None,
        index_interval: float = INDEX_INTERVAL_S,
        parent: QObject | None = None,
    ) -> None:
        """`index_path` is the local index's file; the org's search capabilities go beside it."""
        super().__init__(parent)
        self._runner = runner
        self._connection = connection
        self.recent = recent if recent is not None else RecentProspects()
        self._region = region
        self.disposition_names: dict[int, str] = {}
        self.org_tags: list[str] = []
        self.reference: ReferenceCache | None = None
        self.prospect_search: ProspectSearch | None = None
        self._searched_with: OutreachClient | None = None
        self._wanted = ""  # the newest text typed
        self._in_flight: str | None = None  # the query whose request is out
        self._answered = ""
        self._local_shown = ""  # the query whose local matches were shown (or found none)
        self._local: tuple[str, list[Match]] = ("", [])
        # when the newest text was typed (time.perf_counter: fine-grained on every system)
        self._typed_at = 0.0
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)  # seconds
        self._local_due: asyncio.TimerHandle | None = None  # the local matches' paint…
        self._local_due_for = ""  # …of this query
        self._closed = False
        self._capabilities = CapabilityFile(index_path.with_name(index_path.stem + ".search.json"))
        self.index = _open_index(index_path)
        self._index_writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer")
        self._index_interval = index_interval
        # One request in flight; while it runs, only the newest text waits to go next.
        self._searches = Throttle(self._start_search, 0, until_done=True, parent=self)
        connection.connected.connect(self._on_connection_connected)

    # -- commands ---------------------------------------------------------------------------

    def search(self, text: str) -> None:
        """Look up `text`: at once when idle, else right after the lookup in flight.

        At most one lookup is in flight; while it runs only the newest text is kept, so typing
        fast costs one request per answer, and the answer to the last keystroke comes one round
        trip after the previous answer at worst. Matches from the local index (and prospects
        seen recently) are searched once the request is on its way (at once when it waits its
        turn), so that the search overlaps Outreach's work instead of delaying the request,
        and shown as soon as `local_wait` says unless Outreach answered by then. Outreach's
        answer is merged with them.
        """
        if self._closed:
            return
        query = text.strip()
        self._typed_at = time.perf_counter()
        self._wanted = query
        self._answered = self._local_shown = ""  # the window shows neither for this text yet
        if not query:
            self._searches.cancel()
            self.searchFinished.emit("", [])
            return
        if query == self._in_flight:
            self._searches.cancel()  # the answer on its way is the one wanted
        else:
            self._searches(query)
            if self._in_flight == query:
                return  # sent now: its local matches follow once it is on its way
        self._show_local_soon(query)

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

    def set_region(self, region: str) -> None:
        """The country numbers typed without + belong to, from the next lookup on."""
        self._region = region
        self._local = ("", [])

    @property
    def region(self) -> str:
        return self._region

    def find_number(self, number: str, extension: str = "") -> None:
        """Who has this number (a link opened, a call coming in); emits numberFound — from the
        local index when Outreach cannot be asked. With an extension (`tel:…;ext=571`), the
        one whose number has it comes first among the people sharing the line; the rep still
        picks (one of them may have the extension in Outreach and not yet here)."""
        text = with_extension(number, digits_of(extension))  # `*`, `#` would make it a name

        def on_error(exc: BaseException) -> None:
            local = self.local_matches(text)
            if local:
                self.numberFound.emit(number, local)
            else:
                self.numberFailed.emit(number, message(exc))

        self._runner.run(
            self._search(text, typed=False),
            key="number",
            on_success=lambda matches: self.numberFound.emit(number, matches),
            on_error=on_error,
        )

    def find_prospects(
        self,
        text: str,
        done: Callable[[str, list[Match]], None],
        failed: Callable[[str, str], None],
    ) -> None:
        """A search of its own (a picker's, not the search box's): `done` at once with the
        local index's matches, then again with Outreach's merged in; `failed` when Outreach
        could not answer. A newer pick search cancels the one in flight. Closed, it says
        nothing."""
        if self._closed:
            return
        query = text.strip()
        local = self.local_matches(query) if query else []
        done(query, local)
        if not query:
            return
        parsed = classify(query, self._region)
        self._runner.run(
            self._search(query, typed=False),
            key="pick",
            on_success=lambda matches: done(query, rank(parsed, [*matches, *local])),
            on_error=lambda exc: failed(query, message(exc)),
        )

    def open_prospect(self, prospect_id: int) -> None:
        """Load everything the card shows; emits prospectLoaded(ProspectDetail)."""
        self._runner.run(
            self._load_prospect(prospect_id),
            key="prospect",
            on_success=self._on_prospect_loaded,
            on_error=lambda exc: self.prospectFailed.emit(message(exc)),
        )

    def refresh_reference(self) -> None:
        """Read the org's dispositions and purposes again, in the background (the window
        asks after a while away, and when Outreach refused a call naming one that is gone);
        referenceLoaded follows. A failure keeps the lists already shown."""
        if self.reference is None:
            return
        self._runner.run(
            self._load_reference(self.reference, refresh=True),
            key="reference",
            on_error=lambda exc: log.warning("could not read dispositions and purposes: %s", exc),
        )

    def tag_suggestions(self) -> list[str]:
        """Tags to suggest: the rep's recent ones first, then the org's most used."""
        return [*self.recent.tags, *self.org_tags]

    def used_tags(self, tags: Iterable[str]) -> None:
        """The rep logged a call with these tags: suggest them first from now on."""
        tags = list(tags)
        if tags:
            self.recent.use_tags(tags)
            self.tagsLoaded.emit(self.tag_suggestions())
        self._save_recent()

    async def aclose(self) -> None:
        """Stop the lookups and the index sync; close the local index. A local search asked
        for and not yet run (it runs in a later pass of the event loop) shows nothing; a lookup
        asked for after this asks Outreach nothing and says nothing."""
        self._closed = True
        self._searches.cancel()
        if self._local_due is not None:
            self._local_due.cancel()
        await self._runner.close()
        if self.index is not None:
            index, self.index = self.index, None
            await asyncio.get_running_loop().run_in_executor(self._index_writer, index.close_writer)
            index.close()
        self._index_writer.shutdown(wait=True)

    # -- background work --------------------------------------------------------------------

    def _on_connection_connected(self, user: User, _label: str) -> None:
        client = self._connection.client
        if client is None:
            return
        self._round_trips.clear()  # another server, maybe: how fast it answers is found anew
        self.reference = ReferenceCache(client)
        if self.index is not None:
            self._runner.run(
                self._keep_index(client, self.index, user.id),
                key="index",
                on_error=lambda exc: log.error("the local index stopped syncing: %s", exc),
            )
        self._runner.run(
            self._load_reference(self.reference),
            key="reference",
            on_error=self._on_reference_failed,
        )

    async def _load_reference(self, reference: ReferenceCache, *, refresh: bool = False) -> None:
        loaded = await reference.get(refresh=refresh)
        # Names of dispositions gone from the org stay known: calls logged with them say so.
        self.disposition_names = {
            **self.disposition_names,
            **{d.id: d.name for d in loaded.dispositions},
        }
        self.referenceLoaded.emit(loaded.dispositions, loaded.purposes)
        client = self._connection.client
        if client is not None and not refresh:
            self._runner.run(
                org_call_tags(client),
                key="tags",
                on_success=self._on_org_tags,
                on_error=lambda exc: log.warning("could not read the org's tags: %s", exc),
            )

    def _on_reference_failed(self, exc: BaseException) -> None:
        log.warning("could not read the org's dispositions and purposes: %s", exc)
        self.referenceFailed.emit(message(exc))

    def _on_org_tags(self, org_tags: list[str]) -> None:
        self.org_tags = org_tags
        self.tagsLoaded.emit(self.tag_suggestions())

    def _start_search(self, query: str) -> None:
        self._in_flight = query
        self._runner.run(
            self._typed_search(query),
            key="search",
            on_error=lambda exc: self._on_search_done(query, [], exc),
        )

    async def _typed_search(self, query: str) -> None:
        """Outreach's answer to typed text: read in one pass of the event loop, merged and
        shown in the next. Reading and showing at once is the longest piece of work the
        window's thread does while the rep types; in two, a timer or a keystroke due between
        them is not kept waiting behind both (measured: the longest stall with a busy core)."""
        asked: list[float] = []  # when the request went (none went: nothing worth asking)

        def on_its_way() -> None:
            asked.append(time.perf_counter())
            self._show_local_soon(query)

        matches = await self._search(query, waiting=on_its_way)
        if asked:
            self._round_trips.append(time.perf_counter() - asked[0])
        if self._local_due is not None and self._local_due_for == query:
            self._local_due.cancel()  # answered: they are shown with the answer, next pass
        await asyncio.sleep(0)  # the pass after this one
        self._on_search_done(query, matches, None)

    def _on_search_done(self, query: str, matches: list[Match], exc: BaseException | None) -> None:
        self._in_flight = None
        if exc is not None:
            self._show_local(query)  # not shown yet if the request never left: now, then why
            self.searchFailed.emit(query, message(exc))
        else:
            self._answered = query
            parsed = classify(query, self._region)
            merged = rank(parsed, [*matches, *self.local_matches(query)], SEARCH_LIMIT)
            self.searchFinished.emit(query, merged)
            # Kept for the next lookups once the window has drawn these (its own local
            # matches for this text are searched already): not in the way of their paint.
            self.recent.remember(m.prospect for m in matches)
            if parsed.kind == "partial phone" and not merged:
                self.searchFailed.emit(query, parsed.problem)
        self._searches.done()  # the newest text typed meanwhile goes now

    def _show_local_soon(self, query: str) -> None:
        """The local matches of `query`: searched in the next pass of the event loop (a request
        that was just written goes on waiting for its answer meanwhile), shown in a later pass
        (`local_wait`) — not at all when Outreach answered by then (its answer has them merged
        in). Each half is a short piece of work; whatever came in between (a timer, another
        keystroke, Outreach's answer) is not kept waiting behind both."""
        try:
            asyncio.get_running_loop().call_soon(self._search_local, query)
        except RuntimeError:  # no loop running (a script driving the service directly)
            self._show_local(query)

    def _search_local(self, query: str) -> None:
        if not self._local_wanted(query):
            return
        self.local_matches(query)  # kept (`self._local`) for the pass that shows them
        if self._local_due is not None:
            self._local_due.cancel()  # an earlier keystroke's: never shown now
        wait = local_wait(self._round_trips, self._typed_at, time.perf_counter())
        self._local_due = asyncio.get_running_loop().call_later(wait, self._show_local, query)
        self._local_due_for = query

    def _show_local(self, query: str) -> None:
        if self._local_wanted(query):
            self._local_shown = query
            self.recentFound.emit(query, self.local_matches(query))

    def _local_wanted(self, query: str) -> bool:
        """False once typing moved on, Outreach answered, they are shown already, or the
        lookups are closed."""
        return (
            not self._closed
            and query == self._wanted
            and query not in (self._answered, self._local_shown)
        )

    def _prospect_search(self) -> ProspectSearch:
        client = self._connection.require_client()
        if self.prospect_search is None or self._searched_with is not client:
            self.prospect_search = ProspectSearch(client, self._capabilities)
            client.prospect_search = self.prospect_search
            self._searched_with = client
        return self.prospect_search

    async def _search(
        self, query: str, *, typed: bool = True, waiting: Callable[[], None] | None = None
    ) -> list[Match]:
        search = self._prospect_search()
        return await search.search(
            query,
            region=self._region,
            limit=SEARCH_LIMIT,
            superseded=(lambda: self._wanted != query) if typed else None,
            waiting=waiting,
        )

    async def _load_prospect(self, prospect_id: int) -> ProspectDetail:
        client = self._connection.require_client()
        return await load_prospect_detail(client, prospect_id, self.disposition_names)

    async def _keep_index(self, client: OutreachClient, index: ProspectIndex, user: int) -> None:
        """Bring the local index up to date now and every `index_interval` seconds after."""
        sync = IndexSync(client, index, self._index_writer, user_id=user)
        while True:
            try:
                report: SyncReport = await sync.run_once()
            except Exception as exc:  # offline, refused, a full disk: the next pass tries again
                log.warning("the local index could not be brought up to date: %s", message(exc))
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


def local_wait(round_trips: Iterable[float], typed_at: float, now: float) -> float:
    """Seconds the local matches of text typed at `typed_at` wait for Outreach's answer, at
    `now`: until `LOCAL_GRACE_S` after the keystroke when Outreach's last answers to typed text
    (`round_trips`, seconds) came within it, by their median; else none."""
    trips = list(round_trips)
    if not trips or statistics.median(trips) > LOCAL_GRACE_S:
        return 0.0
    return min(LOCAL_GRACE_S, max(0.0, typed_at + LOCAL_GRACE_S - now))


def _open_index(path: Path) -> ProspectIndex | None:
    try:
        return ProspectIndex(path)
    except (IndexUnusable, OSError) as exc:  # only slower lookups: say so in the log
        log.warning("running without a local index: %s", exc)
        return None
