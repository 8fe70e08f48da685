"""Tags as chips with suggestions; recently seen prospects answer at once, even offline."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QToolButton

from dialer_app.ui.tags import TagsEdit
from tests.support.qt import by_name, end_a_call, type_query


def test_tags_become_chips_and_come_back_for_editing(qtbot) -> None:
    tags = TagsEdit()
    qtbot.addWidget(tags)
    tags.show()
    qtbot.keyClicks(tags.input, "budget, Demo")
    assert tags.chips() == ["budget"]
    qtbot.keyClick(tags.input, Qt.Key.Key_Return)
    assert tags.chips() == ["budget", "Demo"]
    qtbot.keyClicks(tags.input, "BUDGET")
    qtbot.keyClick(tags.input, Qt.Key.Key_Return)
    assert tags.chips() == ["budget", "Demo"]  # the same tag twice is one tag
    qtbot.keyClick(tags.input, Qt.Key.Key_Backspace)  # empty box: the last chip comes back
    assert tags.chips() == ["budget"]
    assert tags.input.text() == "Demo"
    qtbot.keyClicks(tags.input, "-day")
    assert tags.tags() == ["budget", "Demo-day"]  # typed but not committed still counts
    by_name(tags, "Remove tag budget", QToolButton).click()
    assert tags.tags() == ["Demo-day"]
    tags.set_tags(["a", " ", "b", "A"])
    assert tags.chips() == ["a", "b"]
    assert tags.text() == "a, b"


def test_a_picked_suggestion_leaves_the_box_empty_for_the_next_tag(qtbot) -> None:
    tags = TagsEdit()
    qtbot.addWidget(tags)
    tags.show()
    tags.set_suggestions(["budget", "no-answer", "follow-up"])
    completer = tags.input.completer() or tags.completer
    popup = completer.popup()
    qtbot.keyClicks(tags.input, "bud")
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    # On X11 the closing list highlights its pick once more (as this does): the box must stay
    # empty all the same, or the next tag runs into it ("budgetno-answer").
    completer.highlighted[str].emit("budget")
    assert tags.chips() == ["budget"]
    assert tags.input.text() == ""
    qtbot.keyClicks(tags.input, "no-answer")  # a whole suggestion typed, its list open
    qtbot.keyClick(tags.input, Qt.Key.Key_Return)
    assert tags.chips() == ["budget", "no-answer"]
    assert tags.input.text() == ""
    assert not popup.isVisible()


def test_suggestions_offer_the_reps_recent_tags_first(qtbot, sandbox, make_window) -> None:
    opened = make_window(sandbox)
    win, service = opened.win, opened
    end_a_call(qtbot, win, service)
    qtbot.keyClicks(by_name(win, "Tags", QLineEdit), "zebra-crossing")
    with qtbot.waitSignal(service.lookup.tagsLoaded, timeout=5000):
        win.log_button.click()
    assert win.wrapup.tags.suggestions()[0] == "zebra-crossing"
    assert win.wrapup.tags.tags() == []  # the form cleared for the next call


def test_org_tags_are_suggested(qtbot, sandbox, make_window) -> None:
    with sandbox.client() as api:
        calls = api.get("/calls", params={"page[size]": 200}).json()["data"]
    used = {t for c in calls for t in (c["attributes"]["tags"] or [])}
    opened = make_window(sandbox)
    qtbot.waitUntil(lambda: bool(opened.win.wrapup.tags.suggestions()) or not used, timeout=5000)
    assert used <= set(opened.win.wrapup.tags.suggestions())


def test_a_prospect_seen_before_is_found_while_outreach_is_down(
    qtbot, make_sandbox, make_window
) -> None:
    server = make_sandbox()
    opened = make_window(server)
    win, service = opened.win, opened
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, "a")
    prospect = win.search.model.match_at(0).prospect
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        win.search._choose(0)
    server.stop()

    box.clear()
    last = prospect.last_name
    failed = qtbot.waitSignal(
        service.lookup.searchFailed, timeout=15_000, check_params_cb=lambda q, _m: q == last
    )
    with failed, qtbot.waitSignal(service.lookup.recentFound, timeout=1000) as recent:
        qtbot.keyClicks(box, prospect.last_name)
    assert prospect.id in [m.prospect.id for m in recent.args[1]]
    assert win.search.results.isVisible()
    assert prospect.id in [
        win.search.model.match_at(i).prospect.id for i in range(win.search.model.rowCount())
    ]
    assert "Showing the matches kept on this computer" in win.search.state.text()
