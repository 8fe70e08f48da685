"""What a screen reader reads of the window, read through AT-SPI as Orca reads it: the real app
under a real X server with Qt's accessibility bridge on, walked with `pyatspi` from the system's
python3 in a D-Bus session of its own (`tests/support/atspi_probe.py`).

Every control has a name; every value a rep needs is in a name, a description or a text —
the card's local time (and "outside calling hours"), sequence, open task and last calls, the
elapsed time, the call's state, the sync status, the search box's clear button, the message
area — and a change of the call's state or a new message is announced."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.packaging.xdisplay import XVFB, xvfb

ROOT = Path(__file__).resolve().parents[2]
DBUS_RUN_SESSION = shutil.which("dbus-run-session")
SYSTEM_PYTHON = Path("/usr/bin/python3")
LAUNCHER = Path("/usr/libexec/at-spi-bus-launcher")


def _pyatspi() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import pyatspi"], capture_output=True, timeout=60
    )
    return probe.returncode == 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        XVFB is None or DBUS_RUN_SESSION is None or not LAUNCHER.exists() or not _pyatspi(),
        reason="needs Xvfb, dbus-run-session, at-spi2-core and python3-pyatspi (bootstrap)",
    ),
]


def _prospect_worth_reading(sandbox: Any) -> int:
    """A prospect in an active sequence, with an open call task and calls logged before."""
    with sandbox.client() as api:
        tasks = api.get("/tasks", params={"filter[state]": "incomplete", "page[size]": 200}).json()[
            "data"
        ]
        for task in tasks:
            rel = task["relationships"]["prospect"]["data"]
            if rel is None or task["relationships"]["sequence"]["data"] is None:
                continue
            pid = int(rel["id"])
            calls = api.get("/calls", params={"filter[prospect][id]": pid, "page[size]": 1}).json()[
                "data"
            ]
            states = api.get(
                "/sequenceStates",
                params={"filter[prospect][id]": pid, "filter[state]": "active"},
            ).json()["data"]
            if calls and states:
                return pid
    raise AssertionError("the sandbox has no prospect with a task, a sequence and past calls")


@pytest.fixture(scope="module")
def read(sandbox: Any) -> dict[str, Any]:
    pid = _prospect_worth_reading(sandbox)
    assert DBUS_RUN_SESSION is not None
    with xvfb() as display:
        done = subprocess.run(
            [
                DBUS_RUN_SESSION,
                "--",
                str(SYSTEM_PYTHON),
                str(ROOT / "tests" / "support" / "atspi_probe.py"),
                "--display",
                display,
                "--command",
                "hang_up",
                "--command",
                "say Outreach refused the call: a test message.",
                "--",
                sys.executable,
                "-m",
                "tests.support.a11y_app",
                sandbox.base_url,
                sandbox.token,
                str(pid),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=240,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert lines, done.stdout[-2000:] + done.stderr[-3000:]
    result: dict[str, Any] = json.loads(lines[-1])
    if dump := __import__("os").environ.get("ATSPI_DUMP"):
        Path(dump).write_text(json.dumps(result, indent=1), encoding="utf-8")
    return result


def _named(read: dict[str, Any], name: str, role: str | None = None) -> dict[str, Any]:
    found = [
        n
        for n in read["tree"]
        if n["name"] == name and n["showing"] and (role is None or n["role"] == role)
    ]
    assert len(found) == 1, (name, role, found)
    return found[0]


def _value(node: dict[str, Any]) -> str:
    """What a screen reader says of a node besides its name."""
    return " ".join(x for x in (node["description"], node["text"]) if x)


def test_the_values_a_rep_needs_are_read_not_only_their_names(read) -> None:
    local = _value(_named(read, "Prospect local time", "label"))
    assert "local time" in local
    assert "outside calling hours" in local
    assert _value(_named(read, "Active sequence", "label")).startswith("Sequence: ")
    assert _value(_named(read, "Open call task", "label")).startswith("Open call task, due")
    assert _value(_named(read, "Last calls", "label")).startswith("Last calls:")
    elapsed = _value(_named(read, "Elapsed time", "label"))
    assert elapsed.count(":") == 1  # m:ss
    assert elapsed.replace(":", "").isdigit()
    assert _value(_named(read, "Call status", "label"))
    assert _value(_named(read, "Sync status", "label")) in (
        "All calls synced",
        "1 to sync",
    ) or "to sync" in _value(_named(read, "Sync status", "label"))
    assert "logged in Outreach" in _value(_named(read, "Messages", "label"))
    search = _named(read, "Prospect search", "text")
    assert search["text"] == "zz"
    clear = _named(read, "Clear search", "push button")
    assert clear["enabled"]


def test_every_control_a_rep_can_reach_has_a_name(read) -> None:
    controls = {
        "push button",
        "toggle button",
        "check box",
        "combo box",
        "text",
        "entry",
        "list",
        "spin button",
        "page tab",
    }
    unnamed = [
        n
        for n in read["tree"]
        if n["showing"] and n["role"] in controls and not (n["name"] or n["text"])
    ]
    assert unnamed == []
    for name in ("Dial", "Answered", "Hang up", "Log call", "Menu", "Accounts"):
        _named(read, name, "push button")
    _named(read, "Notes", "text")
    # On Linux a list's name is the choice it shows; what it is comes from its label
    lists = [n for n in read["tree"] if n["showing"] and n["role"] == "combo box"]
    assert {"Disposition", "Purpose", "Sequence"} <= {x for n in lists for x in n["labelled_by"]}
    assert all(n["labelled_by"] for n in lists), lists


def test_a_change_of_the_call_and_a_new_message_are_announced(read) -> None:
    ended = read["heard"]["hang_up"]
    assert any(text.startswith("Ended") for text in ended), ended
    said = read["heard"]["say Outreach refused the call: a test message."]
    assert "Outreach refused the call: a test message." in said
