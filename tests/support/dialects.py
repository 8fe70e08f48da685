"""Every answer to the open questions of Outreach's contract, as sandbox dialects for tests.

`QUESTIONS` lists each open question with its possible answers (the first is the sandbox's
default) and how to put a running sandbox into one answer. `DIALECTS` is a small set of whole
dialects generated from them in which every pair of answers of two questions meets at least once
(a pairwise covering array), the first one being all defaults: a test parametrised over it runs
under every answer of every question, and every combination of two answers.

Adding a question (or an answer) is adding it to `QUESTIONS`; `DIALECTS` follows. A question
whose answer is not a `PUT /_admin/dialect` setting gives its own `apply`.

Fixtures (`pytest_plugins = ["tests.support.dialects"]` or import them):
- `dialect_server` (module): a sandbox of the module's own, 150 prospects.
- `dialect` (parametrised over `DIALECTS`): the sandbox above put into one dialect; the
  dialect's answers are `dialect.answers`, the server `dialect.server`. Back to the defaults after.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.sandbox import SandboxServer, serve_for

Apply = Callable[[SandboxServer, object], None]


def _set_dialect(name: str) -> Apply:
    def apply(server: SandboxServer, value: object) -> None:
        server.admin("dialect", method="PUT", json={name: value})

    return apply


@dataclass(frozen=True)
class Question:
    """One open question: its answers (the default first) and how a sandbox takes one."""

    name: str
    answers: tuple[object, ...]
    apply: Apply | None = None

    def put(self, server: SandboxServer, value: object) -> None:
        (self.apply or _set_dialect(self.name))(server, value)


def _set_read_lag(server: SandboxServer, seconds: object) -> None:
    server.admin("read-lag", method="PUT", json={"seconds": seconds})


QUESTIONS: tuple[Question, ...] = (
    Question("unknown_filters", ("search", "reject", "ignore")),
    Question("name_filters", ("folded", "exact")),
    Question("disposition_outcomes", ("answered", "completed")),
    Question("calls_complete_tasks", (False, True)),
    Question("phone_match", ("exact", "normalised")),
    # seconds before a POSTed call shows in reads (the fact sheet: data may appear late)
    Question("read_lag", (0, 1), apply=_set_read_lag),
)
SERVED = tuple(q for q in QUESTIONS if q.apply is None)  # the ones `/_admin/dialect` holds


def pairwise(questions: tuple[Question, ...]) -> list[dict[str, object]]:
    """A small set of rows (one answer per question) covering every pair of answers.

    Greedy and deterministic: the all-defaults row first, then repeatedly the row of the full
    product that covers the most pairs not yet covered (the first such row on a tie).
    """
    names = [q.name for q in questions]
    uncovered = {
        ((a.name, x), (b.name, y))
        for a, b in itertools.combinations(questions, 2)
        for x in a.answers
        for y in b.answers
    }
    candidates = [
        dict(zip(names, row, strict=True))
        for row in itertools.product(*(q.answers for q in questions))
    ]

    def pairs(row: Mapping[str, object]) -> set[tuple[tuple[str, object], tuple[str, object]]]:
        items = list(row.items())
        return {(items[i], items[j]) for i, j in itertools.combinations(range(len(items)), 2)}

    rows = [candidates[0]]
    uncovered -= pairs(candidates[0])
    while uncovered:
        best = max(candidates, key=lambda row: len(pairs(row) & uncovered))
        rows.append(best)
        uncovered -= pairs(best)
    return rows


DIALECTS = pairwise(QUESTIONS)


def dialect_id(answers: Mapping[str, object]) -> str:
    """A short test id: the answers that differ from the defaults, or `defaults`."""
    defaults = {q.name: q.answers[0] for q in QUESTIONS}
    changed = [
        f"{name}={str(value).lower()}" for name, value in answers.items() if value != defaults[name]
    ]
    return ",".join(changed) or "defaults"


@dataclass
class Dialected:
    """A sandbox speaking one dialect."""

    server: SandboxServer
    answers: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        return self.answers[name]


def put_dialect(server: SandboxServer, answers: Mapping[str, object]) -> None:
    for question in QUESTIONS:
        if question.name in answers:
            question.put(server, answers[question.name])


@pytest.fixture(scope="module")
def dialect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "dialects", "--prospects", "150")


@pytest.fixture(params=DIALECTS, ids=[dialect_id(d) for d in DIALECTS])
def dialect(request: pytest.FixtureRequest, dialect_server: SandboxServer) -> Iterator[Dialected]:
    answers = dict(request.param)
    put_dialect(dialect_server, answers)
    try:
        yield Dialected(dialect_server, answers)
    finally:
        put_dialect(dialect_server, {q.name: q.answers[0] for q in QUESTIONS})
