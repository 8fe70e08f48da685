"""Global shortcuts, the part every platform shares: a key as Qt writes it, read into modifiers
and a key, and that key in each platform's own terms — or a clear refusal."""

from __future__ import annotations

import ctypes
import ctypes.util

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core import hotkeys as hk

KEYS = [
    *"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    *(f"F{n}" for n in range(1, 25)),
    "Return",
    "Enter",
    "PgUp",
    "PgDown",
    "Home",
    "End",
    "Left",
    "Right",
    "Up",
    "Down",
    "Ins",
    "Del",
    "Space",
    "Esc",
    "Tab",
    "Backspace",
    *",./;'[]-=`\\",
]
mods = st.lists(st.sampled_from(hk.MODIFIER_NAMES), unique=True, max_size=4)


@given(mods, st.sampled_from(KEYS))
def test_a_key_reads_back_as_written(modifiers: list[str], key: str) -> None:
    ordered = [m for m in hk.MODIFIER_NAMES if m in modifiers]
    text = "+".join([*ordered, key])
    hotkey = hk.parse(text)
    assert hotkey == hk.Hotkey(frozenset(modifiers), key)
    assert hotkey.text == text


@given(mods, st.sampled_from(KEYS))
def test_every_platform_has_each_key_or_says_why(modifiers: list[str], key: str) -> None:
    hotkey = hk.Hotkey(frozenset(modifiers), key)
    for convert in (hk.windows_key, hk.mac_key):
        refused = ""
        try:
            flags, code = convert(hotkey)
        except hk.HotkeyError as exc:
            refused = str(exc)
        if refused:
            assert key in refused  # said which key
        else:
            assert code >= 0
            assert flags >= 0
    assert hk.x11_mask(hotkey) == sum(hk.X11_MODIFIERS[m] for m in modifiers)
    mods_win, _vk = hk.windows_key(hotkey)
    assert mods_win & hk.WIN_NOREPEAT  # held keys do not repeat
    assert {name for name, bit in hk.WIN_MODIFIERS.items() if mods_win & bit} == set(modifiers)


def test_the_mac_keys_are_apart_and_command_is_qt_s_ctrl() -> None:
    codes: dict[int, str] = {}
    for key in KEYS:
        try:
            _mods, code = hk.mac_key(hk.Hotkey(frozenset(), key))
        except hk.HotkeyError:
            continue  # F16 and beyond: said so
        assert code not in codes, (key, codes.get(code))  # no two keys alike
        codes[code] = key
    assert len(codes) > 60
    mods, _ = hk.mac_key(hk.parse("Ctrl+Shift+D"))
    assert mods == hk.MAC_COMMAND | hk.MAC_SHIFT


@pytest.mark.parametrize("text", ["", "Ctrl+", "Hyper+D", "Ctrl+Shift"])
def test_what_is_not_a_key_is_refused_in_words(text: str) -> None:
    with pytest.raises(hk.HotkeyError):
        hk.parse(text)


def test_x11_knows_every_keysym_name_given() -> None:
    path = ctypes.util.find_library("X11")
    if path is None:
        pytest.skip("libX11 is not installed")
    x11 = ctypes.CDLL(path)
    x11.XStringToKeysym.argtypes = [ctypes.c_char_p]
    x11.XStringToKeysym.restype = ctypes.c_ulong
    for key in KEYS:
        name = hk.x11_keysym_name(key)
        assert x11.XStringToKeysym(name.encode()) != 0, (key, name)


@pytest.mark.parametrize(
    ("platform", "wayland", "works", "says"),
    [
        ("xcb", False, True, ""),
        ("xcb", True, True, "only while an X11 app has the keyboard"),
        ("windows", False, True, ""),
        ("cocoa", False, True, ""),
        ("wayland", True, False, "Wayland keeps every key"),
        ("wayland-egl", True, False, "Wayland keeps every key"),
        ("offscreen", False, False, "not available"),
    ],
)
def test_where_global_shortcuts_work(platform: str, wayland: bool, works: bool, says: str) -> None:
    found = hk.availability(platform, wayland_session=wayland)
    assert found.works is works
    assert says in found.note
