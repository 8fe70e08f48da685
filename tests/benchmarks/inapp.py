"""In-app figures on the real window and services against a sandbox: lookup, stalls, outbox, RSS."""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from PySide6.QtCore import QEvent, QObject, QStringListModel, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLineEdit, QListView, QVBoxLayout, QWidget

from dialer_app.app import settle_memory
from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.desk import CallDesk
from dialer_app.core.jsonapi import MEDIA_TYPE
from dialer_app.core.outbox import Outbox
from dialer_app.core.outreach.client import PHONE_FIELDS, PROSPECT_FIELDS
from dialer_app.core.phone import pretty
from dialer_app.services.connection import Backend
from dialer_app.services.logbook import Logbook, OutboxChange
from dialer_app.services.lookup import Lookup
from dialer_app.services.session import build_services
from dialer_app.ui.main_window import MainWindow
from tests.benchmarks.typeahead import build_index_aside, partial_queries, typeahead
from tests.support.clock import FakeClock

WAN_LATENCY_MS = 80  # a round trip to Outreach from a rep's desk, roughly
DRAIN_ROUNDS = 4  # the drain and the bare POST loop alternate, `calls / DRAIN_ROUNDS` each


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


@dataclass
class InApp:
    lookup_ms: list[float] = field(default_factory=list)
    raw_ms: list[float] = field(default_factory=list)
    enqueue_ms: list[float] = field(default_factory=list)
    drain_per_s: float = 0.0
    raw_post_per_s: float = 0.0
    max_stall_ms: float = 0.0
    max_stall_busy_ms: float = 0.0
    rss_after_start_mb: float = 0.0
    rss_after_calls_mb: float = 0.0
    typeahead_ms: list[float] = field(default_factory=list)
    index_sync_s: float = 0.0
    index_size_mb: float = 0.0
    index_prospects: int = 0
    wan_lookup_ms: list[float] = field(default_factory=list)
    wan_raw_ms: list[float] = field(default_factory=list)
    floor_ms: list[float] = field(default_factory=list)
    floor_raw_ms: list[float] = field(default_factory=list)


class _PaintWaiter(QObject):
    """Remembers when a widget (the results list's viewport) paints; waits for a paint."""

    def __init__(self) -> None:
        super().__init__()
        self.paints: list[float] = []
        self.future: asyncio.Future[float] | None = None
        self.after = 0.0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            now = time.perf_counter()
            self.paints.append(now)
            if self.future and not self.future.done() and now >= self.after:
                self.future.set_result(now)
        return False

    async def first_paint_after(self, moment: float) -> float:
        """The first paint at or after `moment` (the window may have painted it already)."""
        done = [p for p in self.paints if p >= moment]
        if done:
            return done[0]
        self.after = moment
        self.future = asyncio.get_running_loop().create_future()
        return await asyncio.wait_for(self.future, 30)


class _AnswerClock(QObject):
    """When Outreach's answer to each query reached the service — connected before the window,
    so the moment is taken before the window renders it (it may paint at once)."""

    def __init__(self, service: Lookup) -> None:
        super().__init__()
        self.at: dict[str, float] = {}
        service.searchFinished.connect(self._on_search_finished)

    def _on_search_finished(self, query: str, _matches: list[object]) -> None:
        self.at.setdefault(query, time.perf_counter())


class _StallProbe(QObject):
    """A precise 2 ms timer on the Qt loop; the longest gap beyond its interval is a stall."""

    INTERVAL_MS = 2

    def __init__(self) -> None:
        super().__init__()
        self.worst = 0.0
        self._last = time.perf_counter()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.INTERVAL_MS)
        self._timer.timeout.connect(self._on_tick)

    def start(self) -> None:
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _on_tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, (now - self._last) * 1000 - self.INTERVAL_MS)
        self._last = now


def _call(prospect: int) -> NewCall:
    return NewCall(
        attributes=CallAttributes(
            outcome="Answered",
            note="benchmark call",
            dialedAt=datetime.now(UTC),
            completedAt=datetime.now(UTC),
            vendorCallId=str(uuid.uuid4()),
        ),
        relationships=CallRelationships.link(prospect=prospect),
    )


