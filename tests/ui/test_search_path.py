"""Search → list → card with no surprises: ↓ goes into the matches, Enter opens the highlighted
one, Esc goes back; the matches and the card fit the window; rows are cut, never scrolled
sideways; each says why it matched; "more than 20" is said; and during an outage the matches
of an earlier query never pass for answers to the new one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
    QWidget,
)

from dialer_app.core.outreach.models import Match, Prospect
from dialer_app.core.phone import pretty
from tests.support.qt import by_name, type_query
from tests.support.writes import created, document, link, post


def _key(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    qtbot.keyClick(QApplication.focusWidget(), key, modifier)


def _type(qtbot, service, box: QLineEdit, text: str) -> None:
    """Type `text` at the end of the box and wait for the answer to the whole box."""
    whole = (box.text() + text).strip()
    with qtbot.waitSignal(
        service.lookup.searchFinished,
        timeout=10_000,
        check_params_cb=lambda query, _m: query == whole,
    ):
        qtbot.keyClicks(box, text)


def _focus_box(qtbot, win) -> QLineEdit:
    win.activateWindow()
    box = by_name(win, "Prospect search", QLineEdit)
    box.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box)
    return box


def test_down_enters_the_list_enter_opens_the_highlighted_match_esc_goes_back(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    box = _focus_box(qtbot, win)
    results = by_name(win, "Search results", QListView)
    type_query(qtbot, service, box, "a")
    assert win.search.model.rowCount() > 2
    scrolled = win.body_scroll.verticalScrollBar().value()

    _key(qtbot, Qt.Key.Key_Down)  # into the list, on the next match
    assert QApplication.focusWidget() is results
    assert results.currentIndex().row() == 1
    assert win.body_scroll.verticalScrollBar().value() == scrolled  # the window did not scroll
    _key(qtbot, Qt.Key.Key_Down)
    assert results.currentIndex().row() == 2
    _key(qtbot, Qt.Key.Key_Escape)  # back to the box, the list still there
    assert QApplication.focusWidget() is box
    assert results.isVisible()
    _key(qtbot, Qt.Key.Key_Down)  # back in, below the one highlighted before
    assert QApplication.focusWidget() is results
    assert results.currentIndex().row() == 3
    for row in (2, 1, 0):
        _key(qtbot, Qt.Key.Key_Up)
        assert results.currentIndex().row() == row
    _key(qtbot, Qt.Key.Key_Up)  # ↑ on the first row: back in the box
    assert QApplication.focusWidget() is box

    _key(qtbot, Qt.Key.Key_Down)
    highlighted = win.search.model.match_at(results.currentIndex().row())
    assert results.currentIndex().row() == 1
    assert highlighted is not None
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_Return)
    assert win.desk.card is not None
    assert win.desk.card.id == highlighted.prospect.id
    assert win.card.name.text() == highlighted.prospect.name
    assert not results.isVisible()
    assert QApplication.focusWidget() is box  # typing next starts a new search
    assert box.selectedText() == box.text()


def test_enter_in_the_box_opens_the_highlighted_match_and_esc_closes_the_list(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    box = _focus_box(qtbot, win)
    type_query(qtbot, service, box, "ar")
    assert win.search.model.rowCount() > 1
    assert win.desk.card is None  # several matches: none is opened for the rep
    _key(qtbot, Qt.Key.Key_Escape)
    assert not win.search.results.isVisible()  # Esc: the list goes, the card shows
    assert by_name(win, "Prospect card", QFrame).isVisible()
    _type(qtbot, service, box, "t")
    assert box.text() == "art"
    first = win.search.model.match_at(0)
    assert first is not None
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_Return)
    assert win.desk.card is not None
    assert win.desk.card.id == first.prospect.id


def test_enter_before_the_answer_opens_the_only_match_when_it_comes(
    qtbot, sandbox, make_window
) -> None:
    with sandbox.client() as api:
        people = api.get("/prospects", params={"page[size]": 50}).json()["data"]
    email = next(p["attributes"]["emails"][0] for p in people if p["attributes"]["emails"])
    opened = make_window(sandbox)
    win, service = opened.win, opened
    box = _focus_box(qtbot, win)
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        qtbot.keyClicks(box, email)
        _key(qtbot, Qt.Key.Key_Return)  # at once: the answer is not there yet
    assert email in win.card.detail.prospect.emails


def _inside(widget: QWidget, area: QWidget, rect: QRect | None = None) -> bool:
    """Whether `rect` of `widget` (all of it by default) shows inside `area`'s rectangle."""
    rect = rect or widget.rect()
    top_left = widget.mapTo(area, rect.topLeft())
    bottom_right = widget.mapTo(area, rect.bottomRight())
    return area.rect().contains(top_left) and area.rect().contains(bottom_right)


