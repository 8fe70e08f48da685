"""QuietCollector: the cyclic garbage collector's full pass, run once the app has been quiet.

Once settled (`core.memory.settle`), the collector leaves its full passes to the app. This
makes one when nothing has happened for `QUIET_MS` — no text looked up, no answer shown, no
change in the outbox — so that its few milliseconds never land between a keystroke and its
matches, or in the middle of a drain. One pass per quiet spell: the next waits for activity.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from ..core import memory

log = logging.getLogger(__name__)
QUIET_MS = 2_000


class QuietCollector(QObject):
    """Call `activity()` on whatever the rep or the outbox does; the pass follows the quiet."""

    def __init__(
        self,
        quiet_ms: int = QUIET_MS,
        *,
        collect: Callable[[], int] | None = None,
        parent: QObject | None = None,
    ) -> None:
        """`collect`: the pass (`core.memory.collect` when not given)."""
        super().__init__(parent)
        self._collect = collect if collect is not None else memory.collect
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(quiet_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def activity(self, *_: object) -> None:
        """Something happened: the pass waits for the next quiet spell."""
        self._timer.start()

    @property
    def waiting(self) -> bool:
        """Whether a pass is due once the quiet lasts."""
        return self._timer.isActive()

    def _on_timer_timeout(self) -> None:
        started = time.perf_counter()
        freed = self._collect()
        log.debug(
            "collected %d objects while quiet in %.1f ms",
            freed,
            (time.perf_counter() - started) * 1000,
        )
