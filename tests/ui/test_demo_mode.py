"""With no account configured the app starts its own sandbox and says it is in demo mode."""

from __future__ import annotations

import os
import subprocess
import sys

from dialer_app.core.demo import SandboxProcess
from dialer_app.core.desk import CallDesk
from dialer_app.core.outbox import Outbox
from dialer_app.services.connection import start_demo_backend
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.support.clock import FakeClock


def test_demo_mode_starts_a_sandbox_and_stops_it_on_close(qtbot, aio, tmp_path) -> None:
    sandbox = SandboxProcess(data_dir=tmp_path / "demo", log_file=tmp_path / "demo.log")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    services = build_services(lambda: start_demo_backend(sandbox), outbox)
    win = MainWindow(services, CallDesk(FakeClock()))
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(services.lookup.referenceLoaded, timeout=30_000):
        services.start()
    assert win.mode_label.text() == "<b>Demo</b>"
    assert "Demo" in win.windowTitle()
    assert (
        services.connection.user.name in win.who_action.text()
    )  # the ☰ menu says who is signed in
    assert win.wrapup.disposition.count() > 5
    pid = sandbox.pid
    assert pid is not None
    closing = aio.create_task(services.aclose())
    qtbot.waitUntil(closing.done, timeout=10_000)
    outbox.close()
    assert sandbox.pid is None
    assert not os.path.exists(f"/proc/{pid}") or _is_zombie_or_gone(pid)


def _is_zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_api_base_url_without_a_token_is_refused_with_a_reason() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DIALER_ACCESS_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "dialer_app", "--api-base-url", "http://127.0.0.1:9/api/v2"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "DIALER_ACCESS_TOKEN" in result.stderr


def test_sandbox_subcommand_documents_its_flags() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dialer_app", "sandbox", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    for flag in ("--host", "--port", "--access-token", "--data", "--seed", "--prospects"):
        assert flag in result.stdout
