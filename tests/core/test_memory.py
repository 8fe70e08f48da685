"""The cyclic collector kept out of the rep's way: no full pass in a burst once settled, and a
cycle left behind is still freed by the pass made at a quiet moment."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from dialer_app.core import memory


@pytest.fixture
def collector_state() -> Iterator[None]:
    """The collector as the test found it, afterwards (settling changes it for the process)."""
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Node:
    def __init__(self) -> None:
        self.other: _Node | None = None


def _full_passes() -> int:
    return int(gc.get_stats()[2]["collections"])


def _burst(objects: int) -> list[list[int]]:
    """A burst of work that keeps what it makes (as a drain or a run of lookups does)."""
    return [[n] for n in range(objects)]


def test_a_burst_after_settling_makes_no_full_pass(collector_state: None) -> None:
    before = _full_passes()
    kept = _burst(300_000)
    assert _full_passes() > before, "the collector's default makes full passes in such a burst"
    del kept
    memory.settle()
    before = _full_passes()
    kept = _burst(300_000)
    assert _full_passes() == before
    assert gc.get_freeze_count() > 0
    del kept


def test_an_old_cycle_dropped_after_settling_is_freed_at_the_quiet_moment(
    collector_state: None,
) -> None:
    memory.settle()
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    gc.collect(1)  # it lives a while: into the oldest generation
    gone = weakref.ref(a)
    del a, b
    _burst(300_000)  # work goes on: no full pass is forced on it
    assert gone() is not None, "freed during the burst: a full pass ran"
    assert memory.collect() >= 2
    assert gone() is None


def test_settling_keeps_what_is_alive(collector_state: None) -> None:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    alive = weakref.ref(a)
    memory.settle()
    memory.collect()
    assert alive() is a
