"""The services of one session (one backend): connection, lookup, logbook — built together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.outbox import Entry, Outbox
from ..core.recent import RecentProspects
from .connection import BackendFactory, Connection
from .logbook import Logbook
from .lookup import INDEX_INTERVAL_S, Lookup
from .tasks import TaskRunner


@dataclass
class Services:
    """What a window holds: one owner per job, each with its own task runner."""

    connection: Connection
    lookup: Lookup
    logbook: Logbook
    runners: tuple[TaskRunner, ...] = ()

    def on_failure(self, slot: Callable[[str], object]) -> None:
        """`slot(text)` for a background task of any of them that failed without a handler."""
        for runner in self.runners:
            runner.failed.connect(slot)

    def start(self) -> None:
        """Connect; the lookup and the logbook start their work once connected."""
        self.connection.start()

    async def aclose(self) -> None:
        """Stop sending first (claims given back), then the lookups, then the connection."""
        await self.logbook.aclose()
        await self.lookup.aclose()
        await self.connection.aclose()


def build_services(
    backend: BackendFactory,
    outbox: Outbox,
    *,
    region: str = "US",
    recent: RecentProspects | None = None,
    complete_call_task: Callable[[], bool] = lambda: False,
    index_path: Path | None = None,
    index_interval: float = INDEX_INTERVAL_S,
) -> Services:
    """The three services on `outbox`, wired to each other.

    `index_path`: the local index's file (default: beside the outbox, one per org).
    """
    runners = (TaskRunner(), TaskRunner(), TaskRunner())
    connection = Connection(runners[0], backend)
    lookup = Lookup(
        runners[1],
        connection,
        index_path or outbox.path.with_suffix(".index.sqlite3"),
        region=region,
        recent=recent,
        index_interval=index_interval,
    )
    logbook = Logbook(runners[2], outbox, connection, complete_call_task=complete_call_task)

    def on_logged(entry: Entry) -> None:
        lookup.used_tags(entry.call.attributes.tags or [])

    logbook.callQueued.connect(on_logged)
    return Services(connection, lookup, logbook, runners)
