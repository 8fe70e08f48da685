"""Global shortcuts: keys that reach the app while another app has the keyboard.

`GlobalHotkeys` holds the grabs and says which action a key press meant; a platform backend
makes the grabs: X11 (`XGrabKey` on the root window, on a display connection of its own, read
through a socket notifier), Windows (`RegisterHotKey`, `WM_HOTKEY` read by a native event
filter) and macOS (Carbon's `RegisterEventHotKey`). Wayland has none: its compositor gives keys
only to the app in front. Every binding goes through ctypes on the system's own library.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractNativeEventFilter,
    QCoreApplication,
    QObject,
    QSocketNotifier,
    Signal,
)

from ..core import hotkeys as hk

log = logging.getLogger(__name__)


class Backend(Protocol):
    """A platform's grabs. `grab` raises HotkeyError naming why a key cannot be had."""

    def grab(self, hotkey: hk.Hotkey, action: str) -> None: ...

    def release(self, action: str) -> None: ...

    def close(self) -> None: ...


class GlobalHotkeys(QObject):
    """The global shortcuts in force, and the key presses that reach them.

    Signals:
        triggered(str): a global shortcut was pressed: its action (`core.hotkeys.ACTIONS`).
    """

    triggered = Signal(str)

    def __init__(
        self,
        backend_factory: Callable[[Callable[[str], None]], Backend],
        platform: str,
        parent: Any = None,
    ) -> None:
        """`platform` is the Qt platform the backend serves ("xcb", "windows", "cocoa")."""
        super().__init__(parent)
        self.platform = platform
        self._factory = backend_factory
        self._backend: Backend | None = None
        self.keys: dict[str, str] = {}  # action → key, as grabbed now

    def apply(self, keys: Mapping[str, str]) -> dict[str, str]:
        """Grab exactly `keys` (action → key; empty: none). All or nothing: when a key cannot
        be had, the grabs stay as they were and the answer says why, per action."""
        wanted = {a: k for a, k in keys.items() if k}
        if wanted == self.keys:
            return {}
        old = dict(self.keys)
        self._release_all()
        problems = self._grab_all(wanted)
        if problems:
            self._release_all()
            self._grab_all(old)
        return problems

    def close(self) -> None:
        self._release_all()
        if self._backend is not None:
            self._backend.close()
            self._backend = None

    def _grab_all(self, keys: Mapping[str, str]) -> dict[str, str]:
        problems: dict[str, str] = {}
        if keys and self._backend is None:
            try:
                self._backend = self._factory(self.triggered.emit)
            except hk.HotkeyError as exc:
                return dict.fromkeys(keys, str(exc))
        for action, text in keys.items():
            try:
                assert self._backend is not None
                self._backend.grab(hk.parse(text), action)
            except hk.HotkeyError as exc:
                problems[action] = str(exc)
            else:
                self.keys[action] = text
        return problems

    def _release_all(self) -> None:
        if self._backend is not None:
            for action in list(self.keys):
                self._backend.release(action)
        self.keys = {}


def backend_factory(platform: str) -> Callable[[Callable[[str], None]], Backend] | None:
    """The backend for a Qt platform name, or None where global shortcuts cannot work."""
    if platform == "xcb":
        return lambda emit: X11Backend(emit)
    if platform == "windows":
        return lambda emit: WindowsBackend(emit)
    if platform == "cocoa":
        return lambda emit: MacBackend(emit)
    return None


# ---- X11 --------------------------------------------------------------------------------------

_KEY_PRESS, _KEY_RELEASE, _GRAB_ASYNC = 2, 3, 1
_BAD_ACCESS = 10


class _XKeyEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("root", ctypes.c_ulong),
        ("subwindow", ctypes.c_ulong),
        ("time", ctypes.c_ulong),
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("x_root", ctypes.c_int),
        ("y_root", ctypes.c_int),
        ("state", ctypes.c_uint),
        ("keycode", ctypes.c_uint),
        ("same_screen", ctypes.c_int),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [
        ("type", ctypes.c_int),
        ("xkey", _XKeyEvent),
        ("pad", ctypes.c_long * 24),
    ]


