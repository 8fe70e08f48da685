"""The call desk, saved on every change so a crash, a kill or a power cut loses no call.

A draft is one small JSON file, private to the user, replaced atomically
(`files.write_json`: a temporary file renamed over it; flushed to the disk too when durable),
so it is always either the previous draft or the new one, never half of each. One that cannot
be read is moved aside and the rep is told (`files.set_aside_and_tell`).

Version 2 holds the whole desk (`CallDesk.to_data`): every call ringing, live, ended or in
wrap-up, the prospect on the card and what was typed before a call. A version 1 file (one call,
from before the desk) loads as a desk with that call.

A note longer than Outreach keeps (NOTE_MAX) is not put back whole into the form — one such line
would take the window minutes to lay out: the form gets the first NOTE_MAX characters, the
whole note goes to a text file beside the draft, and `notices` says where.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import files
from .clock import Clock
from .desk import CallDesk, DeskDataError
from .terms import NOTE_MAX
from .wrapup import new_vendor_call_id

VERSION = 2
_V1_PHASES = {"dialing": "ringing", "ringing": "ringing", "connected": "live", "ended": "ended"}


@dataclass(frozen=True, slots=True)
class Draft:
    """A version 1 draft: the one call in progress, as the app saved it before the desk."""

    state: str = "idle"
    direction: str = "outbound"
    dialed_at: str | None = None
    answered_at: str | None = None
    completed_at: str | None = None
    prospect_id: int | None = None
    prospect_name: str = ""
    vendor_call_id: str = ""
    form: dict[str, Any] = field(default_factory=dict)

    def to_desk(self) -> dict[str, Any]:
        """The same call as desk data (version 2)."""
        card = (
            {"id": self.prospect_id, "name": self.prospect_name}
            if self.prospect_id is not None
            else None
        )
        desk: dict[str, Any] = {"calls": [], "current": None, "card": card, "card_armed": True}
        if self.state == "idle":
            desk["spare_form"] = dict(self.form)
            return desk
        if self.state not in _V1_PHASES:
            raise DeskDataError(f"unknown call state {self.state[:20]!r}")
        call_id = self.vendor_call_id or new_vendor_call_id()
        desk["calls"] = [
            {
                "id": call_id,
                "phase": _V1_PHASES[self.state],
                "direction": "inbound" if self.direction == "inbound" else "outbound",
                "prospect": card,
                "dialed_at": self.dialed_at,
                "answered_at": self.answered_at,
                "completed_at": self.completed_at,
                "form": dict(self.form),
            }
        ]
        desk["current"] = call_id
        desk["spare_form"] = {}
        return desk


class DraftStore:
    """Saves and loads the desk of this app (one per outbox / backend).

    `notices` holds what the last `load_desk` has to tell the rep (a note set aside, a file
    that could not be read and was kept aside).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        self._flusher: concurrent.futures.ThreadPoolExecutor | None = None

    def flush_later(self) -> concurrent.futures.Future[None]:
        """Make the draft as saved now survive a power cut too, on a thread of its own: the
        caller does not wait for the disk. What a quick `save` wrote is already safe from a
        crash or a kill; this adds the fsync it skipped."""
        if self._flusher is None:
            self._flusher = concurrent.futures.ThreadPoolExecutor(1, "draft-flush")
        return self._flusher.submit(files.sync_file, self.path)

    def close(self) -> None:
        """Wait for a flush still on its way (on quit)."""
        if self._flusher is not None:
            self._flusher.shutdown(wait=True)
            self._flusher = None

    def save(self, desk: Mapping[str, Any], *, durable: bool = True) -> None:
        """Replace the saved desk atomically; an empty desk removes the file.

        `durable=False` skips the fsync: the new draft survives the app crashing or being
        killed (the system has it), not a power cut (the previous durable one comes back).
        """
        if _is_empty(desk):
            self.clear()
            return
        files.write_json(self.path, {"version": VERSION, "desk": desk}, durable=durable)

    def load(self) -> dict[str, Any] | None:
        """The saved desk data (version 1 converted), or None when there is none. A file that
        cannot be read is moved aside with a notice, never fatal."""
        self.notices = []
        try:
            raw = files.read_json(self.path)
            if raw is None:
                return None
            if not isinstance(raw, dict):
                raise DeskDataError("not a draft")
            version = raw.get("version")
            if version == 1:
                data = raw["draft"]
                if not isinstance(data, dict):
                    raise DeskDataError("not a draft")
                desk = Draft(**data).to_desk()
            elif version == VERSION:
                desk = raw["desk"]
                if not isinstance(desk, dict):
                    raise DeskDataError("not a desk")
            else:
                raise DeskDataError(f"unknown draft version {version!r}")
        except files.Unreadable as exc:
            self.set_aside(exc.reason)
            return None
        except (ValueError, KeyError, TypeError) as exc:
            self.set_aside(f"its content is not in the form the app writes ({exc})")
            return None
        return desk

    def load_desk(
        self, clock: Clock, *, is_logged: Callable[[str], bool] = lambda _id: False
    ) -> CallDesk | None:
        """The saved desk, back as it was (see `CallDesk.from_data`), or None."""
        data = self.load()
        if data is None:
            return None
        try:
            self._cap_notes(data)
            return CallDesk.from_data(data, clock, is_logged=is_logged)
        except (DeskDataError, ValueError, TypeError) as exc:
            self.set_aside(f"its content is not in the form the app writes ({exc})")
            return None

    def set_aside(self, why: str) -> None:
        """Move a draft that cannot be used aside, and say so (here and to the app)."""
        record = files.set_aside_and_tell(
            self.path,
            why[:200],
            what="The calls saved when the app last stopped",
            outcome="the app started without them",
        )
        self.notices.append(record.sentence())

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _cap_notes(self, desk: dict[str, Any]) -> None:
        """Notes longer than Outreach keeps: the first NOTE_MAX characters stay in the form,
        the whole note goes to a file beside the draft."""
        forms: list[tuple[str, str, dict[str, Any]]] = []
        spare = desk.get("spare_form")
        if isinstance(spare, dict):
            forms.append(("next", "the next call", spare))
        calls = desk.get("calls")
        for call in calls if isinstance(calls, list) else []:
            form = call.get("form") if isinstance(call, dict) else None
            if isinstance(form, dict):
                who = call.get("prospect")
                name = who.get("name") if isinstance(who, dict) else None
                number = call.get("number")
                label = name or number or "an unknown number"
                forms.append((str(call.get("id", "call"))[:63], f"the call with {label}", form))
        for key, what, form in forms:
            note = form.get("note")
            if not isinstance(note, str) or len(note) <= NOTE_MAX:
                continue
            safe = "".join(ch for ch in key if ch.isalnum() or ch == "-")[:63] or "call"
            keep = self.path.with_name(f"{self.path.stem}.note-{safe}.txt")
            form["note"] = note[:NOTE_MAX]
            head = (
                f"The note of {what} had {len(note):,} characters, more than Outreach keeps "
                f"({NOTE_MAX:,}): the form has the first {NOTE_MAX:,};"
            )
            try:
                files.write_atomic(keep, note)
            except OSError as exc:  # the draft itself keeps the whole note, under another name
                moved = files.set_aside(self.path)
                where = moved if moved is not None else self.path
                self.notices.append(
                    f"{head} it could not be written to a file of its own ({exc.strerror or exc}),"
                    f" so the whole note stays in {where}."
                )
            else:
                self.notices.append(f"{head} the whole note is in {keep}.")


def _is_empty(desk: Mapping[str, Any]) -> bool:
    spare = desk.get("spare_form")
    typed = isinstance(spare, Mapping) and any(spare.values())
    return not desk.get("calls") and desk.get("card") is None and not typed