def test_the_matches_and_the_card_fit_the_window_at_its_default_size(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    win.resize(460, 860)  # the default where the screen has room (this one is 800 px high)
    box = _focus_box(qtbot, win)
    type_query(qtbot, service, box, "ar")
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        _key(qtbot, Qt.Key.Key_Return)
    box.selectAll()
    type_query(qtbot, service, box, "a")  # a new search over the card
    assert win.search.model.rowCount() >= 6
    results = win.search.results
    viewport = win.body_scroll.viewport()
    qtbot.waitUntil(lambda: results.isVisible())
    central = win.centralWidget()
    assert _inside(box, central)
    for row in range(6):  # six whole rows of matches
        assert _inside(
            results.viewport(), central, results.visualRect(win.search.model.index(row, 0))
        )
    assert _inside(win.card, viewport)  # and the whole card below them, without scrolling
    assert win.body_scroll.verticalScrollBar().value() == 0
    _key(qtbot, Qt.Key.Key_Down)
    assert _inside(box, central)  # going into the list never scrolls the box away


def test_rows_are_two_lines_cut_to_the_width_never_scrolled_sideways(
    qtbot, sandbox, make_window
) -> None:
    opened = make_window(sandbox)
    win = opened.win
    long = "Maximiliane Wilhelmina Oberhuber-Strasser von und zu Hohenlohe-Langenburg"
    prospect = Prospect(
        7,
        "Maximiliane",
        long,
        title="Senior Vice President of International Business Development and Partnerships",
        company="Vereinigte Versicherungs- und Rückversicherungsgesellschaft Aktiengesellschaft",
        emails=("maximiliane.oberhuber-strasser@versicherungs-und-rueckversicherung.example",),
    )
    matches = [
        Match(prospect, "mobile number +49 30 26501234 and another very long reason"),
        Match(prospect, "phone +4930265012345"),
    ]
    win.search.box.setText("max")
    win.search.show_results("max", matches)
    results = win.search.results
    metrics = results.fontMetrics()
    assert results.sizeHintForRow(0) <= 2 * metrics.height() + 16  # two lines a row
    assert results.sizeHintForColumn(0) <= results.viewport().width()
    assert results.horizontalScrollBar().maximum() == 0
    assert results.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    second = win.search.model.index(1, 0)
    assert "matched on phone +49 30 265012345" in second.data()  # a number a person reads
    assert long in second.data(Qt.ItemDataRole.AccessibleTextRole)  # read whole, drawn cut


def test_a_company_match_says_company_and_a_number_match_says_which_number(
    qtbot, sandbox, make_window
) -> None:
    with sandbox.client() as api:
        people = api.get("/prospects", params={"page[size]": 300}).json()["data"]
        phones = api.get("/phoneNumbers", params={"page[size]": 50}).json()["data"]
    names = " ".join(
        f"{p['attributes']['firstName']} {p['attributes']['lastName']}" for p in people
    )
    company = next(  # the start of a company's name that starts no prospect's name
        first
        for p in people
        if (first := (p["attributes"]["company"] or " ").split()[0]).isalpha()
        and len(first) > 4
        and first.lower() not in names.lower()
    )
    opened = make_window(sandbox)
    win, service = opened.win, opened
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, company)
    rows = [win.search.model.index(r, 0) for r in range(win.search.model.rowCount())]
    assert rows, f"no prospect found for {company!r}"
    for index in rows:
        assert "matched on name" not in index.data()
        assert "matched on company" in index.data()
        assert "matched on company" in index.data(Qt.ItemDataRole.AccessibleTextRole)
    number = phones[0]["attributes"]["number"]
    box.clear()
    type_query(qtbot, service, box, number)
    first = win.search.model.index(0, 0).data()
    kind = phones[0]["attributes"]["phoneType"]  # which number, of which type, as a person reads it
    assert f"matched on {kind} number {pretty(number)}" in first


