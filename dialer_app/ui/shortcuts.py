"""Every keyboard shortcut of the window, defined once: the window binds these, the settings
dialog lists them and lets the rep change the editable ones, and the README lists them.

A `KeyMap` is the table with the rep's own keys applied (`Settings.shortcuts()`); `problem`
says why a key cannot be given to a shortcut (typed into fields, used by text fields or the
desktop, kept for another action, or already another shortcut's).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtGui import QKeySequence

PORTABLE = QKeySequence.SequenceFormat.PortableText


@dataclass(frozen=True, slots=True)
class Shortcut:
    """One shortcut: its id (the settings key), its default keys and what it does.

    `scope` is "window" (anywhere in the window), "global" (anywhere on the desktop, while
    global shortcuts are on) or "field" (inside one field; fixed). `twin` is the window
    shortcut a global one stands for: they may share a key.
    """

    id: str
    keys: tuple[str, ...]
    action: str
    editable: bool = True
    scope: str = "window"
    twin: str = ""
    name: str = ""  # a few words for the settings field ("Dial"); the id's words by default

    @property
    def title(self) -> str:
        return self.name or self.id.replace("_", " ").capitalize()

    @property
    def label(self) -> str:
        """The default keys, as the README and tooltips write them."""
        return (" or " if len(self.keys) <= 2 else ", ").join(self.keys)


FIND = Shortcut("find", ("Ctrl+F",), "Go to the prospect search (what is there is selected)")
RESULTS = Shortcut(
    "results",
    ("Down",),
    "In the search box: into the matches; Enter opens the highlighted one, Esc goes back",
    editable=False,
    scope="field",
)
DIAL_NUMBER = Shortcut(
    "dial_number",
    ("Alt+1…Alt+9",),
    "Call the card's first…ninth number",
    editable=False,
)
DIAL = Shortcut("dial", ("F5",), "Dial: start the timer (dialedAt)")
ANSWERED = Shortcut(
    "answered", ("F6",), "Answered (answeredAt); with no call running, an inbound call"
)
HANG_UP = Shortcut("hang_up", ("F7",), "Hang up (completedAt)")
DISPOSITION = Shortcut(
    "disposition",
    ("1…9",),
    "In the disposition list: pick the numbered disposition; type a name for any of them",
    editable=False,
    scope="field",
)
FIELDS = Shortcut(
    "fields",
    ("Alt+D", "Alt+P", "Alt+T", "Alt+N", "Alt+S", "Alt+R"),
    "Wrap-up: to Disposition, Purpose, Tags, Notes, Sequence action, Recording link",
    editable=False,
)
LOG = Shortcut("log", ("Ctrl+Return", "Ctrl+Enter"), "Log call", name="Log call")
NEXT_CALL = Shortcut("next_call", ("Ctrl+PgDown",), "Several calls: the next one into the wrap-up")
PREVIOUS_CALL = Shortcut(
    "previous_call", ("Ctrl+PgUp",), "Several calls: the previous one into the wrap-up"
)
NEXT_TASK = Shortcut(
    "next_task",
    ("F8",),
    "Call tasks: open the next task's prospect, the task linked",
    name="Next task",
)
LOG_AND_NEXT = Shortcut(
    "log_and_next",
    ("Ctrl+Shift+Return", "Ctrl+Shift+Enter"),
    "Log & next: log the call (its call task done), then open the next call task",
    name="Log and next",
)
SKIP_TASK = Shortcut(
    "skip_task", ("F9",), "Call tasks: skip the open task (it goes to the end of the list)"
)
SNOOZE_TASK = Shortcut(
    "snooze_task", ("F10",), "Call tasks: snooze the open task (a day on, in Outreach)"
)
RESCHEDULE_TASK = Shortcut("reschedule_task", ("F11",), "Call tasks: reschedule the open task…")
CALL_BACK = Shortcut(
    "call_back",
    ("Alt+B",),
    "Wrap-up: call back… (a call task for later, in their time)",
    name="Call back",
)
DISCARD = Shortcut("discard", ("Ctrl+Shift+D",), "Discard the call in the wrap-up (not logged)")
UNDO_DISCARD = Shortcut("undo_discard", ("Alt+U",), "Undo the discard (for a few seconds)")
REASSIGN = Shortcut(
    "reassign",
    ("Ctrl+Shift+P",),
    "Wrong person: the call in the wrap-up is with the prospect on the card",
    name="Assign call",
)
CREATE_PROSPECT = Shortcut(
    "create_prospect",
    ("Ctrl+Shift+N",),
    "A call from a number nobody has: create the prospect it was with",
)
ADD_NUMBER = Shortcut(
    "add_number",
    ("Ctrl+Shift+A",),
    "A call from a number nobody has: add the number to a prospect…",
)
REFER = Shortcut(
    "refer",
    ("Ctrl+Shift+W",),
    "Wrong person — log the call in the wrap-up to another (or a new) prospect…",
    name="Wrong person — log to",
)
BAD_NUMBER = Shortcut(
    "bad_number",
    ("Ctrl+Shift+B",),
    "Wrap-up: the number called is wrong or dead (marked bad in Outreach)",
)
OPT_OUT = Shortcut(
    "opt_out",
    ("Ctrl+Shift+O",),
    "Wrap-up: the prospect asked not to be called (call opt-out in Outreach)",
    name="Asked not to be called",
)
OUTBOX = Shortcut("outbox", ("Ctrl+O",), "Open the outbox")
COMPACT = Shortcut(
    "compact", ("Ctrl+M",), "Compact, always-on-top mode on or off", name="Compact mode"
)
SETTINGS = Shortcut("settings", ("Ctrl+,",), "Open the settings")
GLOBAL_DIAL = Shortcut(
    "global_dial",
    ("Ctrl+Alt+Shift+D",),
    "From any app: Dial",
    scope="global",
    twin="dial",
    name="Dial from any app",
)
GLOBAL_ANSWERED = Shortcut(
    "global_answered",
    ("Ctrl+Alt+Shift+A",),
    "From any app: Answered",
    scope="global",
    twin="answered",
    name="Answered from any app",
)
GLOBAL_HANG_UP = Shortcut(
    "global_hang_up",
    ("Ctrl+Alt+Shift+H",),
    "From any app: Hang up",
    scope="global",
    twin="hang_up",
    name="Hang up from any app",
)
GLOBAL_LOG = Shortcut(
    "global_log",
    ("Ctrl+Alt+Shift+L",),
    "From any app: Log call",
    scope="global",
    twin="log",
    name="Log call from any app",
)

ALL = (
    FIND,
    RESULTS,
    DIAL_NUMBER,
    DIAL,
    ANSWERED,
    HANG_UP,
    DISPOSITION,
    FIELDS,
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
    GLOBAL_DIAL,
    GLOBAL_ANSWERED,
    GLOBAL_HANG_UP,
    GLOBAL_LOG,
)
BY_ID = {sc.id: sc for sc in ALL}
GLOBAL = tuple(sc for sc in ALL if sc.scope == "global")

# Kept free for actions that are not shortcuts of this table (none today).
RESERVED: dict[str, str] = {}
# What text fields, lists and the desktop already do with these keys.
TAKEN = {
    **dict.fromkeys(
        (
            "Ctrl+A",
            "Ctrl+C",
            "Ctrl+V",
            "Ctrl+X",
            "Ctrl+Z",
            "Ctrl+Y",
            "Ctrl+Shift+Z",
            "Ctrl+Backspace",
            "Ctrl+Del",
            "Ctrl+Ins",
            "Shift+Ins",
            "Shift+Del",
            "Ctrl+Left",
            "Ctrl+Right",
            "Ctrl+Up",
            "Ctrl+Down",
            "Ctrl+Home",
            "Ctrl+End",
            "Ctrl+Shift+Left",
            "Ctrl+Shift+Right",
            "Ctrl+Shift+Home",
            "Ctrl+Shift+End",
            "Ctrl+Tab",
            "Ctrl+Shift+Tab",
            "Alt+Down",
            "Alt+Up",
        ),
        "text fields and lists",
    ),
    **dict.fromkeys(
        ("Alt+F4", "Alt+Tab", "Alt+Shift+Tab", "Alt+Space", "Ctrl+Esc", "Ctrl+Alt+Del"),
        "the desktop",
    ),
    **{f"Ctrl+Alt+F{n}": "the desktop (switching consoles)" for n in range(1, 13)},
}


def canonical(text: str) -> str:
    """`text` as Qt writes that key ("ctrl+return" → "Ctrl+Return"); "" when not one key."""
    sequence = QKeySequence.fromString(text.strip(), PORTABLE)
    if sequence.count() != 1 or sequence[0].key().value == 0:  # type: ignore[index]
        return ""
    return sequence.toString(PORTABLE)


def split(key: str) -> tuple[frozenset[str], str]:
    """("Ctrl+Shift+D") → ({"Ctrl", "Shift"}, "D")."""
    if key.endswith("++"):  # the + key itself
        head, last = key[:-2], "+"
    else:
        head, _, last = key.rpartition("+")
    mods = frozenset(m for m in head.split("+") if m)
    return mods, last


def _function_key(name: str) -> bool:
    return len(name) > 1 and name[0] == "F" and name[1:].isdigit()


def _expanded(keys: tuple[str, ...]) -> set[str]:
    """Concrete keys of a table entry ("Alt+1…Alt+9" is nine keys; "1…9" none in the window)."""
    out: set[str] = set()
    for key in keys:
        if key == "Alt+1…Alt+9":
            out |= {f"Alt+{n}" for n in range(1, 10)}
        elif "…" not in key:
            out.add(key)
    return out


class KeyMap:
    """The table with the rep's keys applied (ids → a key, or "" for none)."""

    def __init__(self, chosen: Mapping[str, str] | None = None) -> None:
        self.chosen = {k: v for k, v in (chosen or {}).items() if k in BY_ID and BY_ID[k].editable}

    @functools.cached_property
    def _in_use(self) -> dict[str, set[str]]:
        """The keys each shortcut takes, one by one as Qt writes them (read once per map: the
        settings dialog checks every field against every other on each change)."""
        return {
            sc.id: _expanded(self.keys(sc)) | {canonical(k) for k in self.keys(sc) if "…" not in k}
            for sc in ALL
        }

    def keys(self, shortcut: Shortcut) -> tuple[str, ...]:
        """The keys that trigger `shortcut` now (a Return key brings its keypad Enter twin)."""
        if shortcut.id not in self.chosen:
            return shortcut.keys
        key = canonical(self.chosen[shortcut.id])
        if not key:
            return ()
        if split(key)[1] == "Return":
            return (key, canonical(key[: -len("Return")] + "Enter"))
        return (key,)

    def label(self, shortcut: Shortcut) -> str:
        keys = self.keys(shortcut)
        return (" or " if len(keys) <= 2 else ", ").join(keys) if keys else "no key"

    def text(self, shortcut: Shortcut) -> str:
        """The one key the settings dialog shows for an editable shortcut ("" for none)."""
        keys = self.keys(shortcut)
        return keys[0] if keys else ""

    def problem(self, shortcut: Shortcut, text: str) -> str:
        """Why `text` cannot be `shortcut`'s key, in a sentence; "" when it can."""
        if not text.strip():
            return ""
        key = canonical(text)
        if not key:
            return "Pick a single key (with Ctrl, Alt or Shift if you like)."
        mods, last = split(key)
        if key in RESERVED:
            return f"{key} is kept for “{RESERVED[key]}”."
        if key in TAKEN:
            return f"{key} is used by {TAKEN[key]}."
        plain_key = not mods & {"Ctrl", "Alt", "Meta"} and not _function_key(last)
        if plain_key and shortcut.scope == "window":
            return f"{key} would be typed into the fields: add Ctrl or Alt, or use F1…F12."
        if plain_key:
            return f"{key} would be taken from every app: add Ctrl or Alt."
        for other in ALL:
            if other is shortcut or shortcut.twin == other.id or other.twin == shortcut.id:
                continue
            if key in self._in_use[other.id]:
                return f"{key} already does “{other.action}”."
        return ""
