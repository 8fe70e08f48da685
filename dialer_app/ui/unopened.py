"""The stand-in for an outbox that could not be opened (see `ui.app.open_outbox`)."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from ..core.outbox import Outbox, OutboxError


class UnopenedOutbox(Outbox):
    """An empty outbox in memory in place of one that could not be opened: the window works
    (lookups, the card, the call in progress), the sender finds nothing to send, and logging a
    call says why it cannot be saved (the form keeps it). `path` names the real file."""

    def __init__(self, path: Path) -> None:
        super().__init__(Path(":memory:"))
        self.path = path

    def enqueue(self, *_args: object, **_kwargs: object) -> NoReturn:
        raise OutboxError(
            "The outbox cannot be opened (the notice at the top of the window says why)."
        )
