"""Memory a burst of work freed, handed back to the system.

After the outbox drains a backlog (hundreds of calls parsed, stored and announced), the C
allocator keeps the freed pages for later; the window's resident size stays where the burst
took it. `trim()` returns them (glibc's `malloc_trim`: well under a millisecond here). Elsewhere
— macOS, Windows, a C library without it — it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols: its C library's among them
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        return None
    return trim


def trim() -> bool:
    """Give the memory freed so far back to the system; whether it could be asked."""
    malloc_trim = _malloc_trim()
    if malloc_trim is None:
        return False
    malloc_trim(0)
    return True
