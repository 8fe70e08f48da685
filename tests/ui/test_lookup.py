"""Lookup as you type: paced against a slow server, honest about no match, never auto-picking."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLineEdit

from dialer_app.core.phone import pretty
from tests.support.qt import by_name, type_query


def test_typing_fast_against_a_slow_server_asks_once_per_answer(qtbot, make_sandbox, make_window):
    server = make_sandbox("--latency-ms", "300")
    opened = make_window(server)
    win, service = opened.win, opened
    answered: list[str] = []
    service.lookup.searchFinished.connect(lambda query, _m: answered.append(query))
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, "alexandra")
    assert answered[-1] == "alexandra"
    assert len(answered) <= 3  # not one request per keystroke (9 keystrokes)
    assert box.text() == "alexandra"  # typing was never held up


def test_no_match_says_what_to_do(qtbot, sandbox, make_window):
    opened = make_window(sandbox)
    win, service = opened.win, opened
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), "zzqxj")
    state = win.search.state.text()
    assert "No prospect matches" in state
    assert "try an email or number" in state


def test_several_matches_are_listed_and_none_is_opened_until_the_rep_picks(
    qtbot, sandbox, make_window
):
    opened = make_window(sandbox)
    win, service = opened.win, opened
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, "a")
    assert win.search.model.rowCount() > 1
    assert win.desk.card is None  # listed, not opened
    assert "Enter opens the highlighted one" in win.search.state.text()
    assert by_name(win, "Prospect card", QFrame).isVisible()
    first = win.search.model.match_at(0)
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClick(box, Qt.Key.Key_Return)  # the rep picks: the highlighted one
    assert win.desk.card is not None
    assert win.desk.card.id == first.prospect.id


def test_the_matches_model_is_a_well_behaved_qt_model(qtmodeltester, qtbot, sandbox, make_window):
    opened = make_window(sandbox)
    win = opened.win
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, opened, box, "a")
    assert win.search.model.rowCount() > 1
    qtmodeltester.check(win.search.model)
    box.clear()
    type_query(qtbot, opened, box, "zzqxj")
    assert win.search.model.rowCount() == 0
    qtmodeltester.check(win.search.model)  # and empty


def test_a_number_typed_with_its_extension_finds_whose_it_is(qtbot, sandbox, make_window):
    """As the card shows it (`+1 212-555-0115 ext. 571`), typed key by key after the number:
    every answer on the way lists the number's people (the list never empties, as it would
    for a name search of `… ext`), and at the end whoever's number has that extension is first."""
    with sandbox.client() as api:
        phones = api.get("/phoneNumbers", params={"page[size]": 1000}).json()["data"]
    phone = next(
        ph
        for ph in phones
        if ph["attributes"]["extension"] and ph["relationships"]["prospect"]["data"]
    )
    number, extension = phone["attributes"]["number"], phone["attributes"]["extension"]
    owner = int(phone["relationships"]["prospect"]["data"]["id"])
    opened = make_window(sandbox)
    win, service = opened.win, opened
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, pretty(number))
    answers: list[tuple[str, list[int]]] = []
    service.lookup.searchFinished.connect(
        lambda query, matches: answers.append((query, [m.prospect.id for m in matches]))
    )
    for key in f" ext. {extension}":  # a key at a time, each answered before the next
        typed = f"{box.text()}{key}".strip()
        with qtbot.waitSignal(
            service.lookup.searchFinished,
            timeout=10_000,
            check_params_cb=lambda q, _m, typed=typed: q == typed,
        ):
            qtbot.keyClick(box, key)
    assert answers
    assert all(owner in ids for _query, ids in answers), answers
    first = win.search.model.match_at(0)
    assert first.prospect.id == owner
    assert first.reason.endswith(f"{pretty(number)} ext. {extension}")