class _XErrorEvent(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("resourceid", ctypes.c_ulong),
        ("serial", ctypes.c_ulong),
        ("error_code", ctypes.c_ubyte),
        ("request_code", ctypes.c_ubyte),
        ("minor_code", ctypes.c_ubyte),
    ]


_ERROR_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(_XErrorEvent))


def _libx11() -> ctypes.CDLL:
    name = ctypes.util.find_library("X11") or "libX11.so.6"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise hk.HotkeyError(f"Global shortcuts need libX11 ({exc}).") from exc
    vp, ul, ci, cu = ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_uint
    for fn, args, res in (
        ("XOpenDisplay", [ctypes.c_char_p], vp),
        ("XCloseDisplay", [vp], ci),
        ("XDefaultRootWindow", [vp], ul),
        ("XConnectionNumber", [vp], ci),
        ("XStringToKeysym", [ctypes.c_char_p], ul),
        ("XKeysymToKeycode", [vp, ul], ctypes.c_ubyte),
        ("XGrabKey", [vp, ci, cu, ul, ci, ci, ci], ci),
        ("XUngrabKey", [vp, ci, cu, ul], ci),
        ("XSync", [vp, ci], ci),
        ("XFlush", [vp], ci),
        ("XPending", [vp], ci),
        ("XNextEvent", [vp, ctypes.POINTER(_XEvent)], ci),
        ("XSetErrorHandler", [vp], vp),
        ("XkbSetDetectableAutoRepeat", [vp, ci, ctypes.POINTER(ci)], ci),
    ):
        f = getattr(lib, fn)
        f.argtypes, f.restype = args, res
    return lib


class X11Backend:
    """Grabs on the X server's root window, through a connection of its own (Qt's is left
    alone): every key is grabbed with and without Caps Lock and Num Lock."""

    def __init__(self, emit: Callable[[str], None], display: str | None = None) -> None:
        self._emit = emit
        self._x = _libx11()
        name = display if display is not None else os.environ.get("DISPLAY", "")
        self._dpy = self._x.XOpenDisplay(name.encode() or None)
        if not self._dpy:
            raise hk.HotkeyError(f"Could not open the X display “{name}” for global shortcuts.")
        self._root = self._x.XDefaultRootWindow(self._dpy)
        self._x.XkbSetDetectableAutoRepeat(self._dpy, 1, None)  # held keys: one press
        self._grabs: dict[str, tuple[int, int]] = {}  # action → (keycode, modifier mask)
        self._down: set[int] = set()
        self._errors: list[int] = []
        self._handler = _ERROR_HANDLER(self._on_error)
        self._notifier = QSocketNotifier(
            self._x.XConnectionNumber(self._dpy), QSocketNotifier.Type.Read
        )
        self._notifier.activated.connect(self._on_readable)

    def grab(self, hotkey: hk.Hotkey, action: str) -> None:
        keysym = self._x.XStringToKeysym(hk.x11_keysym_name(hotkey.key).encode())
        keycode = self._x.XKeysymToKeycode(self._dpy, keysym) if keysym else 0
        if not keycode:
            raise hk.HotkeyError(f"{hotkey.text}: this keyboard has no {hotkey.key} key.")
        mask = hk.x11_mask(hotkey)
        if any(grab == (keycode, mask) for grab in self._grabs.values()):
            raise hk.HotkeyError(f"{hotkey.text} is already a global shortcut.")
        self._errors.clear()
        # Errors come back asynchronously: catch them for this request only, then restore.
        previous = self._x.XSetErrorHandler(ctypes.cast(self._handler, ctypes.c_void_p))
        try:
            for extra in hk.X11_IGNORED:
                self._x.XGrabKey(
                    self._dpy, keycode, mask | extra, self._root, 0, _GRAB_ASYNC, _GRAB_ASYNC
                )
            self._x.XSync(self._dpy, 0)
        finally:
            self._x.XSetErrorHandler(previous)
        if self._errors:
            self._ungrab(keycode, mask)
            taken = _BAD_ACCESS in self._errors
            raise hk.HotkeyError(
                f"{hotkey.text} is taken by another app."
                if taken
                else f"{hotkey.text}: the X server refused it (error {self._errors[0]})."
            )
        self._grabs[action] = (keycode, mask)

    def release(self, action: str) -> None:
        grab = self._grabs.pop(action, None)
        if grab is not None:
            self._ungrab(*grab)

    def close(self) -> None:
        for action in list(self._grabs):
            self.release(action)
        self._notifier.setEnabled(False)
        self._notifier.deleteLater()
        if self._dpy:
            self._x.XCloseDisplay(self._dpy)
            self._dpy = None

    def _ungrab(self, keycode: int, mask: int) -> None:
        for extra in hk.X11_IGNORED:
            self._x.XUngrabKey(self._dpy, keycode, mask | extra, self._root)
        self._x.XFlush(self._dpy)

    def _on_error(self, _display: object, event: Any) -> int:
        self._errors.append(int(event.contents.error_code))
        return 0

    def _on_readable(self) -> None:
        event = _XEvent()
        while self._dpy and self._x.XPending(self._dpy):
            self._x.XNextEvent(self._dpy, ctypes.byref(event))
            if event.type not in (_KEY_PRESS, _KEY_RELEASE):
                continue
            code = int(event.xkey.keycode)
            if event.type == _KEY_RELEASE:
                self._down.discard(code)
                continue
            if code in self._down:
                continue  # held down
            self._down.add(code)
            state = int(event.xkey.state) & ~(hk.X11_LOCK | hk.X11_MOD2)
            for action, (keycode, mask) in self._grabs.items():
                if keycode == code and mask == state:
                    self._emit(action)
                    break


