"""The local index in figures: its sync and size for the whole org, and type-ahead from it.

`build_index` fills an index of every prospect of the sandbox (`IndexSync(everyone=True)`) and
gives the seconds it took and the file's size; `build_index_aside` does it in a process of its
own, so that the app measured next starts on an index already on disk (as it does after its
first day) and its memory is the app's, not the bulk sync's. `typeahead` types the last letter
of partial names, companies and addresses into the real window and times keystroke → the local
matches painted: on their own while Outreach thinks, or merged into its answer when that came
first (the window repaints its results in the slot, so a slot connected after the window's
runs once the paint is done).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtTest import QTest

from dialer_app.core.index import ProspectIndex, size_on_disk
from dialer_app.core.index_sync import IndexSync
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.services.lookup import Lookup
from dialer_app.ui.main_window import MainWindow


async def build_index(base_url: str, token: str, path: Path) -> tuple[float, float, int]:
    """(seconds, megabytes, prospects) of indexing every prospect of the org from scratch."""
    client = OutreachClient(base_url, StaticToken(token), retry=RetryPolicy(3))
    index = ProspectIndex(path)
    try:
        with ThreadPoolExecutor(1, thread_name_prefix="bench-index") as writer:
            started = time.perf_counter()
            sync = IndexSync(client, index, writer, user_id=1, everyone=True, page_size=1000)
            await sync.run_once()
            seconds = time.perf_counter() - started
            await asyncio.get_running_loop().run_in_executor(writer, index.close_writer)
        count = len(index)
    finally:
        index.close()
        await client.aclose()
    return seconds, size_on_disk(path) / 1_000_000, count


async def build_index_aside(base_url: str, token: str, path: Path) -> tuple[float, float, int]:
    """`build_index` in a child process."""
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.benchmarks.typeahead",
        base_url,
        token,
        str(path),
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await child.communicate()
    if child.returncode != 0:
        raise RuntimeError(f"building the index failed ({child.returncode})")
    seconds, megabytes, count = json.loads(out)
    return float(seconds), float(megabytes), int(count)


def partial_queries(index_path: Path, n: int, seed: int = 7) -> list[str]:
    """Partial names, companies and addresses of indexed prospects: what a rep types."""
    index = ProspectIndex(index_path)
    try:
        ids = [row[0] for row in index._reader.execute("SELECT id FROM prospects").fetchall()]
        rng = random.Random(seed)
        out: list[str] = []
        for pid in rng.sample(ids, min(n, len(ids))):
            p = index.get(pid)
            if p is None:
                continue
            kind = len(out) % 4
            if kind == 0:
                out.append(p.first_name[: rng.randint(2, 4)])
            elif kind == 1:
                out.append(f"{p.first_name} {p.last_name[: rng.randint(1, 3)]}")
            elif kind == 2 and p.company:
                out.append(p.company.split()[0][: rng.randint(3, 5)])
            elif p.emails:
                out.append(p.emails[0][: rng.randint(5, 9)])
        # The last key is typed by QTest, which only types ASCII letters and digits faithfully.
        return [q for q in out if len(q.strip()) >= 2 and q[-1].isascii() and q[-1].isalnum()]
    finally:
        index.close()


class _LocalAnswers(QObject):
    """When the local matches of each query were painted (connected after the window): alone,
    or in Outreach's answer when it came first."""

    def __init__(self, service: Lookup) -> None:
        super().__init__()
        self.at: dict[str, float] = {}
        self.finished: dict[str, asyncio.Future[bool]] = {}
        self._service = service
        service.recentFound.connect(self._on_recent_found)
        service.searchFinished.connect(self._on_search_finished)

    def _on_recent_found(self, query: str, matches: list[Any]) -> None:
        if matches:  # (none: the window only greys out the earlier rows)
            self.at.setdefault(query, time.perf_counter())

    def _on_search_finished(self, query: str, matches: list[Any]) -> None:
        now = time.perf_counter()
        local = {m.prospect.id for m in self._service.local_matches(query)}
        if local & {m.prospect.id for m in matches}:
            self.at.setdefault(query, now)
        future = self.finished.get(query)
        if future is not None and not future.done():
            future.set_result(True)


async def typeahead(win: MainWindow, service: Lookup, queries: list[str]) -> list[float]:
    """Milliseconds from the last keystroke of each query to its local matches painted."""
    answers = _LocalAnswers(service)
    box = win.search.box
    loop = asyncio.get_running_loop()
    out: list[float] = []
    for text in queries:
        box.setText(text[:-1])
        answers.at.pop(text, None)
        done = answers.finished[text] = loop.create_future()
        started = time.perf_counter()
        QTest.keyClick(box, text[-1])
        await asyncio.wait_for(done, 30)  # Outreach's answer too: the next query starts clean
        if text in answers.at:
            out.append((answers.at[text] - started) * 1000)
    return out


if __name__ == "__main__":
    figures = asyncio.run(build_index(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
    print(json.dumps(figures))
