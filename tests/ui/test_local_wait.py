"""How long the local matches wait for Outreach's answer, by how fast it has been answering."""

from __future__ import annotations

import statistics

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.services.lookup import LOCAL_GRACE_S, local_wait

seconds = st.floats(min_value=0.0, max_value=120.0, allow_nan=False)
trips = st.lists(st.floats(min_value=0.0, max_value=30.0, allow_nan=False), max_size=5)


@given(trips, seconds, st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_the_local_matches_never_wait_beyond_the_grace_after_the_keystroke(
    round_trips: list[float], typed_at: float, later: float
) -> None:
    now = typed_at + later
    wait = local_wait(round_trips, typed_at, now)
    assert 0.0 <= wait <= LOCAL_GRACE_S
    assert now + wait <= typed_at + LOCAL_GRACE_S + 1e-9 or wait == 0.0


@given(trips, seconds, st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_they_wait_only_for_an_outreach_that_has_been_answering_within_the_grace(
    round_trips: list[float], typed_at: float, later: float
) -> None:
    wait = local_wait(round_trips, typed_at, typed_at + later)
    fast = bool(round_trips) and statistics.median(round_trips) <= LOCAL_GRACE_S
    if not fast or later >= LOCAL_GRACE_S:
        assert wait == 0.0  # across a network (or before any answer): shown at once
    else:
        assert wait == pytest.approx(LOCAL_GRACE_S - later, abs=1e-9)  # the rest of the grace


def test_one_slow_answer_among_fast_ones_does_not_make_them_show_at_once() -> None:
    fast, slow = LOCAL_GRACE_S / 4, 2.0
    assert local_wait([fast, slow, fast], 10.0, 10.0) == pytest.approx(LOCAL_GRACE_S)
    assert local_wait([slow, fast, slow], 10.0, 10.0) == 0.0
