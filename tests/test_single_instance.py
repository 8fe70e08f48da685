"""Single instance with real processes: a second launch forwards its link or event to the running
window and exits 0; with no window running, the launch becomes the window; bad input is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer_app.core.remote import instance_name
from dialer_app.services.instance import forward
from tests.support.app_process import AppProcess, app_env, read_draft, run_cli
from tests.support.prospects import numbers_with_one_prospect


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
    answer = forward(instance_name(home / "data"), ["event", "answered", "--call-id", "in-1"])
    assert answer == "ok"
    _applied(app, "event")
    assert read_draft(home)["phase"] == "live"


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
    assert forward(instance_name(home / "data"), []) is None
    # a window refuses what a launcher did not check
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    answer = forward(instance_name(home / "data"), ["tel:alice"])
    assert answer is not None
    assert answer.startswith("error: ")


def test_instance_names_are_per_user_and_per_data_dir(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    assert instance_name(a, "ann") != instance_name(b, "ann")
    assert instance_name(a, "ann") != instance_name(a, "bob")
    assert instance_name(a, "ann") == instance_name(a, "ann")


def test_the_window_drops_a_launcher_that_never_sends(sandbox, home, apps) -> None:
    from PySide6.QtNetwork import QLocalSocket

    env = app_env(home, sandbox)
    app = AppProcess("--api-base-url", sandbox.base_url, env=env).start()
    apps.append(app)
    app.wait_for("listening for links and events as ")
    stalled = QLocalSocket()
    stalled.connectToServer(instance_name(home / "data"))
    assert stalled.waitForConnected(3000)
    # the window hangs up on it (well within the test's patience) and still serves others
    assert stalled.waitForDisconnected(10_000)
    assert forward(instance_name(home / "data"), []) == "ok"
