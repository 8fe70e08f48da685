"""Read a running app the way a screen reader (Orca) does: through AT-SPI.

Run with the system's python3 (it has `pyatspi`, Debian's `python3-pyatspi`), inside a D-Bus
session of its own, with an X server at `--display`:

    dbus-run-session -- python3 tests/support/atspi_probe.py --display :5 -- APP COMMAND…

It starts the accessibility bus and registry, then the app (which prints READY once it shows
what is to be read, and takes commands on stdin); prints one JSON object: every node of the
app's tree (role, name, description, text, states) and the announcements heard after each
command given with `--command` (the app answers `DONE <command>`).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

import gi

gi.require_version("Gio", "2.0")
from gi.repository import Gio, GLib  # noqa: E402

LAUNCHER = "/usr/libexec/at-spi-bus-launcher"
REGISTRY = "/usr/libexec/at-spi2-registryd"


def wait_for_name(name: str, timeout: float) -> None:
    """Until `name` has an owner on the session bus (the accessibility bus is up)."""
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    deadline = time.monotonic() + timeout
    context = GLib.MainContext.default()
    while time.monotonic() < deadline:
        owner = bus.call_sync(
            "org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "NameHasOwner",
            GLib.Variant("(s)", (name,)),
            GLib.VariantType("(b)"),
            Gio.DBusCallFlags.NONE,
            1000,
            None,
        )
        if owner.unpack()[0]:
            return
        context.iteration(False)
        time.sleep(0.02)  # a daemon starting: nothing to wait on but its name
    raise SystemExit(f"{name} did not appear on the session bus")


def read_line(proc: subprocess.Popen[str], wanted: str, timeout: float) -> None:
    import selectors

    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0 and selector.select(left):
            line = proc.stdout.readline()
            if not line:
                break
            if line.strip() == wanted:
                return
    raise SystemExit(f"the app did not say {wanted!r}")


def node(acc: Any) -> dict[str, Any]:
    import pyatspi

    text = ""
    try:
        iface = acc.queryText()
        text = iface.getText(0, iface.characterCount)
    except NotImplementedError:
        pass
    states = acc.getState()
    labelled_by = [
        target.name or ""
        for relation in acc.getRelationSet()
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY
        for target in (relation.getTarget(i) for i in range(relation.getNTargets()))
        if target is not None
    ]
    return {
        "labelled_by": labelled_by,
        "role": acc.getRoleName(),
        "name": acc.name or "",
        "description": acc.description or "",
        "text": text,
        "showing": states.contains(pyatspi.STATE_SHOWING),
        "focusable": states.contains(pyatspi.STATE_FOCUSABLE),
        "enabled": states.contains(pyatspi.STATE_ENABLED),
    }


def walk(acc: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    if depth > 40:
        return
    out.append(node(acc))
    for child in acc:
        if child is not None:
            walk(child, out, depth + 1)


def find_app(name: str, timeout: float) -> Any:
    import pyatspi

    deadline = time.monotonic() + timeout
    context = GLib.MainContext.default()
    while time.monotonic() < deadline:
        desktop = pyatspi.Registry.getDesktop(0)
        for app in desktop:
            if app is not None and app.name == name and app.childCount:
                return app
        context.iteration(False)
        time.sleep(0.05)  # the app registers on the bus by itself: poll for it
    raise SystemExit(f"{name} never showed on the accessibility bus")


def run_loop(seconds: float, until: Any = lambda: False) -> None:
    """Let the GLib loop deliver events for `seconds`, or until `until()` holds."""
    context = GLib.MainContext.default()
    fired: list[bool] = []
    source = GLib.timeout_add(int(seconds * 1000), lambda: fired.append(True) or False)
    while not fired and not until():
        context.iteration(True)
    if not fired:
        GLib.source_remove(source)


class Listener:
    """Every announcement heard, from before the app starts: the app reads which events are
    listened for when it starts (`GetRegisteredEvents`). Registered later, the app learns of it
    by a signal that may come after the command it was meant for: the command's announcement
    is then never sent."""

    def __init__(self) -> None:
        import pyatspi

        self.heard: list[str] = []
        pyatspi.Registry.registerEventListener(self._on_event, "object:announcement")

    def _on_event(self, event: Any) -> None:
        self.heard.append(str(event.any_data))

    def close(self) -> None:
        import pyatspi

        pyatspi.Registry.deregisterEventListener(self._on_event, "object:announcement")

    def after(self, proc: subprocess.Popen[str], command: str, timeout: float) -> list[str]:
        """Give the app `command`; the announcements heard until it has been done, then a
        moment more for what follows at once (what was on its way before it, left out)."""
        run_loop(0.5)
        start = len(self.heard)
        assert proc.stdin is not None
        proc.stdin.write(command + "\n")
        proc.stdin.flush()
        read_line(proc, f"DONE {command}", timeout)
        run_loop(timeout, lambda: len(self.heard) > start)
        run_loop(0.5)
        return self.heard[start:]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--display", required=True)
    parser.add_argument("--name", default="Dialer Companion")
    parser.add_argument("--command", action="append", default=[])
    parser.add_argument("app", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = [a for a in args.app if a != "--"]
    env = {**os.environ, "DISPLAY": args.display}
    daemons = [subprocess.Popen([LAUNCHER, "--launch-immediately"], env=env)]
    app: subprocess.Popen[str] | None = None
    try:
        wait_for_name("org.a11y.Bus", 30)
        daemons.append(subprocess.Popen([REGISTRY], env=env))
        listener = Listener()
        app_env = {
            **env,
            "QT_QPA_PLATFORM": "xcb",
            "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
            "PYTHONUNBUFFERED": "1",
        }
        app = subprocess.Popen(
            command, env=app_env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        read_line(app, "READY", 90)
        found = find_app(args.name, 30)
        tree: list[dict[str, Any]] = []
        walk(found, tree)
        heard = {c: listener.after(app, c, 10) for c in args.command}
        listener.close()
        print(json.dumps({"tree": tree, "heard": heard}), flush=True)
        assert app.stdin is not None
        app.stdin.write("quit\n")
        app.stdin.flush()
        app.wait(timeout=30)
    finally:
        for proc in [*([app] if app is not None else []), *reversed(daemons)]:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
