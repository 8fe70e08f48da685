"""CallQueue: the rep's call tasks due today or overdue, worked one after the other, and the
day's count — kept fresh in the background, and shown from a saved copy while Outreach cannot
be reached.

The list is `GET /tasks` for the signed-in rep (`core.outreach.tasks.due_call_tasks`, due by
the end of the rep's local day), read when the app connects, every `REFRESH_S` seconds, and a
few seconds after each logged call is delivered (a task completed after its call then leaves
the list). Each answer is saved beside the outbox (`core.worklist.QueueCache`): the app starts
on that copy, and keeps it when a read fails, saying from when it is.

What the rep does here shows at once, without waiting for Outreach: a task worked by a logged
call, snoozed or rescheduled leaves the list; a skipped one goes to its end. A snooze or a
reschedule Outreach refuses puts the task back and says why.

The task the rep opened is the one a call with that prospect links (`with_task` gives the
card that task instead of the prospect's first open one), so a callback — a task of its own,
not a sequence step — is linked and completed like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from ..core import settings as s
from ..core.clock import Clock, SystemClock
from ..core.outbox.followups import callback_step
from ..core.outreach.detail import CallTask, ProspectDetail
from ..core.outreach.errors import OutreachError
from ..core.outreach.tasks import due_call_tasks, reschedule_task, snooze_task
from ..core.today import DayCall, DayTally, calls_of_day, tally
from ..core.worklist import QueueCache, QueueItem, Why, WorkList, age_text, day_bounds, item_of
from .tasks import TaskRunner

if TYPE_CHECKING:
    from ..core.outbox import Entry, Step
    from ..core.outreach import OutreachClient
    from ..core.outreach.models import Prospect, User
    from .session import Services

log = logging.getLogger(__name__)

REFRESH_S = 120  # the list and the day's count are read again this often
AFTER_LOG_MS = 4_000  # after a delivered call: completing its task follows, then read again
LOCAL_CALLS = 300  # the outbox's newest calls read for the day's count (a day's and more)


def entry_call(entry: Entry) -> DayCall:
    """An outbox call as the day's count needs it."""
    a, r = entry.call.attributes, entry.call.relationships
    return DayCall(
        outreach_id=entry.outreach_id,
        vendor_call_id=entry.vendor_call_id,
        dialed_at=a.dialedAt,
        answered_at=a.answeredAt,
        completed_at=a.completedAt,
        created_at=entry.created_at,
        outcome=a.outcome or "",
        task_id=r.task.id if r.task is not None else None,
    )