@pytest.fixture
def switchboard(make_sandbox):
    """A sandbox of the test's own where 30 prospects share one switchboard number."""
    server = make_sandbox("--prospects", "40")
    number = "+12125550100"
    with server.client() as api:
        for pid in range(1, 31):
            body = document(
                "phoneNumber",
                {"number": number, "phoneType": "work"},
                {"prospect": link("prospect", pid)},
            )
            created(post(api, "/phoneNumbers", body))
    return server, number


def test_thirty_prospects_on_one_switchboard_say_more_than_twenty(
    qtbot, switchboard, make_window
) -> None:
    server, number = switchboard
    opened = make_window(server)
    win, service = opened.win, opened
    type_query(qtbot, service, by_name(win, "Prospect search", QLineEdit), number)
    assert win.search.model.rowCount() == 20
    state = by_name(win, "Search status", QLabel).text()
    assert "More than 20 matches" in state
    assert "More than 20" in by_name(win, "Search status", QLabel).accessibleDescription()


def test_a_search_during_an_outage_never_shows_earlier_matches_as_answers(
    qtbot, make_sandbox, make_window
) -> None:
    server = make_sandbox("--prospects", "60")
    opened = make_window(server)
    win, service = opened.win, opened
    box = _focus_box(qtbot, win)
    type_query(qtbot, service, box, "a")
    assert win.search.model.rowCount() > 1
    server.faults(latency_ms=25_000)  # Outreach stops answering
    try:
        qtbot.keyClicks(box, "lex")
        model = win.search.model
        # at once: greyed out, not openable, and said to be earlier ones
        assert model.stale
        assert not (model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEnabled)
        assert "Earlier match" in model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
        assert "Searching for" not in win.search.state.text()  # not for a moment's wait
        card = win.desk.card
        _key(qtbot, Qt.Key.Key_Return)  # nothing earlier is opened by Enter
        _key(qtbot, Qt.Key.Key_Down)
        assert QApplication.focusWidget() is box
        assert win.desk.card == card
        # a wait the rep notices is said, then the earlier matches are taken away
        qtbot.waitUntil(lambda: "Searching for “alex”" in win.search.state.text(), timeout=1000)
        qtbot.waitUntil(lambda: model.rowCount() == 0, timeout=5000)
        assert not win.search.results.isVisible()
        assert "Waiting for Outreach" in win.search.state.text()
    finally:
        server.reset_faults()


def test_a_failed_search_clears_earlier_matches_and_says_so(
    qtbot, make_sandbox, make_window
) -> None:
    server = make_sandbox("--prospects", "60")
    opened = make_window(server)
    win, service = opened.win, opened
    box = _focus_box(qtbot, win)
    type_query(qtbot, service, box, "a")
    assert win.search.model.rowCount() > 1
    server.stop()  # not reachable at all
    with qtbot.waitSignal(
        service.lookup.searchFailed, timeout=30_000, check_params_cb=lambda q, _m: q == "azq"
    ):
        qtbot.keyClicks(box, "zq")
    assert win.search.model.rowCount() == 0  # nothing of "a" is left under "azq"
    assert not win.search.results.isVisible()
    assert "Lookup failed" in win.search.state.text()


def test_the_search_clear_button_has_a_name(qtbot, sandbox, make_window) -> None:
    win = make_window(sandbox).win
    box = by_name(win, "Prospect search", QLineEdit)
    box.setText("x")
    clear = by_name(box, "Clear search")
    assert clear.isVisibleTo(box)
    qtbot.mouseClick(clear, Qt.MouseButton.LeftButton, pos=QPoint(4, 4))
    qtbot.waitUntil(lambda: box.text() == "")


