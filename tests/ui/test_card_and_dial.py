"""The card shows where the prospect stands; clicking a number hands it to the softphone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QMessageBox

from dialer_app.core.jsonapi import Resource
from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.core.uri import dial_uri
from tests.support.clock import FakeClock
from tests.support.qt import by_name, phase


def _prospects(sandbox) -> list[dict]:
    with sandbox.client() as api:
        return api.get("/prospects", params={"page[size]": 1000}).json()["data"]


@pytest.fixture
def opened(qtbot, sandbox, make_window):
    """Open a window on the prospect the test chooses: `opened(prospect, clock=…, scheme=…)`."""

    def open_on(prospect: dict, *, clock: FakeClock | None = None, scheme: str = "tel"):
        o = make_window(sandbox, clock=clock, scheme=scheme)
        match = Match(Prospect.from_resource(Resource.model_validate(prospect)), "name")
        with qtbot.waitSignal(o.lookup.prospectLoaded, timeout=10_000):
            o.win.search.matchChosen.emit(match)
        name = f"{prospect['attributes']['firstName']} {prospect['attributes']['lastName']}"
        assert o.win.card.name.text() == name
        return o.win, o.handed

    return open_on


@pytest.mark.parametrize("scheme", ["tel", "callto", "sip"])
def test_clicking_a_number_hands_it_over_and_starts_the_timer(opened, sandbox, scheme) -> None:
    prospect = next(
        p
        for p in _prospects(sandbox)
        if not p["attributes"]["callOptedOut"] and p["attributes"]["workPhones"]
    )
    win, handed = opened(prospect, scheme=scheme)
    button = win.card.number_buttons[0]
    button.click()
    number = win.card.detail.prospect.phone_numbers[0]
    assert handed == [dial_uri(scheme, number.number, number.extension)]
    assert phase(win) == "ringing"


@pytest.mark.parametrize("scheme", ["tel", "callto", "sip"])
def test_an_extension_a_link_cannot_carry_is_left_to_the_rep_to_dial(
    opened, sandbox, scheme
) -> None:
    with sandbox.client() as api:
        phones = api.get("/phoneNumbers", params={"page[size]": 1000}).json()["data"]
    with_extension = {
        ph["relationships"]["prospect"]["data"]["id"]
        for ph in phones
        if ph["attributes"]["extension"] and ph["relationships"]["prospect"]["data"]
    }
    prospect = next(
        p
        for p in _prospects(sandbox)
        if not p["attributes"]["callOptedOut"] and p["id"] in with_extension
    )
    win, handed = opened(prospect, scheme=scheme)
    numbers = win.card.detail.prospect.phone_numbers
    at = next(i for i, n in enumerate(numbers) if n.extension)
    number = numbers[at]
    win.card.number_buttons[at].click()
    said = by_name(win, "Messages", QLabel).text()
    if scheme == "tel":
        assert handed == [f"tel:{number.number};ext={number.extension}"]
        assert "extension" not in said
    else:
        assert handed == [f"{scheme}:{number.number}"]
        assert said == f"Dial extension {number.extension} yourself once the line answers."


def test_with_no_softphone_scheme_the_timer_still_starts(opened, sandbox) -> None:
    prospect = next(p for p in _prospects(sandbox) if p["attributes"]["workPhones"])
    win, handed = opened(prospect, scheme="none")
    if prospect["attributes"]["callOptedOut"]:
        pytest.skip("first prospect with numbers is opted out")
    win.card.number_buttons[0].click()
    assert handed == []
    assert phase(win) == "ringing"


def test_calling_an_opted_out_prospect_asks_first(opened, sandbox, monkeypatch) -> None:
    prospect = next(
        p
        for p in _prospects(sandbox)
        if p["attributes"]["callOptedOut"]
        and (p["attributes"]["workPhones"] or p["attributes"]["mobilePhones"])
    )
    win, handed = opened(prospect)
    assert "Opted out" in by_name(win, "Opt-out warning", QLabel).text()
    asked: list[str] = []

    def answer(choice):
        def ask(_parent, _title, text, *_rest):
            asked.append(text)
            return choice

        return ask

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    win.card.number_buttons[0].click()
    assert handed == []
    assert phase(win) == "idle"
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    win.card.number_buttons[0].click()
    assert len(handed) == 1
    assert phase(win) == "ringing"
    assert "opted out" in asked[0]


def _at_local(zone: str, hour: int) -> FakeClock:
    local = datetime(2026, 3, 4, hour, 15, tzinfo=ZoneInfo(zone))  # a Wednesday
    return FakeClock(local.astimezone(UTC))


def test_the_card_warns_outside_the_prospect_s_calling_hours(opened, sandbox) -> None:
    prospect = next(p for p in _prospects(sandbox) if p["attributes"]["timeZone"])
    zone = prospect["attributes"]["timeZone"]
    win, _ = opened(prospect, clock=_at_local(zone, 22))
    text = by_name(win, "Prospect local time", QLabel).text()
    assert text.startswith("Wed 22:15 local time")
    assert "outside calling hours" in text


def test_the_card_is_calm_inside_calling_hours(opened, sandbox) -> None:
    prospect = next(p for p in _prospects(sandbox) if p["attributes"]["timeZone"])
    zone = prospect["attributes"]["timeZone"]
    win, _ = opened(prospect, clock=_at_local(zone, 10))
    assert by_name(win, "Prospect local time", QLabel).text() == f"Wed 10:15 local time ({zone})"


def test_sequence_action_is_offered_only_to_prospects_in_a_sequence(opened, sandbox) -> None:
    with sandbox.client() as api:
        states = api.get(
            "/sequenceStates", params={"filter[state]": "active", "page[size]": 1000}
        ).json()["data"]
        tasks = api.get("/tasks", params={"filter[state]": "incomplete", "page[size]": 1000})
        tasks = tasks.json()["data"]
    busy = {st["relationships"]["prospect"]["data"]["id"] for st in states} | {
        t["relationships"]["prospect"]["data"]["id"] for t in tasks
    }
    everyone = _prospects(sandbox)
    idle = next(p for p in everyone if p["id"] not in busy)
    in_sequence = next(p for p in everyone if p["id"] in busy)
    win, _ = opened(idle)
    assert not by_name(win, "Sequence action", QComboBox).isEnabled()
    assert "Not in an active sequence" in by_name(win, "Active sequence", QLabel).text()
    win2, _ = opened(in_sequence)
    assert by_name(win2, "Sequence action", QComboBox).isEnabled()


def test_last_calls_show_their_disposition(opened, sandbox, qtbot) -> None:
    with sandbox.client() as api:
        call = api.get("/calls", params={"page[size]": 1, "sort": "-createdAt"}).json()["data"][0]
        pid = call["relationships"]["prospect"]["data"]["id"]
        prospect = api.get(f"/prospects/{pid}").json()["data"]
    win, _ = opened(prospect)
    text = by_name(win, "Last calls", QLabel).text()
    assert text.startswith("Last calls:")
    assert len(text.splitlines()) >= 2
    qtbot.keyClick(win, Qt.Key.Key_Escape)  # nothing breaks on stray keys
