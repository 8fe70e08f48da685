"""TaskRunner: owns every asyncio task the UI starts; keeps, cancels stale, shows failures."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal

T = TypeVar("T")
log = logging.getLogger(__name__)


class TaskRunner(QObject):
    """Runs coroutines on the Qt-integrated asyncio loop.

    Signals:
        failed(str): a task without its own error handler failed; the text is for the rep.
        busyChanged(bool): whether any task is running.
    """

    failed = Signal(str)
    busyChanged = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._keyed: dict[str, asyncio.Task[Any]] = {}
        self._closed = False

    def run(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        key: str | None = None,
        on_success: Callable[[T], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Future[T]:
        """Start `coro`; its task comes back. A new task with the same `key` cancels the
        previous one (type-ahead).

        Once the runner is closed, `coro` never runs: it is closed, a future already cancelled
        comes back, and no callback is called (a click or a timer that arrives while the app
        shuts down)."""
        if self._closed:
            coro.close()
            refused: asyncio.Future[T] = asyncio.get_running_loop().create_future()
            refused.cancel()
            return refused
        if key is not None and (old := self._keyed.get(key)) is not None and not old.done():
            old.cancel()
        task = asyncio.ensure_future(coro)
        was_idle = not self._tasks
        self._tasks.add(task)
        if key is not None:
            self._keyed[key] = task
        task.add_done_callback(lambda t: self._finished(t, key, on_success, on_error))
        if was_idle:
            self.busyChanged.emit(True)
        return task

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def close(self) -> None:
        """Cancel every running task, wait until they are gone, and start no more (on quit)."""
        self._closed = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def _finished(
        self,
        task: asyncio.Task[T],
        key: str | None,
        on_success: Callable[[T], None] | None,
        on_error: Callable[[BaseException], None] | None,
    ) -> None:
        self._tasks.discard(task)
        if key is not None and self._keyed.get(key) is task:
            del self._keyed[key]
        if not self._tasks:
            self.busyChanged.emit(False)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is None:
            if on_success is not None:
                on_success(task.result())
            return
        if on_error is not None:
            on_error(exc)
            return
        log.error("background task failed", exc_info=exc)
        self.failed.emit(getattr(exc, "message", None) or str(exc) or type(exc).__name__)
