"""An asyncio loop of its own in a worker thread: work the window must never wait for.

The window's thread runs Qt and its own asyncio loop (qasync) and should only draw and answer
the rep. Work that blocks — sending the outbox over HTTP, SQLite commits that fsync — runs on a
`LoopThread` instead: `submit` hands it a coroutine (a `concurrent.futures.Future` comes back),
`call` a plain function; `await thread.run(coro)` waits for a result from another loop without
blocking it. `stop` cancels what still runs there, lets it finish its `finally` blocks, and
joins the thread; `start` may then run it again, on a new loop.

While it is not running (before `start`, after `stop`), `submit` and `run` raise RuntimeError
(the coroutine is closed, never left unawaited) and `call` does nothing.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import sniffio

T = TypeVar("T")
log = logging.getLogger(__name__)
STOP_SECONDS = 10.0


class LoopThread:
    """A thread running one asyncio loop until `stop()`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._roots: set[asyncio.Task[Any]] = set()  # what `submit` started (thread's loop)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(f"the {self.name} thread is not running")
        return self._loop

    def in_thread(self) -> bool:
        """Whether the caller runs on this thread."""
        return self._thread is not None and threading.current_thread() is self._thread

    def start(self) -> None:
        """Start the thread and its loop (once); returns when the loop runs (RuntimeError when
        it does not within `STOP_SECONDS`)."""
        if self._thread is not None:
            return
        self._loop = None  # the last run's, closed: nothing is handed to it while this starts
        self._ready.clear()
        self._thread = threading.Thread(target=self._main, name=self.name, daemon=True)
        self._thread.start()
        if not self._ready.wait(STOP_SECONDS):
            raise RuntimeError(f"the {self.name} thread's loop did not start")

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run `coro` on the thread's loop; its future (cancel it to cancel the task).
        RuntimeError when the thread is not running (`coro` is closed then)."""
        loop = self._loop
        if loop is None or loop.is_closed() or not self.running:
            coro.close()
            raise RuntimeError(f"the {self.name} thread is not running")
        root = self._root(coro)
        try:
            return asyncio.run_coroutine_threadsafe(root, loop)
        except RuntimeError:  # closed meanwhile
            root.close()
            coro.close()
            raise RuntimeError(f"the {self.name} thread is not running") from None

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await `coro` run on the thread's loop, from another loop, without blocking it."""
        return await asyncio.wrap_future(self.submit(coro))

    def call(self, fn: Callable[..., object], *args: object) -> None:
        """Call `fn(*args)` on the thread's loop, soon (nothing once it stopped)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # closing meanwhile: nothing left to call
            loop.call_soon_threadsafe(fn, *args)

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Cancel every task still on the loop, wait for them to end, stop, join."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(self._end(), loop).result(timeout)
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout)
            if thread.is_alive():
                log.warning("the %s thread did not stop within %.0f s", self.name, timeout)
                return
        self._thread = None
        self._loop = None

    async def aclose(self) -> None:
        """`stop`, awaited from another loop: that loop goes on while the tasks here end
        (within `STOP_SECONDS`)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError):
                async with asyncio.timeout(STOP_SECONDS):
                    await self.run(self._end())
        self.stop()

    async def _root(self, coro: Coroutine[Any, Any, T]) -> T:
        task = asyncio.current_task()
        assert task is not None
        self._roots.add(task)
        try:
            return await coro
        finally:
            self._roots.discard(task)

    async def _end(self) -> None:
        """Cancel what `submit` started and wait until it has ended; then anything left.

        Only those first: a task they started is theirs to end (anyio's, cancelled from
        outside before its first step, leaves its coroutine never awaited)."""
        me = asyncio.current_task()
        await _cancel(lambda: [t for t in self._roots if t is not me])
        await _cancel(lambda: [t for t in asyncio.all_tasks() if t is not me and not t.done()])

    def _main(self) -> None:
        # The platform's own loop, whatever the policy (qasync's makes loops for Qt's thread).
        loop = asyncio.DefaultEventLoopPolicy().new_event_loop()
        asyncio.set_event_loop(loop)
        # This thread runs nothing but asyncio: httpx and anyio, which ask which library runs
        # several times per request, are told so at once instead of sniffing (an import each
        # time, through PySide's import hook once Qt is loaded).
        sniffio.thread_local.name = "asyncio"
        self._loop = loop
        loop.call_soon(self._ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                loop.run_until_complete(self._end())  # stopped without `stop()`: still ended
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()


async def _cancel(which: Callable[[], list[asyncio.Task[Any]]]) -> None:
    """Cancel the tasks `which()` names and wait until they have ended; again while it names
    any."""
    while tasks := which():
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