@pytest.mark.slow
@pytest.mark.parametrize("scale", ["1", "2"])
def test_the_matches_and_the_card_fit_a_laptop_screen_at_100_and_200_percent(
    sandbox, tmp_path, scale
) -> None:
    """A 1920×1080 screen: at 200 % it is 960×540 for the window, which takes what room there
    is; the search box and its matches show, the card's name, local time and first number
    below them, the status bar whole, nothing scrolls sideways."""
    screen = tmp_path / "screen.json"
    screen.write_text(
        json.dumps(
            {"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1920, "height": 1080}]}
        ),
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={screen}",
        "QT_SCALE_FACTOR": scale,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.layout_probe", sandbox.base_url, sandbox.token],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    width, height = facts["screen"]
    assert facts["scale"] == float(scale)
    assert facts["window"][0] <= width
    assert facts["window"][1] <= height  # the window fits the screen
    assert facts["box"]
    assert facts["rows"] >= min(4, facts["matches"])
    assert facts["sideways"] == 0
    assert facts["card_name"]
    assert facts["local_time"]
    assert facts["first_number"]
    if scale == "1":
        assert facts["whole_card"]
    assert facts["status_cut"] == []


def test_outreachs_answer_keeps_the_match_the_rep_moved_to(qtbot) -> None:
    """The local matches come first; ↓ moves to one; Outreach's merged answer to the same
    query must not move the highlight back to the first row under the rep's finger."""
    from dialer_app.ui.search_panel import SearchPanel

    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.show()

    def people(*ids: int) -> list[Match]:
        return [Match(Prospect(i, f"Ana{i}", "Silva"), "name") for i in ids]

    qtbot.keyClicks(panel.box, "An")
    panel.show_results("An", people(4, 5))
    qtbot.keyClick(panel.box, Qt.Key.Key_Down)
    qtbot.keyClick(panel.results, Qt.Key.Key_Escape)  # back to the box
    qtbot.keyClicks(panel.box, "a")  # a new query: its first match, as always
    panel.show_results("Ana", people(1, 2, 3))  # kept on this computer, at once
    assert panel.results.currentIndex().row() == 0
    qtbot.keyClick(panel.box, Qt.Key.Key_Down)  # into the list: the next match
    assert panel.model.match_at(panel.results.currentIndex().row()).prospect.id == 2
    panel.show_results("Ana", people(7, 1, 2, 3))  # Outreach's answer, merged and ranked
    assert panel.model.match_at(panel.results.currentIndex().row()).prospect.id == 2
    with qtbot.waitSignal(panel.matchChosen) as chosen:
        qtbot.keyClick(panel.results, Qt.Key.Key_Return)
    assert chosen.args[0].prospect.id == 2  # Enter opens the one highlighted


def _people(*ids: int, reason: str = "name") -> list[Match]:
    return [Match(Prospect(i, f"Ana{i}", "Silva", company="Acme"), reason) for i in ids]


def test_the_list_and_the_status_grow_at_once_and_shrink_once_typing_pauses(qtbot) -> None:
    """While the rep types, fewer matches or a shorter status line do not shrink the panel (the
    card below would jump at every keystroke, and the window be laid out again); once typing
    pauses it fits them. More matches show at once."""
    from dialer_app.ui.search_panel import SearchPanel

    window = QWidget()  # the panel above room to spare, as in the window
    qtbot.addWidget(window)
    panel = SearchPanel(window)
    layout = QVBoxLayout(window)
    layout.addWidget(panel)
    layout.addStretch(1)
    window.resize(460, 700)
    window.show()
    results, state = panel.results, panel.state
    qtbot.keyClicks(panel.box, "An")
    panel.show_results("An", _people(*range(1, 26)))  # "More than 20 matches; …": lines
    QApplication.processEvents()
    tall, said = results.height(), state.height()
    qtbot.keyClicks(panel.box, "a")  # "Searching for “Ana”…": one line
    QApplication.processEvents()
    assert state.height() == said
    panel.show_results("Ana", _people(1))  # one match, right after typing
    QApplication.processEvents()
    assert (results.height(), state.height()) == (tall, said)
    assert panel.model.rowCount() == 1
    qtbot.keyClicks(panel.box, "1")
    panel.show_results("Ana1", _people(1))
    QApplication.processEvents()
    assert (results.height(), state.height()) == (tall, said)  # still typing
    row = results.sizeHintForRow(0)
    qtbot.waitUntil(lambda: results.height() == row + 2 * results.frameWidth(), timeout=5000)
    qtbot.waitUntil(lambda: state.height() < said, timeout=5000)
    qtbot.keyClick(panel.box, Qt.Key.Key_Backspace)
    panel.show_results("Ana", _people(1, 2, 3))
    assert results.height() == 3 * row + 2 * results.frameWidth()  # more: at once


def test_outreachs_answer_confirming_the_rows_updates_them_in_place(qtbot) -> None:
    """The local matches, then Outreach's answer with the same prospects: the rows are
    updated, not replaced (a screen reader on a row stays on it), the highlight stays."""
    from dialer_app.ui.search_panel import SearchPanel

    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.keyClicks(panel.box, "Ana")
    panel.show_results("Ana", _people(1, 2, 3))
    qtbot.keyClick(panel.box, Qt.Key.Key_Down)
    assert panel.results.currentIndex().row() == 1
    with qtbot.assertNotEmitted(panel.model.modelReset):
        panel.show_results("Ana", _people(1, 2, 3, reason="name and company"))
    assert panel.results.currentIndex().row() == 1
    assert panel.results.selectionModel().isRowSelected(1)
    assert "matched on name and company" in panel.model.index(1, 0).data()
    qtbot.keyClick(panel.results, Qt.Key.Key_Escape)
    qtbot.keyClicks(panel.box, "x")  # a new query: the rows cannot be picked from now on…
    assert panel.model.stale
    assert not panel.model.flags(panel.model.index(1, 0)) & Qt.ItemFlag.ItemIsEnabled
    panel.show_local("Anax", [])  # …and once it is asked (none kept here), look it
    assert not panel.results.selectionModel().hasSelection()
    assert not panel.results.currentIndex().isValid()
    assert panel.model.rowCount() == 3  # still there, greyed out, until Outreach answers


def test_the_next_keystrokes_answer_replaces_the_rows_where_they_are(qtbot) -> None:
    """Each keystroke's answer is written into the rows already listed, rows added or taken
    away for the difference: the list is not rebuilt (a screen reader stays in it, the view
    lays out only what changed), the first row is highlighted, and it shows the new people.
    No match at all clears the list."""
    from dialer_app.ui.search_panel import SearchPanel

    panel = SearchPanel()
    qtbot.addWidget(panel)
    panel.show()
    qtbot.keyClicks(panel.box, "Ana")
    panel.show_results("Ana", _people(1, 2, 3))
    model, results = panel.model, panel.results
    for typed, ids in (("1", (11, 12)), ("2", (21, 22, 23, 24)), ("3", (31, 32, 33, 34))):
        qtbot.keyClicks(panel.box, typed)
        with qtbot.assertNotEmitted(model.modelReset):
            panel.show_results(panel.box.text(), _people(*ids))
        shown = [model.match_at(r) for r in range(model.rowCount())]
        assert [m.prospect.id if m else None for m in shown] == list(ids)
        assert f"Ana{ids[0]} Silva" in model.index(0, 0).data()
        assert results.currentIndex().row() == 0
        assert results.selectionModel().isRowSelected(0)
        assert model.flags(model.index(0, 0)) & Qt.ItemFlag.ItemIsEnabled  # pickable again
    qtbot.keyClicks(panel.box, "4")
    panel.show_results(panel.box.text(), [])
    assert model.rowCount() == 0
    assert not results.isVisible()


def test_a_name_that_looks_like_markup_is_drawn_as_typed(qtbot) -> None:
    """Rows are drawn as plain text: "<b>Zed</b>" shows its angle brackets, it is not "Zed"
    in bold."""
    from dialer_app.ui.search_panel import SearchPanel

    def drawn(first: str) -> Any:
        panel = SearchPanel()
        qtbot.addWidget(panel)
        panel.resize(460, 300)
        panel.show()
        panel.box.setText("z")
        panel.show_results("z", [Match(Prospect(1, first, ""), "name")])
        panel.results.clearSelection()
        return panel.results.viewport().grab().toImage()

    assert drawn("<b>Zed</b>") != drawn("Zed")
    assert drawn("Zed") == drawn("Zed")
