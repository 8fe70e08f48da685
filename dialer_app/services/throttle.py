"""Throttle: latest-only coalescing of calls, the one way the app folds a burst into one run.

Used wherever only the newest request matters: the outbox's change signal (one per 100 ms
during a drain), the search (one request in flight, the newest text next), the draft's flush to
disk (once per 300 ms while the rep types).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer


class Throttle(QObject):
    """Runs `func` at once when free; a call that comes while it is not becomes the one pending
    call (replacing an older pending one: only the newest arguments count), run as soon as it is
    free again.

    It is not free for `delay_ms` after each run, and — with `until_done` — also until `done()`
    says that run's work has finished (a request in flight). With `leading=False` no call runs
    at once: the first one of a burst waits `delay_ms` too, so a burst costs one run at its end
    (and one every `delay_ms` while it lasts).
    """

    def __init__(
        self,
        func: Callable[..., object],
        delay_ms: int,
        *,
        leading: bool = True,
        until_done: bool = False,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._func = func
        self._delay = max(0, delay_ms)
        self._leading = leading
        self._until_done = until_done
        self._pending: tuple[tuple[Any, ...], dict[str, Any]] | None = None
        self._last_run: float | None = None  # monotonic ms
        self._running = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def pending(self) -> bool:
        """Whether a call waits to run."""
        return self._pending is not None

    @property
    def busy(self) -> bool:
        """Whether a run's work is still in flight (`until_done` only)."""
        return self._running

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        if self._pending is None and self._leading and self._free():
            self._run(args, kwargs)
            return
        self._pending = (args, kwargs)
        self._schedule()

    def done(self) -> None:
        """The last run's work finished (`until_done`): the pending call may go."""
        self._running = False
        if self._pending is None:
            return
        if self._free():
            self._timer.stop()
            args, kwargs = self._pending
            self._run(args, kwargs)  # at once: the newest request goes right after the last
        else:
            self._schedule()

    def flush(self) -> None:
        """Run the pending call now, if there is one."""
        if self._pending is not None:
            self._timer.stop()
            args, kwargs = self._pending
            self._run(args, kwargs)

    def cancel(self) -> None:
        """Drop the pending call."""
        self._pending = None
        self._timer.stop()

    def _now(self) -> float:
        return time.monotonic() * 1000

    def _free(self) -> bool:
        if self._running:
            return False
        return self._last_run is None or self._now() - self._last_run >= self._delay

    def _schedule(self) -> None:
        if self._running or self._timer.isActive():
            return  # `done()` or the running timer takes it from here
        if self._leading and self._last_run is not None:
            left = self._delay - (self._now() - self._last_run)
        else:
            left = self._delay  # trailing: a burst waits the whole delay from its first call
        self._timer.start(max(0, int(left + 0.999)))

    def _on_timer_timeout(self) -> None:
        if self._pending is None or self._running:
            return
        args, kwargs = self._pending
        self._run(args, kwargs)

    def _run(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._pending = None
        self._last_run = self._now()
        self._running = self._until_done
        self._func(*args, **kwargs)
