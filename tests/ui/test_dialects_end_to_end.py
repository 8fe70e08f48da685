"""The rep's path under every dialect of Outreach's open questions (`tests.support.dialects`).

Each test runs once per dialect of `DIALECTS` — every answer of every question, and every pair of
answers, meets at least once — against a sandbox process on 127.0.0.1, through the real window:
find a prospect by name, email and number, log a call on its open call task with the task
follow-up on, and let the local index answer a partial name.
"""

from __future__ import annotations

from typing import Any

import httpx
import phonenumbers
import pytest
from PySide6.QtWidgets import QComboBox, QLineEdit

from dialer_app.core.outreach.models import call_outcome
from tests.support.dialects import Dialected
from tests.support.qt import by_name, type_query

pytestmark = pytest.mark.slow


def _open_task_prospect(api: httpx.Client) -> tuple[dict[str, Any], dict[str, Any], str]:
    """An open call task whose prospect has an email and a mobile number of its own."""
    tasks = api.get(
        "/tasks",
        params={
            "filter[state]": "incomplete",
            "filter[taskType]": "sequence_step_call",
            "page[size]": 100,
        },
    ).json()["data"]
    for task in tasks:
        pid = task["relationships"]["prospect"]["data"]["id"]
        prospect = api.get(f"/prospects/{pid}").json()["data"]
        if not prospect["attributes"]["emails"] or prospect["attributes"]["callOptedOut"]:
            continue
        for number in prospect["attributes"]["mobilePhones"]:
            holders = api.get("/phoneNumbers", params={"filter[number]": number}).json()["data"]
            if len(holders) == 1:
                return task, prospect, number
    raise AssertionError("no open call task with a prospect of its own number")


def _rows(win: Any) -> list[str]:
    model = win.search.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def _row_of(win: Any, name: str) -> str:
    return next(r for r in _rows(win) if r.startswith(name))


def test_a_rep_finds_logs_and_completes_the_task_in_every_dialect(
    qtbot: Any, make_window: Any, dialect: Dialected
) -> None:
    server = dialect.server
    with server.client() as api:
        task, prospect, mobile = _open_task_prospect(api)
        dispositions = api.get("/callDispositions").json()["data"]
        state_id = task["relationships"]["sequenceState"]["data"]["id"]
        before = api.get(f"/sequenceStates/{state_id}", params={"include": "sequenceStep"}).json()
    attrs = prospect["attributes"]
    name = f"{attrs['firstName']} {attrs['lastName']}"
    opened = make_window(server, complete_call_task=True)
    win, service = opened.win, opened
    box = by_name(win, "Prospect search", QLineEdit)

    type_query(qtbot, service, box, name.lower())
    assert _row_of(win, name).endswith("matched on name")
    box.clear()
    type_query(qtbot, service, box, attrs["emails"][0])
    assert _row_of(win, name).endswith(f"matched on email {attrs['emails'][0]}")
    box.clear()
    parsed = phonenumbers.parse(mobile)
    typed = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    type_query(qtbot, service, box, typed)
    assert _rows(win) == [_row_of(win, name)]
    assert _row_of(win, name).endswith(f"matched on mobile number {typed}")
    box.clear()
    type_query(qtbot, service, box, "Zqxjv")
    assert _rows(win) == []  # an ignored filter never makes everyone match

    box.clear()
    type_query(qtbot, service, box, name)
    win.search.results.setCurrentIndex(
        win.search.model.index(_rows(win).index(_row_of(win, name)), 0)
    )
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        win.search._choose(win.search.results.currentIndex().row())
    assert win.desk.card is not None
    assert win.desk.card.id == prospect["id"]
    win.call.dial.click()
    win.call.hang_up.click()  # never answered…
    answered = next(
        d for d in dispositions if call_outcome(d["attributes"]["outcome"]) == "Answered"
    )
    combo = by_name(win, "Disposition", QComboBox)
    combo.setCurrentIndex(combo.findData(answered["id"]))  # …but the rep says it was
    sequence = by_name(win, "Sequence action", QComboBox)
    sequence.setCurrentIndex(sequence.findData("Advance"))
    with qtbot.waitSignal(service.logbook.callSent, timeout=10_000) as sent:
        win.log_button.click()
    entry, call_id = sent.args

    def task_done() -> bool:
        follows = service.logbook.followers(entry.id)
        return [f.state for f in follows if f.kind == "complete_task"] == ["sent"]

    qtbot.waitUntil(task_done, timeout=10_000)
    with server.client() as api:
        shown: list[Any] = []  # a lagging org shows the stored call in reads a little later
        qtbot.waitUntil(
            lambda: shown.append(api.get(f"/calls/{call_id}")) or shown[-1].status_code == 200,
            timeout=10_000,
        )
        call = shown[-1].json()["data"]
        task_after = api.get(f"/tasks/{task['id']}").json()["data"]
        after = api.get(f"/sequenceStates/{state_id}", params={"include": "sequenceStep"}).json()
    assert call["attributes"]["outcome"] == "Answered"  # the disposition's, in either words
    assert call["relationships"]["task"]["data"]["id"] == task["id"]
    assert task_after["attributes"]["state"] == "complete"
    step_before = before["included"][0]["attributes"]["order"]
    if after["data"]["attributes"]["state"] == "active":  # advanced once, never twice
        assert after["included"][0]["attributes"]["order"] == step_before + 1
    else:
        assert after["data"]["attributes"]["state"] == "finished"


def test_the_local_index_answers_a_partial_name_in_every_dialect(
    qtbot: Any, make_window: Any, dialect: Dialected
) -> None:
    server = dialect.server
    with server.client() as api:
        own = api.get("/prospects", params={"filter[owner][id]": 1, "page[size]": 50}).json()[
            "data"
        ]
    someone = next(p for p in own if len(p["attributes"]["lastName"]) >= 4)["attributes"]
    opened = make_window(server)
    win, service = opened.win, opened
    qtbot.waitUntil(lambda: service.lookup.index.meta("synced_at") is not None, timeout=20_000)
    partial = someone["lastName"][:4].lower()
    local: list[Any] = []
    service.lookup.recentFound.connect(lambda query, matches: local.append((query, matches)))
    server.faults(latency_ms=300)  # Outreach thinks a while: the local matches show meanwhile
    try:
        type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), partial)
    finally:
        server.faults(latency_ms=0)
    assert local  # shown from disk before Outreach answered
    assert any(m.prospect.last_name == someone["lastName"] for m in local[-1][1])
    assert any(r.startswith(f"{someone['firstName']} {someone['lastName']}") for r in _rows(win))
    assert all("matched on" in r for r in _rows(win))
