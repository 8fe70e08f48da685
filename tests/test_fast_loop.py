"""`pytest -m "not slow"` alone is the fast loop; anything said of workers or coverage wins.
In the fast loop each property test runs a share of the examples it runs in the whole suite."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from tests.support.fast_loop import (
    FLOOR,
    SAID,
    SHARE,
    bytecode_folder,
    fast_examples,
    fewer_examples,
    wants_fast_loop,
)

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


@given(full=st.integers(min_value=1, max_value=100_000))
def test_the_fast_loop_runs_a_share_of_the_examples_never_more_than_the_suite(full: int) -> None:
    fast = fast_examples(full)
    assert min(full, FLOOR) <= fast <= full
    assert fast <= max(FLOOR, -(-full // SHARE))
    assert fast_examples(full + 1) >= fast


def test_a_property_test_runs_its_fast_count_however_many_items_share_it() -> None:
    seen: list[int] = []

    @settings(max_examples=300, database=None)
    @given(st.integers())
    def prop(n: int) -> None:
        seen.append(n)

    fewer_examples([SimpleNamespace(obj=prop, cls=None)] * 4)  # four parametrised items
    prop()
    assert fast_examples(300) <= len(seen) < 300  # an example hypothesis drops may run too


def test_a_state_machine_runs_its_fast_count_and_one_left_alone_its_full_count() -> None:
    def machine() -> type[RuleBasedStateMachine]:
        class Day(RuleBasedStateMachine):
            runs = 0

            @initialize()
            def start(self) -> None:
                type(self).runs += 1

            @rule(n=st.integers())
            def step(self, n: int) -> None:
                pass

        Day.TestCase.settings = settings(max_examples=100, database=None, stateful_step_count=3)
        return Day

    fast, full = machine(), machine()
    fewer_examples([SimpleNamespace(obj=fast.TestCase().runTest, cls=fast.TestCase)])
    fast.TestCase().runTest()
    full.TestCase().runTest()
    assert fast_examples(100) <= fast.runs < 100 <= full.runs


NAMES = st.sampled_from(["", "1", "x"])


@given(dont_write=NAMES, prefix=st.sampled_from(["", "/elsewhere/pycache"]))
def test_bytecode_goes_outside_the_source_tree_only_where_it_is_not_written(
    dont_write: str, prefix: str
) -> None:
    environ = {"PYTHONDONTWRITEBYTECODE": dont_write, "PYTHONPYCACHEPREFIX": prefix}
    folder = bytecode_folder(environ, Path("/project/.pytest_cache/bytecode"))
    if not dont_write:  # written already, where the user wants it: nothing changes
        assert folder is None
    else:
        assert folder == (prefix or "/project/.pytest_cache/bytecode")
