"""Generated hostile answers against the client and the sender (`tests/support/hostile_fuzz.py`).

Status × `Retry-After` × rate-limit headers × body shape × size × encoding × `links.next` ×
drip, over real HTTP on 127.0.0.1. Invariants: every client operation ends as data or an error
of the tree, in bounded requests; the sender never raises, keeps every call, asks a failing
server at most `MINUTE_LIMIT` times in any minute, and sends everything once the server is
healthy; the token never reaches another origin; peak memory stays bounded (a bomb among them).
The default run is sized for the fast loop; the `slow` one tries many more inputs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.hostile_fuzz import (
    FAILING_STATUSES,
    OPERATIONS,
    SHAPES,
    Figures,
    Servers,
    Spec,
    client_example,
    personalities,
    worker_example,
)


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with Servers() as both:
        yield both


@pytest.fixture(scope="module")
def figures() -> Iterator[Figures]:
    seen = Figures()
    yield seen
    print(f"\nhostile fuzz: {seen}")  # the figures, with -s
    assert seen.token_leaks == 0
    assert seen.rss_growth_mib < 200  # a 64 MiB gzip bomb and 2 MiB bodies among the answers


def _fuzz(examples: int) -> settings:
    """The fast runs are the same inputs every time (a failure is repeatable); the slow ones
    draw new inputs on each run."""
    return settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=examples < 100,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@_fuzz(30)
@given(personality=personalities(), operation=st.sampled_from(sorted(OPERATIONS)))
def test_the_client_ends_every_answer_in_the_tree(
    servers: Servers, figures: Figures, personality: list[Spec], operation: str
) -> None:
    client_example(servers, personality, operation, figures)


@_fuzz(8)
@given(personality=personalities())
def test_the_sender_outlives_any_server(
    servers: Servers, figures: Figures, personality: list[Spec]
) -> None:
    worker_example(servers, personality, figures)


@_fuzz(8)
@given(personality=personalities(FAILING_STATUSES, SHAPES))
def test_a_failing_server_is_asked_ever_less_often(
    servers: Servers, figures: Figures, personality: list[Spec]
) -> None:
    worker_example(servers, personality, figures)


@pytest.mark.slow
@_fuzz(400)
@given(personality=personalities(), operation=st.sampled_from(sorted(OPERATIONS)))
def test_the_client_ends_every_answer_in_the_tree_at_length(
    servers: Servers, figures: Figures, personality: list[Spec], operation: str
) -> None:
    client_example(servers, personality, operation, figures)


@pytest.mark.slow
@_fuzz(150)
@given(personality=personalities((*FAILING_STATUSES, 200, 201), SHAPES))
def test_the_sender_outlives_any_server_at_length(
    servers: Servers, figures: Figures, personality: list[Spec]
) -> None:
    worker_example(servers, personality, figures)
