"""The prospect card: who the rep is calling, where they are, and where they stand."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QVBoxLayout, QWidget

from ..core import settings as s
from ..core.hours import local_time
from ..core.hygiene import by_key, offered
from ..core.outreach.models import PhoneNumber
from ..core.phone import pretty
from .text import neutralise, one_line, plain
from .widgets import ValueLabel

if TYPE_CHECKING:
    from ..core.outreach.detail import ProspectDetail

WARN = "color: #b3261e; font-weight: bold;"
MAX_NUMBER_KEYS = 9


@dataclass(frozen=True, slots=True)
class LoggedLine:
    """A call logged from this window, as the card lists it."""

    at: datetime | None
    what: str  # the disposition, else the outcome
    inbound: bool
    state: str  # "queued", "sent (call 123)", …
    outreach_id: int | None = None


def _when(t: datetime | None) -> str:
    return t.astimezone().strftime("%d %b %H:%M") if t is not None else "—"


class ProspectCard(QFrame):
    """Name, title and company, local time, numbers to dial, sequence, task and last calls.

    Signals:
        dialRequested(object): the rep clicked (or pressed Alt+N on) a `PhoneNumber`.
    """

    dialRequested = Signal(object)

    def __init__(
        self,
        settings: s.Settings,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._now = now
        self.detail: ProspectDetail | None = None
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Prospect card")
        self.name = QLabel(self)
        self.name.setObjectName("card-name")
        font = self.name.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.name.setFont(font)
        self.name.setWordWrap(True)
        self.subtitle = QLabel(self)
        self.subtitle.setWordWrap(True)
        self.local_time = ValueLabel("Prospect local time", self, object_name="card-local-time")
        self.local_time.setWordWrap(True)
        self.warning = ValueLabel("Opt-out warning", self, object_name="card-warning")
        self.warning.setStyleSheet(WARN)
        self.warning.setWordWrap(True)
        self.numbers = QWidget(self)
        self._numbers_layout = QVBoxLayout(self.numbers)
        self._numbers_layout.setContentsMargins(0, 0, 0, 0)
        self._numbers_layout.setSpacing(2)
        self.phones = QLabel(self)  # "no numbers" and loading messages
        self.phones.setObjectName("card-phones")
        self.sequence = ValueLabel("Active sequence", self, object_name="card-sequence")
        self.sequence.setWordWrap(True)
        self.task = ValueLabel("Open call task", self, object_name="card-task")
        self.task.setWordWrap(True)
        self.calls = ValueLabel("Last calls", self, object_name="card-calls")
        self.calls.setWordWrap(True)
        plain(self.name, self.subtitle, self.phones)
        self.number_buttons: list[QPushButton] = []
        self._logged: list[LoggedLine] = []
        self._done_tasks: set[int] = set()
        self._compact = False
        layout = QVBoxLayout(self)
        for w in (
            self.name,
            self.subtitle,
            self.local_time,
            self.warning,
            self.numbers,
            self.phones,
            self.sequence,
            self.task,
            self.calls,
        ):
            layout.addWidget(w)
        for n in range(1, MAX_NUMBER_KEYS + 1):
            shortcut = QShortcut(QKeySequence(f"Alt+{n}"), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(partial(self._on_number_key, n))
        self._clock = QTimer(self)
        self._clock.setInterval(30_000)
        self._clock.timeout.connect(self.refresh_local_time)
        self.clear_prospect()

    def show_detail(self, detail: ProspectDetail) -> None:
        self.detail = detail
        p = detail.prospect
        self.name.setText(one_line(p.name))
        self.subtitle.setText(
            " · ".join(one_line(x) for x in (p.title, detail.account or p.company) if x)
        )
        self._set_numbers(list(p.phone_numbers))
        self.phones.setText("" if p.phone_numbers else "No phone numbers on file.")
        self.phones.setVisible(not p.phone_numbers)
        self.warning.setText(
            "Opted out of calls — calling needs your confirmation." if p.call_opted_out else ""
        )
        self.warning.setVisible(p.call_opted_out)
        seq = detail.sequence
        self.sequence.setText(
            f"Sequence: {one_line(seq.label)}" if seq else "Not in an active sequence."
        )
        self._show_activity()
        for w in (self.sequence, self.task, self.calls):
            w.show()
        self.refresh_local_time()
        self._clock.start()
        if self._compact:
            self._apply_compact()

    def set_logged(self, logged: list[LoggedLine], done_tasks: set[int]) -> None:
        """Calls the rep logged here that Outreach's list may not have yet (newest first), and
        call tasks those calls did: the card stays true without being read again."""
        if logged == self._logged and done_tasks == self._done_tasks:
            return
        self._logged, self._done_tasks = list(logged), set(done_tasks)
        if self.detail is not None:
            self._show_activity()

    def _show_activity(self) -> None:
        detail = self.detail
        if detail is None:
            return
        task = detail.task
        if task is not None and task.id in self._done_tasks:
            self.task.setText("Call task done: you logged a call for it.")
        elif task is not None:
            due = f"due {_when(task.due_at)}" if task.due_at else "no due date"
            note = f" — {neutralise(task.note)}" if task.note else ""
            self.task.setText(f"Open call task, {due}{note}")
        else:
            self.task.setText("No open call task.")
        known = {c.id for c in detail.last_calls}
        lines = [
            f"{_when(line.at)} · {one_line(line.what)}"
            + (" · inbound" if line.inbound else "")
            + f" · {line.state}"
            for line in self._logged
            if line.outreach_id is None or line.outreach_id not in known
        ]
        lines += [
            f"{_when(c.at)} · {one_line(c.disposition or c.outcome or 'no outcome')}"
            + (" · inbound" if c.direction == "inbound" else "")
            for c in detail.last_calls
        ]
        self.calls.setText("Last calls:\n" + "\n".join(lines) if lines else "No calls logged yet.")

    def set_compact(self, compact: bool) -> None:
        """In compact mode the card is who, their local time and the numbers Alt+1…9 call
        (with an opt-out warning): title, sequence, task and last calls wait for the full
        window."""
        self._compact = compact
        self._apply_compact()

    def _apply_compact(self) -> None:
        loaded = self.detail is not None
        for w in (self.sequence, self.task, self.calls):
            w.setVisible(loaded and not self._compact)
        self.subtitle.setVisible(not self._compact or not loaded)
        self.local_time.setVisible(loaded)
        self.numbers.setVisible(bool(self.number_buttons))

    def show_loading(self, name: str) -> None:
        self.detail = None
        self.name.setText(one_line(name))
        self.subtitle.setText("Loading…")
        self._set_numbers([])
        self.phones.hide()
        for w in (self.local_time, self.warning, self.sequence, self.task, self.calls):
            w.hide()

    def show_error(self, message: str) -> None:
        self.show_message(f"Could not load the prospect: {message}")

    def show_message(self, message: str) -> None:
        """What the card has to say instead of a prospect (a number nobody has, several
        people to pick from, a lookup that failed), under the card's title."""
        self.subtitle.setText(neutralise(message))

    def clear_prospect(self) -> None:
        self.detail = None
        self._clock.stop()
        self.name.setText("No prospect selected")
        self.subtitle.setText("Search above, then pick a match.")
        self._set_numbers([])
        for w in (self.phones, self.local_time, self.warning, self.sequence, self.task, self.calls):
            w.hide()

    def _set_numbers(self, numbers: list[PhoneNumber]) -> None:
        for button in self.number_buttons:
            button.deleteLater()
        self.number_buttons = []
        for item in offered(numbers):  # good numbers first, keyed; bad ones last, unkeyed
            number = item.number
            kind = one_line(number.phone_type or "phone", 40).capitalize()
            text = f"{kind}  {one_line(pretty(number.number), 60)}"
            if number.extension:
                text += f" ext. {one_line(number.extension, 40)}"
            if item.bad:
                text += " — bad number"
            button = QPushButton(text, self.numbers)
            button.setFlat(True)
            button.setStyleSheet(
                "text-align: left; padding: 2px 4px; color: palette(link);"
                + (" text-decoration: line-through; color: palette(mid);" if item.bad else "")
            )
            button.setAccessibleName(f"Call {text}")
            if item.bad:
                button.setToolTip("Marked as a bad number (wrong or dead): calling it asks first")
            elif item.key is not None:
                button.setToolTip(f"Call this number (Alt+{item.key})")
                button.setAccessibleDescription(f"Alt+{item.key}")
                button.setText(f"{text}   Alt+{item.key}")
            button.clicked.connect(partial(self._on_number_clicked, number))
            self._numbers_layout.addWidget(button)
            self.number_buttons.append(button)
        self.numbers.setVisible(bool(numbers))

    def _on_number_key(self, n: int) -> None:
        number = by_key(self.detail.prospect.phone_numbers, n) if self.detail else None
        if number is not None:  # never a number marked bad
            self.dialRequested.emit(number)

    def _on_number_clicked(self, number: PhoneNumber) -> None:
        self.dialRequested.emit(number)

    def refresh_local_time(self) -> None:
        if self.detail is None:
            return
        lt = local_time(
            self.detail.prospect.time_zone,
            self._now(),
            self._settings.get(s.CALL_HOURS_START),
            self._settings.get(s.CALL_HOURS_END),
        )
        if lt is None:
            self.local_time.setText("Local time unknown (no time zone on file).")
            self.local_time.setStyleSheet("")
        elif lt.within_hours:
            self.local_time.setText(lt.text)
            self.local_time.setStyleSheet("")
        else:
            self.local_time.setText(f"{lt.text} — outside calling hours")
            self.local_time.setStyleSheet(WARN)
        self.local_time.show()
