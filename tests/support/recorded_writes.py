"""Writes recorded instead of queued: what the window asked the outbox for, and a way for the
test to say what became of each (created, added, refused, done, thrown away).

For tests of the window alone; the outbox's own operations are tested against the sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Signal

from dialer_app.services.logbook import OutboxError


@dataclass
class Asked:
    kind: str  # create_prospect, add_number, mark_number, set_opt_out
    ref: str
    args: dict[str, Any] = field(default_factory=dict)


class RecordedWrites(QObject):
    """A `ui.prospect_actions.Writes` that records; `refuse_next` makes the next write fail as
    a full disk would."""

    prospectCreated = Signal(str, object)
    numberAdded = Signal(str, object)
    writeRefused = Signal(str, str)
    writeDone = Signal(str)
    writeDropped = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[Asked] = []
        self.refuse_next = ""

    def _record(self, kind: str, ref: str, **args: Any) -> None:
        if self.refuse_next:
            message, self.refuse_next = self.refuse_next, ""
            raise OutboxError(message)
        self.asked.append(Asked(kind, ref, args))

    def create_prospect(self, plan: Any, *, number_ref: str) -> None:
        self._record("create_prospect", plan.prospect.ref, plan=plan, number_ref=number_ref)

    def add_number(self, ref: str, **args: Any) -> None:
        self._record("add_number", ref, **args)

    def mark_number(self, ref: str, **args: Any) -> None:
        self._record("mark_number", ref, **args)

    def set_opt_out(self, ref: str, **args: Any) -> None:
        self._record("set_opt_out", ref, **args)

    def find(self, ref: str) -> Any:
        return None  # nothing recorded is stored anywhere

    def announce(self, entry: Any) -> None:
        pass

    def pending_marks(self) -> list[Any]:
        return []

    def last(self, kind: str) -> Asked:
        found = [a for a in self.asked if a.kind == kind]
        assert found, f"no {kind} was asked for: {self.asked}"
        return found[-1]