async def _queries(api: httpx.AsyncClient, n: int) -> list[tuple[str, str, dict[str, Any]]]:
    """Realistic lookups (name, email, phone in several formats) and the request each makes."""
    doc = (await api.get("/phoneNumbers", params={"page[size]": n, "include": "prospect"})).json()
    people = {p["id"]: p["attributes"] for p in doc.get("included", [])}
    out: list[tuple[str, str, dict[str, Any]]] = []
    for i, number in enumerate(doc["data"]):
        e164 = number["attributes"]["number"]
        who = people.get(number["relationships"]["prospect"]["data"]["id"])
        if who is None:
            continue
        name = f"{who['firstName']} {who['lastName'][:3]}"
        name_params = {"filter[q]": name, "page[size]": 20, "fields[prospect]": PROSPECT_FIELDS}
        out.append(("name", name, name_params))
        if who["emails"] and i % 2 == 0:
            email = who["emails"][0]
            out.append(
                (
                    "email",
                    email,
                    {
                        "filter[emails]": email,
                        "page[size]": 20,
                        "fields[prospect]": PROSPECT_FIELDS,
                    },
                )
            )
        typed = pretty(e164) if i % 2 else e164
        out.append(
            (
                "phone",
                typed,
                {
                    "filter[number]": e164,
                    "include": "prospect",
                    "page[size]": 20,
                    "fields[phoneNumber]": PHONE_FIELDS,
                    "fields[prospect]": PROSPECT_FIELDS,
                },
            )
        )
    return out


