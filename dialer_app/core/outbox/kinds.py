"""Kinds of operation: what the outbox needs to know to send one, find one, and show one.

A kind is a `Kind` subclass registered in `built_in()`. The queue stores an operation's `body`
(JSON) and hands the operation to the sender, which calls its kind:

- `check(body)` reads the saved body (raising when it cannot be used: the operation is set aside
  as damaged, never blocking the ones behind it); what it returns is kept on the entry
  (`Entry.payload`) so that the body is read once;
- `send(client, entry, given)` makes the write and says what Outreach gave (`Delivered`: the id
  it created or changed). `given` maps each role the operation needs (`Step.needs`) to that
  earlier operation, delivered: a call that waits for a new prospect reads its id there;
- `look(client, entry, given)` finds the operation in Outreach after a write of unknown fate
  (`Delivered`), or None when reads do not show it (yet): the sender keeps looking over a window
  before it sends again. A kind whose write can be repeated harmlessly sets `idempotent` and is
  sent again at once; one whose write must never be repeated, even after a clean answer, sets
  `look_first` (it is looked for before every send). A kind whose write neither reads nor
  changes what another write of its kind touches sets `together`: two of them may be in flight
  at once (logged calls; a task completion moves a sequence on, so it goes alone);
- `describe(entry)` and `done(entry)` are what the Outbox view says: what the operation is, and
  its status once delivered.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar, cast

if TYPE_CHECKING:
    from ..outreach.client import OutreachClient
    from .queue import Entry

JsonObject = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delivered:
    """What Outreach gave for an operation: the id of what it created or changed."""

    outreach_id: int | None = None


Given = Mapping[str, "Entry"]
P = TypeVar("P")  # what a kind's `check` reads from a body


class Kind(abc.ABC, Generic[P]):
    """How one kind of operation is checked, sent, looked for and shown."""

    name: ClassVar[str]
    label: ClassVar[str]  # the noun the rep reads ("Call", "Task completion")
    roles: ClassVar[frozenset[str]] = frozenset()  # what it may wait for (`Step.needs` keys)
    idempotent: ClassVar[bool] = False  # sending twice does no harm: no look-up window
    look_first: ClassVar[bool] = False  # look for it before every send, not only after doubt
    together: ClassVar[bool] = False  # may be in flight alongside another of its kind

    def check(self, body: JsonObject) -> P:
        """The saved body, read; raise (any exception) when it cannot be sent."""
        return cast(P, body)

    def read(self, entry: Entry) -> P:
        """What `check` reads of the entry's body: kept on the entry since the queue read it
        (a body is read once), else read now."""
        if entry.payload is not None:
            return cast(P, entry.payload)
        return self.check(entry.body)

    @abc.abstractmethod
    async def send(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered:
        """Make the write; raise `OutreachError` when Outreach refuses or cannot be reached."""

    @abc.abstractmethod
    async def look(self, client: OutreachClient, entry: Entry, given: Given) -> Delivered | None:
        """Find the operation in Outreach (it may have been stored); None when not (yet)."""

    def describe(self, entry: Entry) -> str:
        """What the operation is, in one line for the Outbox view."""
        return self.label

    def done(self, entry: Entry) -> str:
        """Its status once delivered."""
        return "Sent" if entry.outreach_id is None else f"Sent ({entry.outreach_id})"


def built_in() -> dict[str, Kind[Any]]:
    """The kinds this version of the app sends, by name."""
    from .calls import CallKind
    from .followups import CallbackKind, CompleteTaskKind
    from .prospects import AddNumberKind, CallOptOutKind, CreateProspectKind, PhoneStatusKind

    kinds: list[Kind[Any]] = [
        CallKind(),
        CompleteTaskKind(),
        CallbackKind(),
        CreateProspectKind(),
        AddNumberKind(),
        PhoneStatusKind(),
        CallOptOutKind(),
    ]
    return {k.name: k for k in kinds}