class CallQueue(QObject):
    """The queue of call tasks and the day's count, for the window and the tray.

    Signals:
        changed(): the list, the open task, or where the list comes from changed.
        todayChanged(object): a new `DayTally`.
        told(str): something to tell the rep (a snooze Outreach refused, the list read again).
    """

    changed = Signal()
    todayChanged = Signal(object)
    told = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        settings: s.Settings,
        *,
        client: Callable[[], OutreachClient | None],
        user: Callable[[], User | None],
        cache: QueueCache | None = None,
        local_calls: Callable[[], Iterable[Entry]] = list,
        indexed: Callable[[int], Prospect | None] = lambda _id: None,
        clock: Clock | None = None,
        refresh_s: float = REFRESH_S,
        parent: QObject | None = None,
    ) -> None:
        """`client` and `user`: who to ask, once connected. `local_calls`: the outbox's recent
        calls (newest first; read when the app connects and at each refresh). `indexed`: a
        prospect from the local index (the card when Outreach cannot be asked)."""
        super().__init__(parent)
        self._runner = runner
        self._settings = settings
        self._client = client
        self._user = user
        self._cache = cache
        self._local_calls = local_calls
        self._indexed = indexed
        self.clock: Clock = clock or SystemClock()
        self.work = WorkList()
        self.problem = ""  # why the list shown is not Outreach's latest ("" when it is)
        self.loaded = False  # a list (Outreach's or the saved one) is there
        self.reading = False
        self._again = False
        self._pins: dict[int, QueueItem] = {}  # prospect id → the task opened for them
        self._local: dict[str, DayCall] = {}  # the outbox's calls, by vendorCallId
        self._seeded: datetime | None = None  # the day whose outbox calls `_local` was read for
        self._remote: list[DayCall] | None = None
        self.today = DayTally(goal=settings.get(s.DAILY_CALL_GOAL))
        self._timer = QTimer(self)
        self._timer.setInterval(int(refresh_s * 1000))
        self._timer.timeout.connect(self.refresh)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(AFTER_LOG_MS)
        self._soon.timeout.connect(self.refresh)
        if cache is not None:
            self._use_cache(None, "")

    # -- reading ------------------------------------------------------------------------------

    def hours(self) -> tuple[int, int]:
        """Calling hours (start, end) in the prospect's local time."""
        return self._settings.get(s.CALL_HOURS_START), self._settings.get(s.CALL_HOURS_END)

    def items(self) -> list[QueueItem]:
        """The tasks to work, in order (see `core.worklist.WorkList.visible`)."""
        return self.work.visible(self.clock.now(), *self.hours())

    def count(self) -> int:
        return self.work.count()

    def callable_count(self) -> int:
        return self.work.callable_count(self.clock.now(), *self.hours())

    def current(self) -> QueueItem | None:
        return self.work.get(self.work.current)

    def next_item(self) -> QueueItem | None:
        return self.work.next_item(self.clock.now(), *self.hours())

    def source_text(self) -> str:
        """Where the list comes from, for the panel's heading ("" when it is Outreach's latest)."""
        if not self.loaded:
            return "Reading your call tasks…" if self.reading else ""
        if not self.problem:
            return ""
        return f"Saved list from {age_text(self.work.as_of, self.clock.now())}: {self.problem}"

    def with_task(self, detail: ProspectDetail) -> ProspectDetail:
        """The card's data with the task the rep opened for this prospect, when there is one:
        a call with them links that task."""
        pin = self._pins.get(detail.prospect.id)
        if pin is None or pin.task_id in self.work.hidden:
            return detail
        task = CallTask(
            id=pin.task_id,
            due_at=pin.due_at,
            note=pin.note,
            sequence_id=pin.sequence_id,
            sequence_state_id=pin.sequence_state_id,
            sequence_step_id=pin.sequence_step_id,
        )
        return replace(detail, task=task)

    def offline_detail(self, prospect_id: int) -> ProspectDetail | None:
        """The card from the local index (numbers, company, time zone) and the task opened for
        them, when Outreach cannot be asked; None when the index does not have them."""
        prospect = self._indexed(prospect_id)
        if prospect is None:
            return None
        detail = ProspectDetail(
            prospect=prospect, account=prospect.company, sequences=(), task=None, last_calls=()
        )
        return self.with_task(detail)

    # -- the rep's keys -------------------------------------------------------------------------

    def open(self, task_id: int) -> QueueItem | None:
        """The rep opens this task: its prospect goes on the card with this task linked."""
        item = self.work.open(task_id)
        if item is not None and item.prospect_id is not None:
            self._pins[item.prospect_id] = item
        self.changed.emit()
        return item

    def skip(self) -> QueueItem | None:
        """The open task goes to the end of the list; the one skipped, or None."""
        skipped = self.work.get(self.work.skip())
        self.changed.emit()
        return skipped

    def close_task(self) -> None:
        """The card left the open task (the rep opened someone else)."""
        if self.work.current is not None:
            self.work.current = None
            self.changed.emit()

    def worked(self, task_id: int) -> None:
        """A logged call was linked to this task: it is done here."""
        self._hide(task_id, "worked")
        self._save()
        self.changed.emit()

    def on_call_queued(self, entry: Entry) -> None:
        """The outbox took a call: the task it links is worked, and the day counts it."""
        call = entry_call(entry)
        self._local[entry.vendor_call_id] = call
        if call.task_id is not None:
            self.worked(call.task_id)
        self._recount()

    def on_call_sent(self, entry: Entry, outreach_id: int) -> None:
        """A call reached Outreach: the count knows it by its id; the list is read again soon
        (its task may be completed after it)."""
        self._local[entry.vendor_call_id] = replace(entry_call(entry), outreach_id=outreach_id)
        self._soon.start()

    def snooze(self) -> QueueItem | None:
        """Snooze the open task (Outreach moves it a day on); the task, or None when none is
        open."""
        item = self.current()
        if item is None:
            return None
        self._act(item, "snoozed", lambda c: snooze_task(c, item.task_id), "snoozed")
        return item

    def reschedule(self, at: datetime, task_id: int | None = None) -> QueueItem | None:
        """Move the open task (or `task_id`) to `at`; the task, or None."""
        item = self.work.get(task_id if task_id is not None else self.work.current)
        if item is None:
            return None
        self._act(item, "rescheduled", lambda c: reschedule_task(c, item.task_id, at), "moved")
        return item

    def _act(
        self,
        item: QueueItem,
        why: Why,
        action: Callable[[OutreachClient], Coroutine[Any, Any, object]],
        done: str,
    ) -> None:
        client = self._client()
        if client is None:
            self.told.emit(f"Not connected to Outreach: the task with {item.who} stays as it is.")
            return
        self._hide(item.task_id, why)
        self.changed.emit()

        def failed(exc: BaseException) -> None:
            self.work.unhide(item.task_id)
            message = exc.message if isinstance(exc, OutreachError) else str(exc)
            self.told.emit(f"The task with {item.who} was not {done}: {message}")
            self.changed.emit()

        def succeeded(_task: object) -> None:
            self._save()
            self.told.emit(f"The task with {item.who} is {done}.")

        self._runner.run(action(client), on_success=succeeded, on_error=failed)

    def _hide(self, task_id: int, why: Why) -> None:
        self.work.hide(task_id, why)
        for pid, pin in list(self._pins.items()):
            if pin.task_id == task_id:
                del self._pins[pid]

    # -- keeping it fresh -----------------------------------------------------------------------

    def start(self) -> None:
        """Connected: read the list and the day now, then every few minutes."""
        user = self._user()
        if user is not None and self._cache is not None and not self.loaded:
            self._use_cache(user.id, "")
        self._seed_local()
        self.refresh()
        self._timer.start()

    async def aclose(self) -> None:
        """Stop: no more reads, and the read or action in flight is cancelled (on quit, or
        before another account's session)."""
        self._timer.stop()
        self._soon.stop()
        await self._runner.close()

    def refresh(self) -> None:
        """Read the list and the day's calls again (now, or right after the read in flight)."""
        if self.reading:
            self._again = True
            return
        client, user = self._client(), self._user()
        if client is None or user is None:
            return
        self.reading = True
        self._again = False
        start, end = day_bounds(self.clock.now())
        self._runner.run(
            self._read(client, user.id, start, end),
            key="queue",
            on_success=lambda result: self._on_read(user.id, result),
            on_error=lambda exc: self._on_read_failed(user.id, exc),
        )

    async def _read(
        self, client: OutreachClient, user_id: int, start: datetime, end: datetime
    ) -> tuple[list[QueueItem], list[DayCall] | None, datetime]:
        asked = self.clock.now()
        tasks = await due_call_tasks(client, user_id, end - timedelta(microseconds=1000))
        items = [i for i in (item_of(t) for t in tasks) if i is not None]
        try:
            calls: list[DayCall] | None = await calls_of_day(client, user_id, start)
        except OutreachError as exc:  # the list still counts: the day stays the outbox's
            log.info("today's calls could not be read: %s", exc.message)
            calls = None
        return items, calls, asked

    def _on_read(
        self, user_id: int, result: tuple[list[QueueItem], list[DayCall] | None, datetime]
    ) -> None:
        items, calls, asked = result
        self.reading = False
        self.work.replace_items(items, asked)
        for pin in list(self._pins.values()):  # a newer read of an opened task replaces it
            fresh = self.work.get(pin.task_id)
            if fresh is not None and pin.prospect_id is not None:
                self._pins[pin.prospect_id] = fresh
        self.loaded, self.problem = True, ""
        self._save(user_id)
        if calls is not None:
            self._remote = calls
        if self._seeded != day_bounds(self.clock.now())[0]:
            self._seed_local()  # a new day: read the outbox again (else kept up by its signals)
        self._recount()
        self.changed.emit()
        self._read_again()

    def _on_read_failed(self, user_id: int, exc: BaseException) -> None:
        self.reading = False
        message = exc.message if isinstance(exc, OutreachError) else str(exc)
        log.info("the call tasks could not be read: %s", message)
        if not self.loaded and self._cache is not None:
            self._use_cache(user_id, message)
        self.problem = f"Outreach could not be reached ({message})"
        self.changed.emit()
        self._read_again()

    def _read_again(self) -> None:
        if self._again:
            self.refresh()

    def _use_cache(self, user_id: int | None, problem: str) -> None:
        assert self._cache is not None
        cached = self._cache.load(user_id)
        if cached is None:
            return
        self.work.replace_items(cached.items, cached.as_of)
        for task_id, why in cached.hidden.items():
            self.work.hidden.setdefault(task_id, why)
        self.loaded = True
        self.problem = problem or "not read from Outreach yet"
        self.changed.emit()

    def _save(self, user_id: int | None = None) -> None:
        user = self._user()
        uid = user_id if user_id is not None else (user.id if user is not None else None)
        if self._cache is None or uid is None:
            return
        try:
            self._cache.save(uid, self.work)
        except OSError as exc:  # a cache: the list is read from Outreach next time
            log.warning("the list of call tasks could not be saved: %s", exc)

    # -- the day's count ------------------------------------------------------------------------

    def _seed_local(self) -> None:
        """The outbox's calls of the last two days (newest first, so it stops early). Read when
        the app connects and when the day changes; the outbox's signals keep it up after."""
        start, _end = day_bounds(self.clock.now())
        self._seeded = start
        since = start - timedelta(days=1)
        fresh: dict[str, DayCall] = {}
        worked: list[int] = []
        for entry in self._local_calls():
            if entry.created_at < since:
                break
            if entry.kind != "call" or entry.state == "discarded" or entry.damaged:
                continue
            call = entry_call(entry)
            fresh[entry.vendor_call_id] = call
            if call.task_id is not None and entry.created_at >= start:
                worked.append(call.task_id)
        self._local = fresh
        for task_id in worked:  # worked today here: hidden, even after a restart
            self.work.hidden.setdefault(task_id, "worked")

    def settings_changed(self) -> None:
        """Calling hours or the daily goal may have changed: order and count again."""
        self._recount()
        self.changed.emit()

    def _recount(self) -> None:
        start, end = day_bounds(self.clock.now())
        self.today = tally(
            self._local.values(),
            self._remote,
            start,
            end,
            goal=self._settings.get(s.DAILY_CALL_GOAL),
        )
        self.todayChanged.emit(self.today)


