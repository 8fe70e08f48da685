"""The call in progress, saved on every change so a crash, a kill or a power cut loses nothing.

A draft is one small JSON file, replaced atomically (write a temporary file, fsync, rename), so
it is always either the previous draft or the new one, never half of each.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from .session import CallState, CallTimes
from .terms import Direction

VERSION = 1


@dataclass(frozen=True, slots=True)
class Draft:
    """Everything needed to put the window back as it was."""

    state: str = CallState.IDLE.value
    direction: str = "outbound"
    dialed_at: str | None = None
    answered_at: str | None = None
    completed_at: str | None = None
    prospect_id: int | None = None
    prospect_name: str = ""
    vendor_call_id: str = ""
    form: dict[str, Any] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return (
            self.state == CallState.IDLE.value
            and self.prospect_id is None
            and not any(v for v in self.form.values())
        )

    @classmethod
    def capture(
        cls,
        state: CallState,
        times: CallTimes,
        *,
        prospect_id: int | None,
        prospect_name: str,
        vendor_call_id: str,
        form: dict[str, Any],
    ) -> Draft:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None

        return cls(
            state=state.value,
            direction=times.direction,
            dialed_at=iso(times.dialed_at),
            answered_at=iso(times.answered_at),
            completed_at=iso(times.completed_at),
            prospect_id=prospect_id,
            prospect_name=prospect_name,
            vendor_call_id=vendor_call_id,
            form=dict(form),
        )

    def call_state(self) -> CallState:
        return CallState(self.state)

    def times(self) -> CallTimes:
        def parse(t: str | None) -> datetime | None:
            return datetime.fromisoformat(t) if t else None

        direction: Direction = "inbound" if self.direction == "inbound" else "outbound"
        return CallTimes(
            direction=direction,
            dialed_at=parse(self.dialed_at),
            answered_at=parse(self.answered_at),
            completed_at=parse(self.completed_at),
        )


class DraftStore:
    """Saves and loads the one draft of this app (per outbox / backend)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def save(self, draft: Draft, *, durable: bool = True) -> None:
        """Replace the saved draft atomically; an empty draft removes it.

        `durable=False` skips the fsync: the new draft survives the app crashing or being
        killed (the system has it), not a power cut (the previous durable one comes back).
        """
        if draft.is_empty:
            self.clear()
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = json.dumps({"version": VERSION, "draft": asdict(draft)}, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(prefix=".draft-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
                f.flush()
                if durable:
                    os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def load(self) -> Draft | None:
        """The saved draft, or None when there is none or it cannot be read."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            data = raw["draft"]
            draft = Draft(**data)
            draft.call_state()
            draft.times().check_order()
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            broken = self.path.with_suffix(".unreadable")
            with contextlib.suppress(OSError):
                os.replace(self.path, broken)
            return None
        return draft

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
