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


def test_the_local_search_waits_until_the_request_is_on_its_way(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: Any
) -> None:
    """Typing: Outreach is asked first, and the local index searched while it thinks — the
    local matches never delay the request (they are on screen a few milliseconds later)."""
    from dialer_app.core.outreach import client as client_module

    server = make_sandbox("--prospects", "60")
    with server.client() as api:
        own = api.get("/prospects", params={"filter[owner][id]": 1, "page[size]": 50}).json()
    someone = next(  # QTest types ASCII letters faithfully
        p["attributes"] for p in own["data"] if p["attributes"]["lastName"][-1:].isascii()
    )
    events: list[str] = []
    traced = client_module._trace_waits

    def trace_waits(waiting: Any) -> Any:
        return traced(lambda: (events.append("asked"), waiting()))

    monkeypatch.setattr(client_module, "_trace_waits", trace_waits)
    opened = make_window(server)
    win, service = opened.win, opened
    qtbot.waitUntil(lambda: service.lookup.index.meta("synced_at") is not None, timeout=20_000)
    index = service.lookup.index
    searched = index.search
    monkeypatch.setattr(index, "search", lambda query: (events.append("local"), searched(query))[1])
    service.lookup.searchFinished.connect(lambda *_: events.append("answered"))
    service.lookup.recentFound.connect(lambda *_: events.append("shown"))
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, service, box, "zq")  # the first search finds out what the org supports
    name = someone["lastName"]
    box.setText(name[:-1])
    server.faults(latency_ms=300)  # Outreach thinks a while over the next request
    events.clear()
    with qtbot.waitSignal(
        service.lookup.searchFinished, timeout=10_000, check_params_cb=lambda q, _m: q == name
    ):
        qtbot.keyClick(box, name[-1])  # the keystroke that makes the name
    first = events.index("local")
    assert "asked" in events[:first]  # the request left before the local search began
    assert events.index("shown") < events.index("answered")  # on screen while Outreach thinks
    assert any(m.prospect.last_name == someone["lastName"] for m in _matches(win))


def test_an_answer_before_the_local_matches_are_due_paints_once_with_them_merged(
    qtbot: Any, make_sandbox: Any, make_window: Any, monkeypatch: Any
) -> None:
    """Outreach answering within the grace the local matches wait for a server that answers
    fast (made long here): the list is drawn from the answer alone, and the prospect the local
    index finds is in it."""
    from dialer_app.services import lookup as lookup_module

    monkeypatch.setattr(lookup_module, "LOCAL_GRACE_S", 60.0)
    server = make_sandbox("--prospects", "60", "--unknown-filters", "reject")
    with server.client() as api:
        own = api.get("/prospects", params={"filter[owner][id]": 1, "page[size]": 50}).json()
    someone = next(p for p in own["data"] if len(p["attributes"]["lastName"]) >= 4)
    partial = someone["attributes"]["lastName"][:3]  # no name filter of Outreach finds it
    opened = make_window(server)
    win, lookup = opened.win, opened.lookup
    qtbot.waitUntil(lambda: lookup.index.meta("synced_at") is not None, timeout=20_000)
    box = by_name(win, "Prospect search", QLineEdit)
    type_query(qtbot, opened, box, "zq")  # an answer first: how fast Outreach answers
    shown: list[str] = []
    lookup.recentFound.connect(lambda query, _matches: shown.append(query))
    box.setText(partial[:-1])
    with qtbot.waitSignal(
        lookup.searchFinished, timeout=10_000, check_params_cb=lambda q, _m: q == partial
    ):
        qtbot.keyClick(box, partial[-1])
    assert shown == []  # no rows of the local index alone, redrawn a moment later
    assert someone["id"] in {m.prospect.id for m in _matches(win)}


def test_a_lookup_closed_while_its_local_search_waits_says_nothing_after(
    qtbot: Any, aio: Any, sandbox: Any, make_window: Any
) -> None:
    """Closing (the window going away) right after a keystroke: the local search that was to
    run in the next pass of the event loop runs no more, and shows nothing."""
    opened = make_window(sandbox)
    lookup = opened.lookup
    qtbot.waitUntil(lambda: lookup.index.meta("synced_at") is not None, timeout=20_000)
    shown: list[str] = []
    lookup.recentFound.connect(lambda query, _matches: shown.append(query))
    sandbox.faults(latency_ms=300)  # Outreach thinks a while: the local matches show meanwhile
    try:
        with qtbot.waitSignal(lookup.recentFound, timeout=10_000):
            lookup.search("Smi")  # while open, its local matches are shown
    finally:
        sandbox.faults(latency_ms=0)
    assert shown == ["Smi"]
    closing = aio.create_task(lookup.aclose())
    lookup.search("Smith")  # the keystroke the closing window took last
    qtbot.waitUntil(closing.done, timeout=10_000)
    # Three more passes of the event loop: the local search, asked for before the closing
    # ended, would have been searched and shown by then.
    passes = aio.create_future()
    aio.call_soon(aio.call_soon, aio.call_soon, passes.set_result, None)
    qtbot.waitUntil(passes.done, timeout=5_000)
    assert closing.exception() is None
    assert shown == ["Smi"]


def test_a_closed_lookup_and_call_list_ask_outreach_nothing_more(
    qtbot: Any, aio: Any, sandbox: Any, make_window: Any, monkeypatch: Any
) -> None:
    """A link, an incoming call or the call list's timer that fires while the window closes:
    the closed lookups and call list neither ask Outreach nor say anything, though the
    connection is still open then."""
    opened = make_window(sandbox)
    lookup, queue = opened.lookup, opened.queue
    qtbot.waitUntil(lambda: queue.loaded and not queue.reading, timeout=15_000)
    client = opened.services.connection.client
    asked: list[object] = []
    send = client._send

    async def recorded(*args: Any, **kwargs: Any) -> Any:
        asked.append(args[:2])
        return await send(*args, **kwargs)

    said: list[str] = []
    for name in (
        "numberFound",
        "numberFailed",
        "prospectLoaded",
        "prospectFailed",
        "referenceLoaded",
        "searchFinished",
        "searchFailed",
    ):
        getattr(lookup, name).connect(lambda *_args, name=name: said.append(name))
    closing = aio.create_task(lookup.aclose())
    qtbot.waitUntil(closing.done, timeout=10_000)
    stopping = aio.create_task(queue.aclose())
    qtbot.waitUntil(stopping.done, timeout=10_000)
    monkeypatch.setattr(client, "_send", recorded)  # what started before the close is not ours
    queue.refresh()
    lookup.find_number("+14155550123")
    lookup.open_prospect(1)
    lookup.refresh_reference()
    picked: list[str] = []
    lookup.find_prospects("Smith", lambda q, _m: picked.append(q), lambda q, _e: picked.append(q))
    # Had any of them started, its request would be written in the next pass of the loop.
    passes = aio.create_future()
    aio.call_soon(aio.call_soon, aio.call_soon, passes.set_result, None)
    qtbot.waitUntil(passes.done, timeout=5_000)
    assert asked == []
    assert said == []
    assert picked == []
