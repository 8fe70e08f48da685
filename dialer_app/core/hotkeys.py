"""Global shortcuts, the part every platform shares: a key as Qt writes it ("Ctrl+Alt+Shift+D")
read into modifiers and a key, and that key in each platform's own terms — an X11 keysym name
and modifier mask, a Windows virtual-key code and `RegisterHotKey` flags, a macOS virtual key
code and Carbon modifiers. The platform bindings (`services.hotkeys`) grab them.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

MODIFIER_NAMES = ("Ctrl", "Alt", "Shift", "Meta")
ACTIONS = ("dial", "answered", "hang_up", "log")
"""What a global shortcut can do: the window's Dial, Answered, Hang up and Log call."""


class HotkeyError(ValueError):
    """A key that cannot be a global shortcut on this platform; the message says why."""


@dataclass(frozen=True, slots=True)
class Hotkey:
    """A key and the modifiers held with it, as Qt names them ("D", "F5", "Return", ",")."""

    modifiers: frozenset[str]
    key: str

    @property
    def text(self) -> str:
        mods = [m for m in MODIFIER_NAMES if m in self.modifiers]
        return "+".join([*mods, self.key])


def parse(text: str) -> Hotkey:
    """`Ctrl+Alt+Shift+D` → Hotkey({"Ctrl", "Alt", "Shift"}, "D"); HotkeyError when not a key
    with known modifiers."""
    text = text.strip()
    if not text:
        raise HotkeyError("No key given.")
    if text.endswith("++"):
        head, key = text[:-2], "+"
    else:
        head, _, key = text.rpartition("+")
    parts = [p for p in head.split("+") if p] if head else []
    unknown = [p for p in parts if p not in MODIFIER_NAMES]
    if unknown or not key or key in MODIFIER_NAMES:
        raise HotkeyError(f"“{text}” is not a key the app knows.")
    return Hotkey(frozenset(parts), key)


# ---- X11 --------------------------------------------------------------------------------------

X11_SHIFT, X11_LOCK, X11_CONTROL, X11_MOD1, X11_MOD2, X11_MOD4 = 1, 2, 4, 8, 16, 64
X11_MODIFIERS = {"Shift": X11_SHIFT, "Ctrl": X11_CONTROL, "Alt": X11_MOD1, "Meta": X11_MOD4}
X11_IGNORED = (0, X11_LOCK, X11_MOD2, X11_LOCK | X11_MOD2)
"""Caps Lock and Num Lock: a grab is made with each, so the key works whatever they are."""
_X11_NAMES = {
    "Return": "Return",
    "Enter": "KP_Enter",
    "PgUp": "Prior",
    "PgDown": "Next",
    "Home": "Home",
    "End": "End",
    "Left": "Left",
    "Right": "Right",
    "Up": "Up",
    "Down": "Down",
    "Ins": "Insert",
    "Del": "Delete",
    "Space": "space",
    "Esc": "Escape",
    "Tab": "Tab",
    "Backspace": "BackSpace",
    "Pause": "Pause",
    "Print": "Print",
    "ScrollLock": "Scroll_Lock",
    ",": "comma",
    ".": "period",
    "/": "slash",
    ";": "semicolon",
    "'": "apostrophe",
    "[": "bracketleft",
    "]": "bracketright",
    "-": "minus",
    "=": "equal",
    "`": "grave",
    "\\": "backslash",
    "+": "plus",
}


def _function_number(key: str) -> int:
    return int(key[1:]) if len(key) > 1 and key[0] == "F" and key[1:].isdigit() else 0


def x11_keysym_name(key: str) -> str:
    """The X11 keysym name of a key as Qt names it (what `XStringToKeysym` reads)."""
    if len(key) == 1 and key in string.ascii_uppercase:
        return key.lower()
    if len(key) == 1 and key in string.digits:
        return key
    if 1 <= _function_number(key) <= 35:
        return key
    if key in _X11_NAMES:
        return _X11_NAMES[key]
    raise HotkeyError(f"{key} cannot be a global shortcut.")


def x11_mask(hotkey: Hotkey) -> int:
    mask = 0
    for name in hotkey.modifiers:
        mask |= X11_MODIFIERS[name]
    return mask


# ---- Windows ----------------------------------------------------------------------------------

WIN_ALT, WIN_CONTROL, WIN_SHIFT, WIN_WIN, WIN_NOREPEAT = 0x1, 0x2, 0x4, 0x8, 0x4000
WIN_MODIFIERS = {"Alt": WIN_ALT, "Ctrl": WIN_CONTROL, "Shift": WIN_SHIFT, "Meta": WIN_WIN}
_WIN_KEYS = {
    "Return": 0x0D,
    "Enter": 0x0D,
    "PgUp": 0x21,
    "PgDown": 0x22,
    "End": 0x23,
    "Home": 0x24,
    "Left": 0x25,
    "Up": 0x26,
    "Right": 0x27,
    "Down": 0x28,
    "Ins": 0x2D,
    "Del": 0x2E,
    "Space": 0x20,
    "Esc": 0x1B,
    "Tab": 0x09,
    "Backspace": 0x08,
    "Pause": 0x13,
    "Print": 0x2C,
    "ScrollLock": 0x91,
    ";": 0xBA,
    "=": 0xBB,
    "+": 0xBB,
    ",": 0xBC,
    "-": 0xBD,
    ".": 0xBE,
    "/": 0xBF,
    "`": 0xC0,
    "[": 0xDB,
    "\\": 0xDC,
    "]": 0xDD,
    "'": 0xDE,
}


