"""Runs every database call on one worker thread so the event loop never waits on SQLite."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import ParamSpec, TypeVar

from .store import Store

P = ParamSpec("P")
T = TypeVar("T")


class StoreWorker:
    """The one thread that may touch the store while the server runs."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-db")

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """`await worker.run(store.get, rtype, 12)`: call `fn` on the database thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, partial(fn, *args, **kwargs))

    def shutdown(self) -> None:
        """Finish queued calls and stop the thread; the store stays open for its owner."""
        self._executor.shutdown(wait=True)