def callback_after_call(
    prospect_id: int,
    at: datetime,
    note: str = "",
    *,
    owner_id: int | None = None,
    zone: str = "",
    summary: str = "",
) -> Step:
    """The outbox's step for a callback asked for at wrap-up, to log with its call
    (`Logbook.log_call(call, then=(step,))`): a call task for the rep, created once the call
    is delivered. ValueError when it could not be sent as it is."""
    return callback_step(prospect_id, at, note, owner_id=owner_id, zone=zone, summary=summary)


def queue_for(
    services: Services, settings: s.Settings, runner: TaskRunner | None = None
) -> CallQueue:
    """The queue of the org `services` talk to: its saved copy beside that org's outbox, read
    once connected, told of every call the outbox takes and Outreach stores. Its reads run on
    `runner` (its own when not given)."""
    connection, logbook, lookup = services.connection, services.logbook, services.lookup
    index = lookup.index
    queue = CallQueue(
        runner or TaskRunner(),
        settings,
        client=lambda: connection.client,
        user=lambda: connection.user,
        cache=QueueCache(logbook.path.with_suffix(".queue.json")),
        local_calls=lambda: logbook.entries(limit=LOCAL_CALLS),
        indexed=(lambda pid: index.get(pid)) if index is not None else (lambda _pid: None),
        parent=logbook,
    )
    connection.connected.connect(lambda *_: queue.start())
    logbook.callQueued.connect(queue.on_call_queued)
    logbook.callSent.connect(queue.on_call_sent)
    return queue
