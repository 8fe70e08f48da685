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
OUTBOX = Shortcut(("Ctrl+O",), "Open the outbox")
COMPACT = Shortcut(("Ctrl+M",), "Compact, always-on-top mode on or off")
SETTINGS = Shortcut(("Ctrl+,",), "Open the settings")

ALL = (FIND, DIAL_NUMBER, DIAL, ANSWERED, HANG_UP, DISPOSITION, LOG, OUTBOX, COMPACT, SETTINGS)
