"""The local index in the window: offline answers, opened prospects kept, a damaged file."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit

from tests.support.qt import by_name, type_query


def _own_with_mobile(server: Any) -> dict[str, Any]:
    with server.client() as api:
        own = api.get("/prospects", params={"filter[owner][id]": 1, "page[size]": 100}).json()
    return next(p for p in own["data"] if p["attributes"]["mobilePhones"])


def test_a_link_to_an_own_prospects_number_opens_while_outreach_is_down(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox("--prospects", "60")
    someone = _own_with_mobile(server)
    opened = make_window(server)
    service = opened
    qtbot.waitUntil(lambda: service.lookup.index.meta("synced_at") is not None, timeout=20_000)
    server.stop()
    number = someone["attributes"]["mobilePhones"][0]
    with qtbot.waitSignal(service.lookup.numberFound, timeout=15_000) as found:
        service.lookup.find_number(number)
    assert [m.prospect.id for m in found.args[1]] == [someone["id"]]
    assert found.args[1][0].reason.startswith("mobile number")


def test_a_prospect_opened_once_is_found_by_part_of_its_name_from_then_on(
    qtbot: Any, make_sandbox: Any, make_window: Any
) -> None:
    server = make_sandbox("--prospects", "60", "--unknown-filters", "reject")
    with server.client() as api:
        others = api.get("/prospects", params={"filter[owner][id]": 2}).json()["data"]
    other = others[0]["attributes"]  # not the rep's own: not in the index until opened
    name = f"{other['firstName']} {other['lastName']}"
    opened = make_window(server)
    win, service = opened.win, opened
    qtbot.waitUntil(lambda: service.lookup.index.meta("synced_at") is not None, timeout=20_000)
    box = by_name(win, "Prospect search", QLineEdit)
    partial = other["lastName"][:3]
    type_query(qtbot, service, box, partial)
    assert others[0]["id"] not in {m.prospect.id for m in _matches(win)}
    box.clear()
    type_query(qtbot, service, box, name)  # a whole name: Outreach's name filters find it
    row = next(i for i, m in enumerate(_matches(win)) if m.prospect.id == others[0]["id"])
    with qtbot.waitSignal(service.lookup.prospectLoaded, timeout=10_000):
        win.search._choose(row)
    qtbot.waitUntil(lambda: service.lookup.index.get(others[0]["id"]) is not None, timeout=5_000)
    box.clear()
    type_query(qtbot, service, box, partial)
    assert others[0]["id"] in {m.prospect.id for m in _matches(win)}


def _matches(win: Any) -> list[Any]:
    model = win.search.model
    return [model.match_at(r) for r in range(model.rowCount())]


def test_a_damaged_index_is_set_aside_and_the_window_still_finds(
    qtbot: Any, sandbox: Any, make_window: Any, tmp_path: Any
) -> None:
    (tmp_path / "outbox-0.index.sqlite3").write_bytes(b"not a database at all" * 50)
    opened = make_window(sandbox)
    assert (tmp_path / "outbox-0.index.sqlite3.damaged").exists()
    box = by_name(opened.win, "Prospect search", QLineEdit)
    type_query(qtbot, opened, box, "a")
    assert opened.win.search.model.rowCount() > 0
