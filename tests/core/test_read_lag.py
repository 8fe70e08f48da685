"""Dedup that survives read lag, against the real sandbox started with `--read-lag`.

The sandbox shows a POSTed call in reads only N seconds later (as Outreach may); after a POST
of unknown fate the sender keeps looking for the call over its window before any resend. With
a single look (the window `(0,)`, as the app did before) the same call is stored twice.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox
from dialer_app.sandbox.cli import build_parser
from dialer_app.sandbox.readlag import ReadLag
from tests.support.dialects import Dialected
from tests.support.drain import drain
from tests.support.sandbox import poll_until

PROSPECT = 3


def _call(n: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(outcome="Answered", vendorCallId=f"lag-{n}-{random.random()}"),
        relationships=CallRelationships.link(prospect=PROSPECT),
    )


def _stored(server: Any, vendor_ids: set[str]) -> list[str]:
    with server.client() as api:
        doc = api.get(
            "/calls",
            params={
                "filter[prospect][id]": PROSPECT,
                "page[size]": 1000,
                "fields[call]": "vendorCallId",
            },
        ).json()
    return [
        c["attributes"]["vendorCallId"]
        for c in doc["data"]
        if c["attributes"]["vendorCallId"] in vendor_ids
    ]


@pytest.mark.slow
def test_a_posted_call_shows_in_reads_only_after_the_lag(make_sandbox: Any) -> None:
    server = make_sandbox("--prospects", "10", "--read-lag", "600")
    with server.client() as api:
        before = api.get("/calls", params={"count": "true", "page[size]": 1}).json()["meta"][
            "count"
        ]
        posted = api.post(
            "/calls",
            json=_call(1).to_document(),
            headers={"Content-Type": "application/vnd.api+json"},
        )
        assert posted.status_code == 201  # the POST's own answer is immediate
        call_id = posted.json()["data"]["id"]
        listed = api.get("/calls", params={"filter[prospect][id]": PROSPECT}).json()["data"]
        assert call_id not in [c["id"] for c in listed]
        assert api.get(f"/calls/{call_id}").status_code == 404
        counted = api.get("/calls", params={"count": "true", "page[size]": 1}).json()
        assert counted["meta"]["count"] == before
        assert server.admin("read-lag") == {"seconds": 600.0}
        assert server.admin("read-lag", "PUT", {"seconds": 0.5}) == {"seconds": 0.5}
        poll_until(lambda: api.get(f"/calls/{call_id}").status_code == 200, 10, "the call shows")
        counted = api.get("/calls", params={"count": "true", "page[size]": 1}).json()
        assert counted["meta"]["count"] == before + 1


@pytest.mark.parametrize(
    ("body", "status"),
    [({"seconds": -1}, 422), ({"seconds": "soon"}, 422), ({"seconds": 1e9}, 422), ({}, 400)],
)
def test_the_admin_api_refuses_a_bad_lag(
    sandbox: Any, body: dict[str, object], status: int
) -> None:
    with pytest.raises(httpx.HTTPStatusError) as info:
        sandbox.admin("read-lag", "PUT", body)
    assert info.value.response.status_code == status
    assert sandbox.admin("read-lag") == {"seconds": 0.0}


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "soon", "7200"])
def test_the_flag_refuses_a_bad_lag(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args(["--read-lag", value])
    assert info.value.code == 2
    assert "--read-lag" in capsys.readouterr().err


def test_a_lag_forgets_calls_once_they_show() -> None:
    now = [0.0]
    lag = ReadLag(5, now=lambda: now[0])
    lag.created(1)
    assert lag.hidden() == {1}
    now[0] = 6
    assert lag.hidden() == frozenset()
    lag.set(0)
    lag.created(2)  # no lag: nothing to remember
    assert lag.hidden() == frozenset()


def _drain(
    server: Any, outbox: Outbox, checks: tuple[float, ...], done: Callable[[], bool]
) -> None:
    drain(server, outbox, done, checks=checks, owner="lag-test")


@pytest.mark.slow
def test_a_dropped_answer_is_looked_for_until_the_lagging_reads_show_it(
    make_sandbox: Any, tmp_path: Path
) -> None:
    server = make_sandbox("--prospects", "10", "--read-lag", "1", "--drop-after-commit", "1")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        entries = [outbox.enqueue(_call(n)) for n in range(3)]
        checking: list[bool] = []

        def done() -> bool:
            checking.append(outbox.get(entries[0].id).uncertain)
            return outbox.counts().sent == 3

        _drain(server, outbox, (0.25, 0.5, 2.0, 4.0), done)
        server.admin("read-lag", "PUT", {"seconds": 0})
        stored = _stored(server, {e.vendor_call_id for e in entries})
        assert sorted(stored) == sorted(e.vendor_call_id for e in entries)  # once each
        assert any(checking)  # the first call was looked for before it showed
    finally:
        outbox.close()


def test_one_look_at_once_is_not_enough_under_read_lag(make_sandbox: Any, tmp_path: Path) -> None:
    """Why the window exists: looking once, at once, posts the same call again."""
    server = make_sandbox("--prospects", "10", "--read-lag", "1", "--drop-after-commit", "1")
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        entry = outbox.enqueue(_call(9))
        _drain(server, outbox, (0.0,), lambda: outbox.counts().sent == 1)
        server.admin("read-lag", "PUT", {"seconds": 0})
        assert _stored(server, {entry.vendor_call_id}) == [entry.vendor_call_id] * 2
    finally:
        outbox.close()


def test_a_dropped_answer_is_stored_once_in_every_dialect(
    dialect: Dialected, tmp_path: Path
) -> None:
    """The answer to the first POST is lost after Outreach stored the call; whatever the org's
    dialect (read lag included), the sender finds it and never stores it twice."""
    server = dialect.server
    server.admin("faults", "PUT", {"drop_after_commit": 1})
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    try:
        entries = [outbox.enqueue(_call(n)) for n in range(2)]
        _drain(server, outbox, (0.25, 0.5, 2.0, 4.0), lambda: outbox.counts().sent == 2)
        assert outbox.get(entries[0].id).attempts >= 1
        server.admin("read-lag", "PUT", {"seconds": 0})
        stored = _stored(server, {e.vendor_call_id for e in entries})
        assert sorted(stored) == sorted(e.vendor_call_id for e in entries)  # once each
    finally:
        server.admin("reset-faults", "POST")
        outbox.close()
