"""`dialer-app --register-handlers` installs the .desktop entry and makes it the user's handler
for every scheme, as `xdg-mime query` reports it (a temporary HOME and XDG directories)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dialer_app.core.handlers import URL_SCHEMES, desktop_entry
from dialer_app.core.register import DESKTOP_FILE, exec_quote

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("xdg-mime") is None,
    reason="needs Linux with xdg-mime (Debian package xdg-utils; .ci/bootstrap installs it)",
)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("XDG_") and k != "DESKTOP_SESSION"
    }
    return env | {
        "HOME": str(tmp_path / "home"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_DIRS": str(tmp_path / "system"),
        "DIALER_HOME": str(tmp_path / "dialer"),
    }


def _register(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dialer_app", "--register-handlers"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_register_handlers_makes_the_app_the_handler(tmp_path: Path) -> None:
    env = _env(tmp_path)
    for scheme in URL_SCHEMES:
        before = subprocess.run(
            ["xdg-mime", "query", "default", f"x-scheme-handler/{scheme}"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert before.stdout.strip() == ""
    done = _register(env)
    assert done.returncode == 0, done.stderr
    entry = tmp_path / "data" / "applications" / DESKTOP_FILE
    text = entry.read_text(encoding="utf-8")
    exec_line = f"Exec={exec_quote(sys.executable)} -m dialer_app %u"
    assert text == desktop_entry(f"{exec_quote(sys.executable)} -m dialer_app")
    assert exec_line in text.splitlines()
    assert "MimeType=x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/sip;" in text
    for scheme in URL_SCHEMES:
        query = subprocess.run(
            ["xdg-mime", "query", "default", f"x-scheme-handler/{scheme}"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        assert query.stdout.strip() == DESKTOP_FILE


def test_exec_arguments_are_quoted() -> None:
    assert exec_quote("/opt/dialer/bin/dialer-app") == "/opt/dialer/bin/dialer-app"
    assert exec_quote("/home/a b/dialer-app") == '"/home/a b/dialer-app"'
    assert exec_quote('/x/$HOME"`\\') == '"/x/\\$HOME\\"\\`\\\\"'
    assert exec_quote("/x/100%") == "/x/100%%"


def _as_written(number: str) -> str:
    """How a person writes it: `+1 415-555-0123`, or `+49 30-83633934`."""
    if number.startswith("+1") and len(number) == 12:
        return f"+1 {number[2:5]}-{number[5:8]}-{number[8:]}"
    return f"{number[:3]} {number[3:5]}-{number[5:]}"


@pytest.mark.slow
def test_opening_a_tel_link_on_the_desktop_brings_up_the_card(tmp_path, sandbox) -> None:
    """The whole path: xdg-open → the registered entry → a second launch → the running window."""
    from tests.support.app_process import AppProcess, app_env, read_draft
    from tests.support.prospects import numbers_with_one_prospect

    env = app_env(tmp_path / "dialer", sandbox) | _env(tmp_path) | {"WAYLAND_DISPLAY": "none"}
    # (xdg-open hands links to the desktop's handler only when it sees a display; the app
    # itself stays offscreen)
    registered = _register(env)
    assert registered.returncode == 0, registered.stderr
    who = numbers_with_one_prospect(sandbox, 1)[0]
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    try:
        app.wait_for("listening for links and events as ")
        mark = len(app.lines)
        opened = subprocess.run(
            ["xdg-open", f"tel:{_as_written(who.number)}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert opened.returncode == 0, opened.stderr
        app.wait_for("applied a request: open", after=mark)
        app.wait_for(f"/prospects/{who.prospect_id}", after=mark)
        assert read_draft(tmp_path / "dialer")["card_id"] == who.prospect_id
    finally:
        app.stop()
