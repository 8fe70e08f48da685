"""`pytest -m "not slow"` alone is the fast loop; anything said of workers or coverage wins."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tests.support.fast_loop import SAID, wants_fast_loop

# Arguments that say nothing of workers or coverage: paths, -k, -x, -q, -p no:…
OTHER = st.lists(
    st.sampled_from(["-x", "-q", "-v", "-k", "outbox", "tests/core", "-p", "no:cacheprovider"])
)


@given(before=OTHER, after=OTHER)
def test_the_plain_selection_is_the_fast_loop(before: list[str], after: list[str]) -> None:
    assert wants_fast_loop([*before, "-m", "not slow", *after], "not slow")
    assert wants_fast_loop([*before, "-m", " not slow ", *after], " not slow ")


@given(before=OTHER, after=OTHER, said=st.sampled_from(SAID), value=st.sampled_from(["", "=2"]))
def test_a_run_that_says_how_to_run_is_left_as_asked(
    before: list[str], after: list[str], said: str, value: str
) -> None:
    args = [*before, "-m", "not slow", f"{said}{value}", *after]
    assert not wants_fast_loop(args, "not slow")


OTHER_MARKS = st.sampled_from(["", "slow", "not slow and not qt", "slow or not slow"])


@given(args=OTHER, markexpr=OTHER_MARKS)
def test_any_other_selection_is_left_as_asked(args: list[str], markexpr: str) -> None:
    assert not wants_fast_loop(args, markexpr)
