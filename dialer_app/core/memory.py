"""Memory: the cyclic collector kept out of the rep's way, and a burst's memory given back.

Python's cyclic garbage collector stops everything while it runs. Its full passes walk every
object it tracks: with Qt's wrappers and the models loaded, 40–65 ms here, and 6–10 ms even
over only what came after start-up — a visible hitch while the rep types or a backlog drains.
`settle()` (once connected) takes what start-up built out of those passes for good and leaves
full passes to quiet moments: the window calls `collect()` once the rep and the outbox have
been quiet a while; the collector only makes one itself after very many allocations.

After the outbox drains a backlog (hundreds of calls parsed, stored and announced), the C
allocator keeps the freed pages for later; the window's resident size stays where the burst
took it. `trim()` returns them (glibc's `malloc_trim`: well under a millisecond here). Elsewhere
— macOS, Windows, a C library without it — it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import sys
from collections.abc import Callable

# Passes over the middle generation between two full passes the collector makes by itself, once
# settled (CPython's default is 10: a full pass every ~70,000 objects kept). At 1,000, millions of
# allocations go by first; the quiet moments' `collect()` makes the full passes long before that.
FULL_PASS_EVERY = 1_000


def settle() -> None:
    """Take everything alive now (modules, classes, the window, the client) out of the
    collector's full passes, and leave full passes to `collect()` at quiet moments.

    Frozen objects stay alive for good — they are the app's long-lived ones anyway — and later
    passes walk only what came after.
    """
    gc.collect()  # what start-up already dropped goes first, not into the frozen set
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_PASS_EVERY)


def collect() -> int:
    """A full pass over what came after `settle()`, at a moment nobody waits on; the number
    of objects it freed."""
    return gc.collect()


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
