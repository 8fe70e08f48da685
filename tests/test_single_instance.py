"""Single instance with real processes: a second launch forwards its link or event to the running
window and exits 0; with no window running, the launch becomes the window; bad input is refused.
Launches at the same moment give one window; the socket is the user's own and gone on exit."""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from dialer_app.core.remote import LOCK_FILE, instance_name, published_socket
from dialer_app.services.instance import forward
from tests.support.app_process import AppProcess, app_env, read_draft, run_cli
from tests.support.prospects import numbers_with_one_prospect

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
NOBODY = 65534
SYSTEM_PYTHON = "/usr/bin/python3"  # one that user `nobody` may run (the venv may be private)


def _socket(home: Path) -> str:
    """The socket the window for `home` published in its lock file."""
    found = published_socket(home / "data")
    assert found, "no window published a socket"
    return found


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def apps():
    started: list[AppProcess] = []
    yield started
    for app in started:
        app.stop()


def _applied(app: AppProcess, kind: str) -> None:
    app.wait_for(f"applied a request: {kind}", after=len(app.lines))


@pytest.mark.slow
def test_second_launches_forward_to_the_running_window(sandbox, home, apps) -> None:
    env = app_env(home, sandbox)
    who = numbers_with_one_prospect(sandbox, 1)[0]
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")

    mark = len(app.lines)
    done = run_cli("event", "dialing", "--number", who.number, "--call-id", "c1", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    app.wait_for("applied a request: event", after=mark)
    assert read_draft(home)["phase"] == "ringing"

    mark = len(app.lines)
    done = run_cli("event", "ended", "--number", who.number, "--call-id", "c1", env=env)
    assert done.returncode == 0
    app.wait_for("applied a request: event", after=mark)
    draft = read_draft(home)
    assert draft["phase"] == "wrapping"
    assert draft["dialed_at"] < draft["completed_at"]


@pytest.mark.slow
def test_a_link_opens_the_prospect_in_the_running_window(sandbox, home, apps) -> None:
    env = app_env(home, sandbox)
    who = numbers_with_one_prospect(sandbox, 1)[0]
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    mark = len(app.lines)
    done = run_cli(f"tel:{who.number}", env=env)
    assert (done.returncode, done.stderr) == (0, "")
    app.wait_for("applied a request: open", after=mark)
    app.wait_for(f"/prospects/{who.prospect_id}", after=mark)  # the card is loading
    assert read_draft(home)["card_id"] == who.prospect_id


def test_with_no_window_running_the_launch_becomes_the_window(sandbox, home, apps) -> None:
    env = app_env(home, sandbox)
    who = numbers_with_one_prospect(sandbox, 1)[0]
    app = AppProcess(
        "event", "incoming", "--number", who.number, "--call-id", "in-1", env=env
    ).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    app.wait_for("applied a request: event")
    assert read_draft(home)["phase"] == "ringing"
    # and it answers the next launch itself
    answer = forward(_socket(home), ["event", "answered", "--call-id", "in-1"])
    assert answer == "ok"
    _applied(app, "event")
    assert read_draft(home)["phase"] == "live"


@pytest.mark.slow
def test_bad_links_and_events_are_refused_with_a_reason(sandbox, home, apps) -> None:
    env = app_env(home, sandbox)
    for args, reason in [
        (("http://example.com",), "is not a tel:"),
        (("tel:alice",), "tel: number"),
        (("event", "explode", "--number", "+14155550123"), "invalid choice"),
        (("event", "dialing", "--number", "$(reboot)"), "not a phone number"),
    ]:
        done = run_cli(*args, env=env)
        assert done.returncode == 2, args
        assert reason in done.stderr, (args, done.stderr)
    # nothing was started for them
    assert published_socket(home / "data") is None
    # a window refuses what a launcher did not check
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    answer = forward(_socket(home), ["tel:alice"])
    assert answer is not None
    assert answer.startswith("error: ")


def test_instance_names_are_per_user_and_per_data_dir(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert instance_name(a, "ann") != instance_name(b, "ann")
    assert instance_name(a, "ann") != instance_name(a, "bob")
    assert instance_name(a, "ann") == instance_name(a, "ann")


@pytest.mark.slow
def test_the_window_drops_a_launcher_that_never_sends(sandbox, home, apps) -> None:
    from PySide6.QtNetwork import QLocalSocket

    env = app_env(home, sandbox)
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    stalled = QLocalSocket()
    stalled.connectToServer(_socket(home))
    assert stalled.waitForConnected(3000)
    # the window hangs up on it (well within the test's patience) and still serves others
    assert stalled.waitForDisconnected(10_000)
    assert forward(_socket(home), []) == "ok"


# -- really single, really yours ------------------------------------------------------------


def _exits(app: AppProcess, timeout: float = 60) -> int:
    assert app.proc is not None
    return app.proc.wait(timeout)


@pytest.mark.slow
def test_three_launches_at_the_same_moment_give_one_demo_window(home, apps) -> None:
    """Each launch brings a link; one becomes the window (one demo sandbox, seeded once), the
    others hand their link over and exit 0 — before, each opened a window of its own."""
    env = {**app_env(home, _NoServer()), "DIALER_ACCESS_TOKEN": ""}
    links = ["tel:+14155550101", "tel:+14155550102", "tel:+14155550103"]
    launched = [AppProcess(link, env=env) for link in links]
    for app in launched:
        apps.append(app.start())
    windows = _until_one_runs(launched)
    for app in launched:
        if app not in windows:
            assert app.proc is not None
            assert app.proc.returncode == 0, app.lines
    # the one left running is the window: it listens, and applied all three links
    (window,) = windows
    window.wait_for("listening for links and events as ")
    _wait_count(window, "applied a request: open", len(links))
    window.wait_for("/api/v2/", timeout=60)  # the demo sandbox answered
    log = (home / "logs" / "demo-sandbox.log").read_text(encoding="utf-8")
    assert log.count("seeded") == 1, log


def _until_one_runs(launched: list[AppProcess], timeout: float = 90) -> list[AppProcess]:
    """Wait until all launches but one have exited; those still running."""
    deadline = time.monotonic() + timeout
    while True:
        running = [a for a in launched if a.proc is not None and a.proc.poll() is None]
        if len(running) <= 1 or time.monotonic() > deadline:
            return running
        with contextlib.suppress(subprocess.TimeoutExpired):
            running[0].proc.wait(0.2)  # type: ignore[union-attr]


def _wait_count(app: AppProcess, text: str, n: int) -> None:
    """Until `app` has logged `n` lines containing `text`."""
    while sum(text in line for line in app.lines) < n:
        app.wait_for(text, after=len(app.lines))


class _NoServer:
    token = ""


@pytest.mark.slow
def test_a_closed_window_removes_its_socket_and_lets_the_next_launch_in(
    sandbox, home, apps
) -> None:
    env = app_env(home, sandbox)
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    path = _socket(home)
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    assert app.proc is not None
    app.proc.send_signal(signal.SIGTERM)  # a logout, or `kill`: the window closes as on quit
    assert _exits(app) == 0
    assert not os.path.lexists(path)
    assert published_socket(home / "data") is None  # the lock is free and says nothing
    # a window killed outright leaves a socket behind; the next launch takes over anyway
    second = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(second)
    second.wait_for("listening for links and events as ")
    assert second.proc is not None
    second.proc.kill()
    second.proc.wait(10)
    assert os.path.lexists(_socket(home))
    third = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(third)
    third.wait_for("listening for links and events as ")
    assert forward(_socket(home), []) == "ok"


def test_the_lock_file_and_socket_folder_are_private(sandbox, home, apps) -> None:
    env = app_env(home, sandbox)
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    path = Path(_socket(home))
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert os.stat(path.parent).st_uid == os.getuid()
    assert stat.S_IMODE(os.stat(home / "data" / LOCK_FILE).st_mode) == 0o600
    for folder in ("data", "config"):
        assert stat.S_IMODE(os.stat(home / folder).st_mode) == 0o700, folder
    # an outbox created by the window is private, with its side files
    for db in (home / "data").glob("outbox-*.sqlite3*"):
        assert stat.S_IMODE(db.stat().st_mode) == 0o600, db.name


ATTACKER = """
import os, socket, sys
folder, name, record = sys.argv[1:4]
os.mkdir(folder)
os.chmod(folder, 0o777)
server = socket.socket(socket.AF_UNIX)
server.bind(os.path.join(folder, name))
os.chmod(os.path.join(folder, name), 0o777)
server.listen(8)
print("squatting", flush=True)
while True:
    conn, _ = server.accept()
    with open(record, "ab") as f:
        f.write(conn.recv(65536) + b"\\n")
    conn.sendall(b"ok\\n")
    conn.close()
"""


@pytest.fixture
def shared_tmp() -> Path:
    """A temporary folder every local user can write in (like /tmp), for this test alone."""
    folder = Path(tempfile.mkdtemp(prefix="dialer-shared-", dir="/tmp"))
    folder.chmod(0o1777)
    yield folder
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.skipif(not AS_ROOT, reason="becoming another user needs root here")
@pytest.mark.skipif(not os.access(SYSTEM_PYTHON, os.X_OK), reason="no system Python for `nobody`")
def test_another_user_squatting_the_socket_folder_gets_nothing(
    sandbox, home, apps, shared_tmp
) -> None:
    """User `nobody` creates the folder and socket the app used to use, and answers "ok" to
    whatever it receives. The window still opens (elsewhere, privately), links still reach it,
    and the squatter receives nothing — not even when the lock file is made to point at it."""
    who = numbers_with_one_prospect(sandbox, 1)[0]
    squatted = shared_tmp / f"dialer-companion-{os.getuid()}"
    record = shared_tmp / "received.log"
    name = instance_name(home / "data").rsplit("-", 1)[-1] + ".sock"
    attacker = subprocess.Popen(
        [SYSTEM_PYTHON, "-c", ATTACKER, str(squatted), name, str(record)],
        user=NOBODY,
        group=NOBODY,
        extra_groups=[],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert attacker.stdout is not None
        assert attacker.stdout.readline().strip() == "squatting"
        assert os.stat(squatted).st_uid == NOBODY
        env = {k: v for k, v in app_env(home, sandbox).items() if k != "XDG_RUNTIME_DIR"}
        env["TMPDIR"] = str(shared_tmp)
        app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
        apps.append(app)
        line = app.wait_for("listening for links and events as ")
        # Not in the squatted folder (a private folder's random name may begin as its name does).
        assert f"{squatted}{os.sep}" not in line
        app.wait_for("belongs to user 'nobody'")
        mine = Path(_socket(home))
        assert mine.parent.parent == shared_tmp
        assert os.stat(mine.parent).st_uid == os.getuid()
        assert stat.S_IMODE(os.stat(mine.parent).st_mode) == 0o700

        mark = len(app.lines)
        done = run_cli(f"tel:{who.number}", env=env)
        assert (done.returncode, done.stderr) == (0, "")
        app.wait_for("applied a request: open", after=mark)

        # a lock file pointing at the squatter's socket: refused, and said, never forwarded
        lock = home / "data" / LOCK_FILE
        lock.write_text(f'{{"pid": 1, "socket": "{squatted / name}"}}', encoding="utf-8")
        done = run_cli(f"tel:{who.number}", env=env)
        assert done.returncode == 1
        assert "not handing over" in done.stderr
        assert "belongs to user 'nobody'" in done.stderr
        assert done.stderr.count("\n") == 1
    finally:
        attacker.kill()
        attacker.wait(10)
        if attacker.stdout is not None:
            attacker.stdout.close()
    assert not record.exists() or record.read_bytes() == b""
