"""Logbook: the outbox's one owner — logs calls, sends them, and says what changed.

It is the only code that changes the outbox: logging a call (durable before it returns), the
sender's results, retry, resend, discard; it also reads it for whoever shows it (the status
bar, the tray, the Outbox dialog) and exports it. Every change is announced by one signal,
`changed`, carrying which operations changed and the new counts — at once for what the rep did,
at most one every `CHANGE_INTERVAL_MS` while the sender drains.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from ..core import files, memory
from ..core.calls import NewCall
from ..core.outbox import Counts, Entry, Outbox, Step
from ..core.outbox import OutboxError as OutboxError  # what a write raises when not stored
from ..core.outbox.prospects import (
    add_number_step,
    call_opt_out_step,
    create_prospect_steps,
    phone_status_step,
)
from ..core.outbox.report import export_csv, today
from ..core.outreach.models import PhoneNumber, Prospect
from ..core.phone import pretty_with_extension
from ..core.text import neutralise
from .connection import Connection
from .sender import Sender

if TYPE_CHECKING:
    from ..core.prospect_form import ProspectPlan
from .tasks import TaskRunner
from .throttle import Throttle

log = logging.getLogger(__name__)
CHANGE_INTERVAL_MS = 100
# A drained burst gives its memory back this long after the last change that found nothing left
# to send: the sender tells what it sent in batches, so "nothing left" can come a batch before
# the last calls are told — one trim per burst, not one per batch.
TRIM_AFTER_MS = 500


class OutboxChange:
    """What changed in the outbox: which operations, and the new counts.

    `entries`: those operations as they are when first asked, read then (only a view that
    lists them asks: a backlog of a thousand calls announced at once costs nobody else a
    read of a thousand rows). `budget_wait`: seconds writes wait for Outreach's hourly budget
    to reset, so that lookups keep working (None when they do not wait for it).
    """

    __slots__ = ("_entries", "_read", "budget_wait", "counts", "ids")

    def __init__(
        self,
        ids: frozenset[int],
        counts: Counts,
        budget_wait: float | None = None,
        read: Callable[[frozenset[int]], list[Entry]] | None = None,
    ) -> None:
        self.ids = ids
        self.counts = counts
        self.budget_wait = budget_wait
        self._read = read
        self._entries: tuple[Entry, ...] | None = None

    @property
    def entries(self) -> tuple[Entry, ...]:
        if self._entries is None:
            read = self._read
            self._entries = tuple(read(self.ids)) if read is not None and self.ids else ()
        return self._entries


@dataclass(frozen=True, slots=True)
class Description:
    """An operation as the Outbox view shows it."""

    what: str
    status: str
    details: str
    attention: bool


class Logbook(QObject):
    """Logs calls to the outbox and sends them; the only code that changes the outbox.

    Signals:
        callQueued(object): a call is safe in the outbox (an `Entry`); sending follows.
        callSent(object, int): a call (`Entry`) reached Outreach, with the Outreach call id.
        callParked(object): Outreach refused a call (`Entry`); its field errors say why.
        callFailed(str): the call could not even be stored; the form is kept.
        prospectCreated(str, object): the operation (its ref) created this `Prospect`.
        numberAdded(str, object): the operation (its ref) added this `PhoneNumber`.
        writeRefused(str, str): Outreach refused a prospect write (ref, why); it waits in the
            outbox to be fixed or discarded.
        writeDone(str): a prospect write (ref) reached Outreach.
        writeDropped(str): the rep discarded a prospect write (ref): it will never happen.
        changed(object): an `OutboxChange`: what changed, and the new counts.
        syncProblem(str): the sender met an unexpected error and restarted, in plain words
            ('' once it runs cleanly again).
    """

    callQueued = Signal(object)
    callSent = Signal(object, int)
    callParked = Signal(object)
    callFailed = Signal(str)
    prospectCreated = Signal(str, object)
    numberAdded = Signal(str, object)
    writeRefused = Signal(str, str)
    writeDone = Signal(str)
    writeDropped = Signal(str)
    changed = Signal(object)
    syncProblem = Signal(str)

    def __init__(
        self,
        runner: TaskRunner,
        outbox: Outbox,
        connection: Connection,
        *,
        complete_call_task: Callable[[], bool] = lambda: False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._runner = runner
        self._outbox = outbox
        self._connection = connection
        self._complete_call_task = complete_call_task
        self._sender = Sender(outbox, parent=self)
        self._closed = False
        self._sent_since_trim = 0
        self._sender.changed.connect(self._on_sender_change)
        self._sender.sent.connect(self._on_sender_sent)
        self._sender.parked.connect(self._on_sender_parked)
        self._sender.problem.connect(self._on_sender_problem)
        self._announce = Throttle(self._emit_change, CHANGE_INTERVAL_MS, parent=self)
        self._trim_soon = Throttle(self._trim_if_drained, TRIM_AFTER_MS, leading=False, parent=self)
        outbox.touched()  # what changed before: whoever shows the outbox reads it fresh
        connection.connected.connect(self._on_connection_connected)
        connection.signedIn.connect(self._sender.resume)

    # -- commands ---------------------------------------------------------------------------

    def log_call(
        self,
        call: NewCall,
        summary: str = "",
        *,
        then: tuple[Step, ...] = (),
        needs: Mapping[str, str] | None = None,
    ) -> Entry | None:
        """Commit the call (and what follows it) to the outbox — on disk when this returns —
        and wake the sender. None when it could not be stored (`callFailed` says why).
        `needs`: role → the reference of the operation the call waits for (`DeskCall.needs`)."""
        try:
            entry = self._outbox.enqueue(
                call,
                summary=summary,
                complete_task=self._complete_call_task(),
                then=then,
                needs=needs,
            )
        except (OutboxError, ValueError) as exc:
            self.callFailed.emit(str(exc))
            return None
        self.callQueued.emit(entry)
        self._changed_now()  # the rep sees the new call waiting at once
        self._sender.wake()
        return entry

    def submit(self, steps: list[Step]) -> list[Entry]:
        """Commit operations of any kind, in order, in one transaction, and wake the sender.
        Raises `OutboxError` or ValueError when they cannot be stored."""
        entries = self._outbox.submit(steps)
        self._changed_now()
        self._sender.wake()
        return entries

    # -- prospect writes (`ui.prospect_actions.Writes`) -----------------------------------------

    def create_prospect(self, plan: ProspectPlan, *, number_ref: str = "") -> None:
        """Create `plan.prospect` (its `ref` is the operation's), then add `plan.number` to
        them (operation `number_ref`) when there is one. Raises `OutboxError`/ValueError when
        they could not be stored."""
        self.submit(
            create_prospect_steps(
                plan.prospect,
                number=plan.number,
                extension=plan.extension,
                phone_type=plan.phone_type,
                raw_number=plan.raw_number,
                number_ref=number_ref,
            )
        )

    def add_number(
        self,
        ref: str,
        *,
        prospect_id: int,
        number: str,
        extension: str = "",
        phone_type: str = "work",
        who: str = "",
    ) -> None:
        """Add `number` to the prospect (nothing when they have it already)."""
        self.submit(
            [
                add_number_step(
                    prospect_id,
                    number,
                    extension=extension,
                    phone_type=phone_type,
                    ref=ref,
                    summary=who,
                )
            ]
        )

    def mark_number(
        self, ref: str, *, prospect_id: int, phone: PhoneNumber, bad: bool, who: str = ""
    ) -> None:
        """Mark the prospect's number bad (or good again)."""
        label = pretty_with_extension(phone.number, phone.extension)
        self.submit(
            [phone_status_step(prospect_id, phone.id, bad=bad, label=label, ref=ref, summary=who)]
        )

    def set_opt_out(self, ref: str, *, prospect_id: int, opted_out: bool, who: str = "") -> None:
        """Record that the prospect asked not to be called (or may be called again)."""
        self.submit([call_opt_out_step(prospect_id, opted_out=opted_out, ref=ref, summary=who)])

    def find(self, ref: str) -> Entry | None:
        """The operation with this reference (how it stands), if the outbox has it."""
        return self._outbox.find(ref)

    def pending_marks(self) -> list[Entry]:
        """Bad-number and opt-out operations not yet in Outreach (nor refused), oldest first."""
        pending = self._outbox.entries(states=("waiting", "sending"), limit=10_000)
        return [e for e in reversed(pending) if e.kind in ("phone_status", "call_opt_out")]

    def announce(self, entry: Entry) -> None:
        """Say what became of a prospect write (its signal), as when the sender settles it."""
        if entry.state == "sent":
            self._announce_sent(entry, entry.outreach_id)
        elif entry.state == "attention":
            self._announce_refusal(entry)
        elif entry.state == "discarded" and entry.kind in PROSPECT_WRITES:
            self.writeDropped.emit(entry.ref)

    def retry_now(self) -> None:
        """Everything waiting is due at once (the rep pressed "Retry now")."""
        self._outbox.retry_now()
        self._changed_now()
        self._sender.wake()

    def resend(self, entry_id: int, call: NewCall | None = None) -> None:
        """Send an operation that needs attention again (a call corrected by the rep)."""
        self._outbox.resend(entry_id, call)
        self._changed_now()
        self._sender.wake()

    def discard(self, entry_id: int) -> list[int]:
        """Throw an unsent operation away, with what needs it; the ids discarded."""
        gone = self._outbox.discard(entry_id)
        self._changed_now()
        for entry in self._outbox.get_many(gone):
            if entry.kind in PROSPECT_WRITES:
                self.writeDropped.emit(entry.ref)
        return gone

    def export_csv(self, path: Path) -> int:
        """Every operation as CSV, written whole (or not at all) at `path`; how many rows."""
        import io

        text = io.StringIO(newline="")
        rows = export_csv(self._outbox, text)
        files.write_atomic(path, text.getvalue())
        return rows

    def start(self) -> None:
        """Start sending on the sender's own thread (once connected, this happens by itself;
        again after a new connection)."""
        client = self._connection.client
        if client is not None:
            self._sender.start(client.base_url, client.token_source)

    def wake(self) -> None:
        self._sender.wake()

    async def aclose(self) -> None:
        """Stop sending (claims not yet used are given back); a last change is announced."""
        await self._sender.aclose()
        self._closed = True  # what the sender said last, still on its way, is not announced
        self._announce.cancel()
        self._trim_soon.cancel()
        await self._runner.close()

    # -- reading ----------------------------------------------------------------------------

    @property
    def path(self) -> Path:
        return self._outbox.path

    @property
    def refusal(self) -> str:
        """Why nothing can be logged ('' when the outbox is open)."""
        return self._outbox.refusal

    def counts(self) -> Counts:
        return self._outbox.counts()

    def today(self) -> Counts:
        return today(self._outbox)

    def entries(self, *, limit: int = 500) -> list[Entry]:
        """The newest operations not discarded, newest first."""
        return self._outbox.entries(states=("waiting", "sending", "sent", "attention"), limit=limit)

    def followers(self, entry_id: int) -> list[Entry]:
        """What follows an operation (a call's task completion, …)."""
        return self._outbox.followers(entry_id)

    def is_logged(self, vendor_call_id: str) -> bool:
        """Whether this call is in the outbox already (a draft reopened after a crash)."""
        return self._outbox.contains(vendor_call_id)

    @property
    def budget_wait(self) -> float | None:
        return self._sender.saving_budget_for

    @property
    def held(self) -> str | None:
        """Why sending is held until the rep signs in again (None when it is not)."""
        return self._sender.held

    @property
    def problem(self) -> str:
        """The sender's last unexpected error, in plain words ('' while it runs cleanly)."""
        return self._sender.problem_text

    @property
    def crashes(self) -> int:
        """Unexpected errors the sender survived since it started."""
        return self._sender.crashes

    def describe(self, entry: Entry) -> Description:
        """What the Outbox view says of an operation."""
        kind = self._outbox.kinds.get(entry.kind)
        what = kind.describe(entry) if kind is not None else entry.kind
        return Description(
            what,
            _status(entry, kind.done(entry) if kind else "Sent"),
            _details(entry),
            entry.state == "attention",
        )

    # -- the sender → the window ------------------------------------------------------------

    def _on_connection_connected(self, *_: object) -> None:
        self.start()

    def _on_sender_change(self) -> None:
        if not self._closed:
            self._announce()

    # What the sender said last may reach this thread after `aclose()` (queued signals): a
    # closed logbook says nothing of it.

    def _on_sender_sent(self, entry: Entry, outreach_id: int | None) -> None:
        if not self._closed:
            self._announce_sent(entry, outreach_id)

    def _on_sender_problem(self, text: str) -> None:
        if not self._closed:
            self.syncProblem.emit(text)

    def _announce_sent(self, entry: Entry, outreach_id: int | None) -> None:
        self._sent_since_trim += 1
        if entry.kind == "call" and outreach_id is not None:
            self.callSent.emit(entry, outreach_id)
        elif entry.kind == "create_prospect" and outreach_id is not None:
            self.prospectCreated.emit(entry.ref, _created_prospect(entry, outreach_id))
        elif entry.kind == "add_phone_number" and outreach_id is not None:
            self.numberAdded.emit(entry.ref, _added_number(entry, outreach_id))
        elif entry.kind in PROSPECT_WRITES:
            self.writeDone.emit(entry.ref)

    def _on_sender_parked(self, entry: Entry) -> None:
        if self._closed:
            return
        if entry.kind == "call":
            self.callParked.emit(entry)
        elif entry.kind in PROSPECT_WRITES:
            self._announce_refusal(entry)
        self._changed_now()

    def _announce_refusal(self, entry: Entry) -> None:
        if entry.kind in PROSPECT_WRITES:
            why = _details(entry) or "Outreach refused it."
            self.writeRefused.emit(entry.ref, why)

    def _changed_now(self) -> None:
        if self._closed:
            return
        self._announce()
        self._announce.flush()

    def _emit_change(self) -> None:
        ids = frozenset(self._outbox.touched() | self._sender.touched())
        counts = self._outbox.counts()
        self.changed.emit(OutboxChange(ids, counts, self.budget_wait, self._outbox.get_many))
        if self._sent_since_trim and not counts.unsent:
            self._trim_soon()

    def _trim_if_drained(self) -> None:
        """A burst is over: what it took goes back to the system."""
        if self._closed or not self._sent_since_trim or self._outbox.counts().unsent:
            return
        self._sent_since_trim = 0
        memory.trim()


PROSPECT_WRITES = frozenset({"create_prospect", "add_phone_number", "phone_status", "call_opt_out"})


def _created_prospect(entry: Entry, outreach_id: int) -> Prospect:
    fields = entry.body.get("prospect")
    fields = fields if isinstance(fields, dict) else {}

    def text(name: str) -> str:
        value = fields.get(name)
        return value if isinstance(value, str) else ""

    return Prospect(
        outreach_id,
        text("firstName"),
        text("lastName"),
        title=text("title"),
        company=text("company"),
    )


def _added_number(entry: Entry, outreach_id: int) -> PhoneNumber:
    body = entry.body

    def text(name: str) -> str:
        value = body.get(name)
        return value if isinstance(value, str) else ""

    return PhoneNumber(outreach_id, text("number"), text("phoneType"), text("extension"))


def _status(entry: Entry, done: str) -> str:
    if entry.state == "sent":
        return done
    if entry.state == "attention":
        return "Needs attention"
    if entry.state == "sending":
        return "Sending…"
    if entry.state == "discarded":
        return "Discarded"
    waiting = entry.waiting_for
    if waiting:
        link = waiting[0]
        stuck = " (it needs attention)" if link.state == "attention" else ""
        return f"Waiting for its {link.role}{stuck}"
    # A write whose fate is unknown: Outreach is asked (again, over a window) before any resend.
    return "Checking whether Outreach got it" if entry.uncertain else "Waiting to sync"


def _details(entry: Entry) -> str:
    """What went wrong, in Outreach's words (bidi controls removed)."""
    if entry.field_errors:
        return neutralise("; ".join(str(f) for f in entry.field_errors))
    return neutralise(entry.last_error)
