"""Every keyboard shortcut of the window, defined once: the widgets bind these, and the settings
dialog and the README list them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shortcut:
    keys: tuple[str, ...]
    action: str

    @property
    def label(self) -> str:
        return " or ".join(self.keys)


FIND = Shortcut(("Ctrl+F",), "Go to the prospect search")
DIAL_NUMBER = Shortcut(("Alt+1…Alt+9",), "Call the card's first…ninth number")
DIAL = Shortcut(("F5",), "Dial: start the timer (dialedAt)")
ANSWERED = Shortcut(("F6",), "Answered (answeredAt); with no call running, an inbound call")
HANG_UP = Shortcut(("F7",), "Hang up (completedAt)")
DISPOSITION = Shortcut(("1…9",), "In the disposition list: pick the numbered disposition")
LOG = Shortcut(("Ctrl+Return", "Ctrl+Enter"), "Log call")
NEXT_CALL = Shortcut(("Ctrl+PgDown",), "Several calls: the next one into the wrap-up")
PREVIOUS_CALL = Shortcut(("Ctrl+PgUp",), "Several calls: the previous one into the wrap-up")
NEXT_TASK = Shortcut(("F8",), "Call tasks: open the next task's prospect, the task linked")
LOG_AND_NEXT = Shortcut(
    ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
    "Log & next: log the call (its call task done), then open the next call task",
)
SKIP_TASK = Shortcut(("F9",), "Call tasks: skip the open task (it goes to the end of the list)")
SNOOZE_TASK = Shortcut(("F10",), "Call tasks: snooze the open task (a day on, in Outreach)")
RESCHEDULE_TASK = Shortcut(("F11",), "Call tasks: reschedule the open task…")
CALL_BACK = Shortcut(("Alt+B",), "Wrap-up: call back… (a call task for later, in their time)")
DISCARD = Shortcut(("Ctrl+Shift+D",), "Discard the call in the wrap-up (not logged)")
UNDO_DISCARD = Shortcut(("Alt+U",), "Undo the discard (for a few seconds)")
REASSIGN = Shortcut(
    ("Ctrl+Shift+P",), "Wrong person: the call in the wrap-up is with the prospect on the card"
)
CREATE_PROSPECT = Shortcut(
    ("Ctrl+Shift+N",), "A call from a number nobody has: create the prospect it was with"
)
ADD_NUMBER = Shortcut(
    ("Ctrl+Shift+A",), "A call from a number nobody has: add the number to a prospect…"
)
REFER = Shortcut(
    ("Ctrl+Shift+W",), "Wrong person — log the call in the wrap-up to another (or a new) prospect…"
)
BAD_NUMBER = Shortcut(
    ("Ctrl+Shift+B",), "Wrap-up: the number called is wrong or dead (marked bad in Outreach)"
)
OPT_OUT = Shortcut(
    ("Ctrl+Shift+O",), "Wrap-up: the prospect asked not to be called (call opt-out in Outreach)"
)
OUTBOX = Shortcut(("Ctrl+O",), "Open the outbox")
COMPACT = Shortcut(("Ctrl+M",), "Compact, always-on-top mode on or off")
SETTINGS = Shortcut(("Ctrl+,",), "Open the settings")

ALL = (
    FIND,
    DIAL_NUMBER,
    DIAL,
    ANSWERED,
    HANG_UP,
    DISPOSITION,
    LOG,
    NEXT_CALL,
    PREVIOUS_CALL,
    NEXT_TASK,
    LOG_AND_NEXT,
    SKIP_TASK,
    SNOOZE_TASK,
    RESCHEDULE_TASK,
    CALL_BACK,
    DISCARD,
    UNDO_DISCARD,
    REASSIGN,
    CREATE_PROSPECT,
    ADD_NUMBER,
    REFER,
    BAD_NUMBER,
    OPT_OUT,
    OUTBOX,
    COMPACT,
    SETTINGS,
)
