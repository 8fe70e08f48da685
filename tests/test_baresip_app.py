"""The app as started by a rep with `--baresip HOST:PORT`: it follows the real softphone's calls
(two Baresip processes on 127.0.0.1, the app a process of its own), and keeps the setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.app_process import AppProcess, app_env, read_draft, run_cli
from tests.support.baresip import BaresipPhone, PeerControl, needs_baresip
from tests.support.prospects import numbers_with_one_prospect


def test_the_baresip_flag_is_checked_and_saved(tmp_path: Path, sandbox) -> None:
    env = app_env(tmp_path / "home", sandbox)
    refused = run_cli("--baresip", "127.0.0.1:99999", env=env)
    assert refused.returncode == 2
    assert "--baresip" in refused.stderr


@needs_baresip
@pytest.mark.slow
def test_an_incoming_call_on_baresip_rings_in_the_app(tmp_path: Path, sandbox) -> None:
    who = numbers_with_one_prospect(sandbox, 1)[0]
    home = tmp_path / "home"
    env = app_env(home, sandbox)
    rep = BaresipPhone(tmp_path / "rep", "rep")
    caller = BaresipPhone(tmp_path / "caller", who.number)
    app = AppProcess(
        "--api-base-url", sandbox.base_url, "--baresip", f"127.0.0.1:{rep.ctrl_port}", env=env
    )
    control = None
    try:
        rep.start()
        caller.start()
        app.start()
        app.wait_for(f"Baresip at 127.0.0.1:{rep.ctrl_port}")
        settings = json.loads((home / "config" / "settings.json").read_text(encoding="utf-8"))
        assert settings["baresip"] == f"127.0.0.1:{rep.ctrl_port}"
        control = PeerControl(caller.ctrl_port)
        control.send("dial", rep.aor)  # the prospect calls the rep
        app.wait_for("applied a Baresip event: incoming")
        draft = read_draft(home)
        assert (draft["phase"], draft["direction"]) == ("ringing", "inbound")
        app.wait_for(f"/prospects/{who.prospect_id}")  # the caller's card is loading
        control.send("hangup")  # the caller gives up
        app.wait_for("applied a Baresip event: ended")
        assert read_draft(home)["phase"] == "wrapping"
    finally:
        if control is not None:
            control.close()
        app.stop()
        rep.stop()
        caller.stop()