async def measure(
    base_url: str,
    token: str,
    *,
    queries: int,
    calls: int,
    set_latency: Callable[[int], object] | None = None,
) -> InApp:
    """Run the in-app benchmarks on the running qasync loop; with `set_latency` (milliseconds
    the sandbox waits before each answer), the lookups again at `WAN_LATENCY_MS`."""
    result = InApp()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.api+json"}
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp:
        index_path = Path(tmp) / "outbox.index.sqlite3"  # where the service keeps its index
        built = await build_index_aside(base_url, token, index_path)
        result.index_sync_s, result.index_size_mb, result.index_prospects = built
        outbox = Outbox(Path(tmp) / "outbox.sqlite3")

        async def backend() -> Backend:
            return Backend(base_url, token, demo=True, label="Demo")

        services = build_services(backend, outbox, index_path=index_path)
        service = services.lookup
        answers = _AnswerClock(service)
        win = MainWindow(services, CallDesk(FakeClock(datetime.now(UTC))))
        loop = asyncio.get_running_loop()
        loaded, synced = loop.create_future(), loop.create_future()
        service.referenceLoaded.connect(lambda *_: loaded.done() or loaded.set_result(True))
        service.indexSynced.connect(lambda *_: synced.done() or synced.set_result(True))
        win.show()
        services.start()
        await asyncio.wait_for(loaded, 60)
        await asyncio.wait_for(synced, 300)  # its own first pass: then the index is quiet
        settle_memory()  # as the app does once connected (its full passes wait for quiet)
        result.rss_after_start_mb = rss_mb()
        partials = partial_queries(index_path, queries * 2)
        # Type-ahead with Outreach across a network, where the local matches show first.
        if set_latency is not None:
            set_latency(WAN_LATENCY_MS)
        try:
            result.typeahead_ms = await typeahead(win, service, partials)
        finally:
            if set_latency is not None:
                set_latency(0)

        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as api:
            cases = await _queries(api, queries)
            await _lookups(win, service, answers, api, cases, result)
            await _floor_lookups(base_url, headers, api, cases, result)
            if set_latency is not None:
                wan = InApp()
                set_latency(WAN_LATENCY_MS)
                try:
                    await _lookups(win, service, answers, api, cases, wan)
                finally:
                    set_latency(0)
                result.wan_lookup_ms, result.wan_raw_ms = wan.lookup_ms, wan.raw_ms
            # throughput: the drain alone and the bare loop, in alternate rounds (a change in
            # the machine's load meets both alike), then the medians
            drains: list[float] = []
            raws: list[float] = []
            for _ in range(DRAIN_ROUNDS):
                for _ in range(calls // DRAIN_ROUNDS):
                    started = time.perf_counter()
                    outbox.enqueue(_call(1))
                    result.enqueue_ms.append((time.perf_counter() - started) * 1000)
                drains.append(await _drain(outbox, services.logbook))
                raws.append(await _bare_posts(api, calls // DRAIN_ROUNDS))
            result.drain_per_s = statistics.median(drains)
            result.raw_post_per_s = statistics.median(raws)
            result.max_stall_ms = await _stalls(
                win, service, answers, api, cases, outbox, services.logbook, calls
            )
            with _busy_core():  # the same, while another process keeps one core busy
                result.max_stall_busy_ms = await _stalls(
                    win, service, answers, api, cases, outbox, services.logbook, calls
                )
            result.rss_after_calls_mb = rss_mb()
        win.close()
        await services.aclose()
        outbox.close()
    return result


async def _stalls(
    win: MainWindow,
    service: Lookup,
    answers: _AnswerClock,
    api: httpx.AsyncClient,
    cases: list[tuple[str, str, dict[str, Any]]],
    outbox: Outbox,
    logbook: Logbook,
    calls: int,
) -> float:
    """The longest stall of the Qt loop while `calls` calls drain and lookups keep running."""
    for _ in range(calls):
        outbox.enqueue(_call(1))
    probe = _StallProbe()
    probe.start()
    drain = asyncio.ensure_future(_drain(outbox, logbook))
    while not drain.done():
        await _lookups(win, service, answers, api, cases[:6], None)
    await drain
    probe.stop()
    return probe.worst


@contextmanager
def _busy_core() -> Iterator[None]:
    """A second process spinning on one core for as long as the block runs."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        yield
    finally:
        spinner.kill()
        spinner.wait()


async def _bare_posts(api: httpx.AsyncClient, calls: int) -> float:
    """Calls per second a bare httpx loop POSTs (its bodies made beforehand)."""
    bodies = [json.dumps(_call(1).to_document()).encode() for _ in range(calls)]
    started = time.perf_counter()
    for body in bodies:
        r = await api.post("/calls", content=body, headers={"Content-Type": MEDIA_TYPE})
        r.raise_for_status()
    return calls / (time.perf_counter() - started)


async def _drain(outbox: Outbox, logbook: Logbook) -> float:
    """Calls per second the app's own sender (its thread) delivers of what waits in `outbox`:
    from the wake to the last of them told sent on the window's thread (`callSent`; the
    outbox's change that follows is coalesced, up to `CHANGE_INTERVAL_MS` later, and may read
    the last calls sent before they are told). A change saying nothing is left to send while
    one needs attention ends it too (a call parked instead): RuntimeError then."""
    before = outbox.counts()
    waiting, parked = before.unsent, before.attention
    if not waiting:
        return 0.0
    told = 0
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_sent(_entry: object, _outreach_id: int) -> None:
        nonlocal told
        told += 1
        if told >= waiting and not done.done():
            done.set_result(None)

    def on_change(change: OutboxChange) -> None:
        if change.counts.unsent == 0 and change.counts.attention > parked and not done.done():
            done.set_result(None)

    logbook.callSent.connect(on_sent)
    logbook.changed.connect(on_change)
    try:
        started = time.perf_counter()
        logbook.wake()
        await asyncio.wait_for(done, 600)
        elapsed = time.perf_counter() - started
    finally:
        logbook.callSent.disconnect(on_sent)
        logbook.changed.disconnect(on_change)
    if told < waiting:
        raise RuntimeError(f"only {told} of {waiting} calls were sent: {outbox.counts()}")
    return waiting / elapsed


async def _lookups(
    win: MainWindow,
    service: Lookup,
    answers: _AnswerClock,
    api: httpx.AsyncClient,
    cases: list[tuple[str, str, dict[str, Any]]],
    result: InApp | None,
) -> None:
    box = win.search.box
    waiter = _PaintWaiter()
    win.search.results.viewport().installEventFilter(waiter)
    loop = asyncio.get_running_loop()
    try:
        for _kind, text, params in cases:
            box.setText(text[:-1])
            answers.at.pop(text.strip(), None)
            waiter.paints.clear()
            answered: asyncio.Future[bool] = loop.create_future()

            def on_done(query: str, _m: list[object], want: str = text, f: Any = answered) -> None:
                if query == want.strip() and not f.done():
                    f.set_result(True)

            service.searchFinished.connect(on_done)
            started = time.perf_counter()
            QTest.keyClick(box, text[-1])
            await asyncio.wait_for(answered, 30)
            # Only the paint of Outreach's answer counts, not an earlier paint of recently
            # seen prospects.
            painted = await waiter.first_paint_after(answers.at[text.strip()])
            service.searchFinished.disconnect(on_done)
            if result is None:
                continue
            result.lookup_ms.append((painted - started) * 1000)
            result.raw_ms.append(await _raw_ms(api, params))
    finally:
        win.search.results.viewport().removeEventFilter(waiter)


def _path_of(params: dict[str, Any]) -> str:
    """Where a lookup's request goes: numbers are looked up on phone numbers."""
    return "/phoneNumbers" if "filter[number]" in params else "/prospects"


async def _raw_ms(api: httpx.AsyncClient, params: dict[str, Any]) -> float:
    """The raw HTTP request of a lookup, in milliseconds."""
    started = time.perf_counter()
    (await api.get(_path_of(params), params=params)).raise_for_status()
    return (time.perf_counter() - started) * 1000


async def _floor_lookups(
    base_url: str,
    headers: dict[str, str],
    api: httpx.AsyncClient,
    cases: list[tuple[str, str, dict[str, Any]]],
    result: InApp,
) -> None:
    """The floor of `lookup_ratio` on this machine: the least a PySide6 lookup on qasync does —
    the key typed into a bare line edit, the same request through httpx, its JSON read and a
    name per prospect shown in a `QStringListModel`, no checks, ranking or window around it —
    timed as the app's lookups are (key → the list's first paint after the answer), against
    the same raw request, alternated."""
    box = QLineEdit()
    listing = QListView()
    names = QStringListModel(listing)  # goes with the list it feeds
    listing.setModel(names)
    shell = QWidget()
    layout = QVBoxLayout(shell)
    layout.addWidget(box)
    layout.addWidget(listing)
    shell.resize(360, 520)
    shell.show()
    waiter = _PaintWaiter()
    listing.viewport().installEventFilter(waiter)
    route = {text: params for _kind, text, params in cases}
    answered: dict[str, float] = {}
    pending: list[asyncio.Future[None]] = []

    async def look_up(client: httpx.AsyncClient, text: str) -> None:
        params = route[text]
        doc = (await client.get(_path_of(params), params=params)).json()
        answered[text] = time.perf_counter()
        names.setStringList(
            [str(r.get("attributes", {}).get("firstName", "")) for r in doc["data"]]
        )

    try:
        async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as client:
            box.textEdited.connect(
                lambda text: pending.append(asyncio.ensure_future(look_up(client, text)))
            )
            for _kind, text, params in cases:
                box.setText(text[:-1])
                names.setStringList([])
                waiter.paints.clear()
                started = time.perf_counter()
                QTest.keyClick(box, text[-1])
                await pending.pop()
                painted = await waiter.first_paint_after(answered[text])
                result.floor_ms.append((painted - started) * 1000)
                result.floor_raw_ms.append(await _raw_ms(api, params))
    finally:
        listing.viewport().removeEventFilter(waiter)
        shell.close()
        shell.deleteLater()


def summarise(r: InApp) -> dict[str, float]:
    return {
        "lookup_p95_ms": percentile(r.lookup_ms, 0.95),
        "lookup_ratio": statistics.median(r.lookup_ms) / statistics.median(r.raw_ms),
        **(
            {
                "lookup_ratio_at_wan_latency": statistics.median(r.wan_lookup_ms)
                / statistics.median(r.wan_raw_ms)
            }
            if r.wan_lookup_ms
            else {}
        ),
        **(
            {
                "lookup_floor_ratio": statistics.median(r.floor_ms)
                / statistics.median(r.floor_raw_ms)
            }
            if r.floor_ms
            else {}
        ),
        "sandbox_search_p95_ms": percentile(r.raw_ms, 0.95),
        "max_loop_stall_ms": r.max_stall_ms,
        "max_loop_stall_busy_ms": r.max_stall_busy_ms,
        "enqueue_p99_ms": percentile(r.enqueue_ms, 0.99),
        "drain_ratio": r.drain_per_s / r.raw_post_per_s,
        "rss_after_start_mb": r.rss_after_start_mb,
        "rss_after_1000_calls_mb": r.rss_after_calls_mb,
        "index_typeahead_p95_ms": percentile(r.typeahead_ms, 0.95),
        "index_sync_s": r.index_sync_s,
        "index_size_mb": r.index_size_mb,
        "index_prospects": r.index_prospects,
    }