# ---- Windows ----------------------------------------------------------------------------------

_WM_HOTKEY = 0x0312
_ERROR_HOTKEY_ALREADY_REGISTERED = 1409


class _WindowsFilter(QAbstractNativeEventFilter):
    def __init__(self, on_hotkey: Callable[[int], None]) -> None:
        super().__init__()
        self._on_hotkey = on_hotkey

    def nativeEventFilter(self, event_type: Any, message: Any) -> tuple[bool, int]:
        kind = bytes(event_type) if not isinstance(event_type, str) else event_type.encode()
        if kind in (b"windows_generic_MSG", b"windows_dispatcher_MSG"):
            from ctypes import wintypes

            msg = wintypes.MSG.from_address(int(message))
            if msg.message == _WM_HOTKEY:
                self._on_hotkey(int(msg.wParam))
                return True, 0
        return False, 0


class WindowsBackend:
    """`RegisterHotKey` for this thread; `WM_HOTKEY` reaches Qt's native event filter."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._user32 = ctypes.WinDLL("user32", use_last_error=True)  # type: ignore[attr-defined]
        self._user32.RegisterHotKey.argtypes = [
            ctypes.c_void_p,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
        ]
        self._user32.UnregisterHotKey.argtypes = [ctypes.c_void_p, ctypes.c_int]
        self._ids: dict[str, int] = {}
        self._next_id = 0xC001
        self._filter = _WindowsFilter(self._on_hotkey)
        app = QCoreApplication.instance()
        if app is not None:
            app.installNativeEventFilter(self._filter)

    def grab(self, hotkey: hk.Hotkey, action: str) -> None:
        mods, vk = hk.windows_key(hotkey)
        ident = self._next_id
        self._next_id += 1
        if not self._user32.RegisterHotKey(None, ident, mods, vk):
            error = ctypes.get_last_error()  # type: ignore[attr-defined]
            if error == _ERROR_HOTKEY_ALREADY_REGISTERED:
                raise hk.HotkeyError(f"{hotkey.text} is taken by another app.")
            raise hk.HotkeyError(f"{hotkey.text}: Windows refused it (error {error}).")
        self._ids[action] = ident

    def release(self, action: str) -> None:
        ident = self._ids.pop(action, None)
        if ident is not None:
            self._user32.UnregisterHotKey(None, ident)

    def close(self) -> None:
        for action in list(self._ids):
            self.release(action)
        app = QCoreApplication.instance()
        if app is not None:
            app.removeNativeEventFilter(self._filter)

    def _on_hotkey(self, ident: int) -> None:
        for action, known in self._ids.items():
            if known == ident:
                self._emit(action)


# ---- macOS ------------------------------------------------------------------------------------


class _EventHotKeyID(ctypes.Structure):
    _fields_ = [("signature", ctypes.c_uint32), ("id", ctypes.c_uint32)]


class _EventTypeSpec(ctypes.Structure):
    _fields_ = [("eventClass", ctypes.c_uint32), ("eventKind", ctypes.c_uint32)]


def _four(code: str) -> int:
    return int.from_bytes(code.encode("ascii"), "big")


_HANDLER = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p)
_EVENT_HOTKEY_PRESSED = 5
_EVENT_HOTKEY_EXISTS = -9878


class MacBackend:
    """Carbon's `RegisterEventHotKey` on the application's event target."""

    _carbon: Any
    _target: Any
    _handler: ctypes.c_void_p
    _next_id: int

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        path = ctypes.util.find_library("Carbon")
        if sys.platform != "darwin" or path is None:
            raise hk.HotkeyError("Global shortcuts need macOS's Carbon framework.")
        self._carbon = ctypes.CDLL(path)
        c = self._carbon
        c.GetApplicationEventTarget.restype = ctypes.c_void_p
        c.RegisterEventHotKey.argtypes = [
            ctypes.c_uint32,
            ctypes.c_uint32,
            _EventHotKeyID,
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.POINTER(ctypes.c_void_p),
        ]
        c.UnregisterEventHotKey.argtypes = [ctypes.c_void_p]
        c.InstallEventHandler.argtypes = [
            ctypes.c_void_p,
            _HANDLER,
            ctypes.c_ulong,
            ctypes.POINTER(_EventTypeSpec),
            ctypes.c_void_p,
            ctypes.POINTER(ctypes.c_void_p),
        ]
        c.RemoveEventHandler.argtypes = [ctypes.c_void_p]
        c.GetEventParameter.argtypes = [
            ctypes.c_void_p,
            ctypes.c_uint32,
            ctypes.c_uint32,
            ctypes.c_void_p,
            ctypes.c_ulong,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self._target = c.GetApplicationEventTarget()
        self._callback = _HANDLER(self._on_event)
        spec = _EventTypeSpec(_four("keyb"), _EVENT_HOTKEY_PRESSED)
        self._handler = ctypes.c_void_p()
        status = c.InstallEventHandler(
            self._target, self._callback, 1, ctypes.byref(spec), None, ctypes.byref(self._handler)
        )
        if status != 0:
            raise hk.HotkeyError(f"macOS refused global shortcuts (error {status}).")
        self._refs: dict[str, tuple[int, ctypes.c_void_p]] = {}
        self._next_id = 1

    def grab(self, hotkey: hk.Hotkey, action: str) -> None:
        mods, code = hk.mac_key(hotkey)
        ident = self._next_id
        self._next_id += 1
        ref = ctypes.c_void_p()
        status = self._carbon.RegisterEventHotKey(
            code, mods, _EventHotKeyID(_four("DCmp"), ident), self._target, 0, ctypes.byref(ref)
        )
        if status == _EVENT_HOTKEY_EXISTS:
            raise hk.HotkeyError(f"{hotkey.text} is taken by another app.")
        if status != 0:
            raise hk.HotkeyError(f"{hotkey.text}: macOS refused it (error {status}).")
        self._refs[action] = (ident, ref)

    def release(self, action: str) -> None:
        held = self._refs.pop(action, None)
        if held is not None:
            self._carbon.UnregisterEventHotKey(held[1])

    def close(self) -> None:
        for action in list(self._refs):
            self.release(action)
        if self._handler:
            self._carbon.RemoveEventHandler(self._handler)
            self._handler = ctypes.c_void_p()

    def _on_event(self, _call: Any, event: Any, _data: Any) -> int:
        key = _EventHotKeyID()
        self._carbon.GetEventParameter(
            event,
            _four("----"),
            _four("hkid"),
            None,
            ctypes.sizeof(key),
            None,
            ctypes.byref(key),
        )
        for action, (ident, _ref) in self._refs.items():
            if ident == key.id:
                self._emit(action)
                return 0
        return -9874  # eventNotHandledErr: someone else's