def windows_key(hotkey: Hotkey) -> tuple[int, int]:
    """(`RegisterHotKey` modifiers, virtual-key code); held keys do not repeat."""
    key = hotkey.key
    if len(key) == 1 and (key in string.ascii_uppercase or key in string.digits):
        vk = ord(key)
    elif 1 <= _function_number(key) <= 24:
        vk = 0x6F + _function_number(key)
    elif key in _WIN_KEYS:
        vk = _WIN_KEYS[key]
    else:
        raise HotkeyError(f"{key} cannot be a global shortcut on Windows.")
    mods = WIN_NOREPEAT
    for name in hotkey.modifiers:
        mods |= WIN_MODIFIERS[name]
    return mods, vk


# ---- macOS ------------------------------------------------------------------------------------

# Carbon's modifier bits. Qt writes the Command key as "Ctrl" and the Control key as "Meta".
MAC_COMMAND, MAC_SHIFT, MAC_OPTION, MAC_CONTROL = 0x100, 0x200, 0x800, 0x1000
MAC_MODIFIERS = {"Ctrl": MAC_COMMAND, "Shift": MAC_SHIFT, "Alt": MAC_OPTION, "Meta": MAC_CONTROL}
# Virtual key codes of an ANSI keyboard (HIToolbox/Events.h, kVK_*).
_MAC_KEYS = {
    "A": 0x00,
    "S": 0x01,
    "D": 0x02,
    "F": 0x03,
    "H": 0x04,
    "G": 0x05,
    "Z": 0x06,
    "X": 0x07,
    "C": 0x08,
    "V": 0x09,
    "B": 0x0B,
    "Q": 0x0C,
    "W": 0x0D,
    "E": 0x0E,
    "R": 0x0F,
    "Y": 0x10,
    "T": 0x11,
    "1": 0x12,
    "2": 0x13,
    "3": 0x14,
    "4": 0x15,
    "6": 0x16,
    "5": 0x17,
    "=": 0x18,
    "+": 0x18,
    "9": 0x19,
    "7": 0x1A,
    "-": 0x1B,
    "8": 0x1C,
    "0": 0x1D,
    "]": 0x1E,
    "O": 0x1F,
    "U": 0x20,
    "[": 0x21,
    "I": 0x22,
    "P": 0x23,
    "Return": 0x24,
    "L": 0x25,
    "J": 0x26,
    "'": 0x27,
    "K": 0x28,
    ";": 0x29,
    "\\": 0x2A,
    ",": 0x2B,
    "/": 0x2C,
    "N": 0x2D,
    "M": 0x2E,
    ".": 0x2F,
    "Tab": 0x30,
    "Space": 0x31,
    "`": 0x32,
    "Backspace": 0x33,
    "Esc": 0x35,
    "Enter": 0x4C,
    "F5": 0x60,
    "F6": 0x61,
    "F7": 0x62,
    "F3": 0x63,
    "F8": 0x64,
    "F9": 0x65,
    "F11": 0x67,
    "F13": 0x69,
    "F14": 0x6B,
    "F10": 0x6D,
    "F12": 0x6F,
    "F15": 0x71,
    "Home": 0x73,
    "PgUp": 0x74,
    "Del": 0x75,
    "F4": 0x76,
    "End": 0x77,
    "F2": 0x78,
    "PgDown": 0x79,
    "F1": 0x7A,
    "Left": 0x7B,
    "Right": 0x7C,
    "Down": 0x7D,
    "Up": 0x7E,
}


def mac_key(hotkey: Hotkey) -> tuple[int, int]:
    """(Carbon modifiers, virtual key code) for `RegisterEventHotKey`."""
    code = _MAC_KEYS.get(hotkey.key)
    if code is None:
        raise HotkeyError(f"{hotkey.key} cannot be a global shortcut on macOS.")
    mods = 0
    for name in hotkey.modifiers:
        mods |= MAC_MODIFIERS[name]
    return mods, code


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether global shortcuts can work on a platform, and what the rep should know."""

    works: bool
    note: str = ""


def availability(platform: str, *, wayland_session: bool) -> Availability:
    """Global shortcuts on this Qt platform (`QGuiApplication.platformName()`)."""
    if platform.startswith("wayland"):
        return Availability(
            False,
            "Wayland keeps every key for the app in front, so global shortcuts cannot work "
            "here. Your desktop's own keyboard settings can run `dialer-app event answered` "
            "or `dialer-app event ended` instead.",
        )
    if platform == "xcb" and wayland_session:
        return Availability(
            True,
            "This is a Wayland desktop running the app through X11: the shortcuts reach it "
            "only while an X11 app has the keyboard.",
        )
    if platform in ("xcb", "windows", "cocoa"):
        return Availability(True)
    return Availability(False, f"Global shortcuts are not available on this display ({platform}).")
