"""The local index: what goes in comes out, found and ranked as Outreach's answers are."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from dialer_app.core.index import (
    OWN,
    SEEN,
    TASK,
    Entry,
    IndexUnusable,
    ProspectIndex,
    decode,
    encode,
)
from dialer_app.core.outreach.models import PhoneNumber, Prospect
from dialer_app.core.outreach.search import checked, classify, national_digits, rank, words

FIRST = ["Zoë", "Ann", "Anna", "Jean-Luc", "Ólafur", "Mary Ann", "Sophie", "Søren"]
LAST = ["Ångström", "O'Brien", "Smith", "Smithers", "Müller", "Strauß", "Annan"]
COMPANY = ["", "Acme Widgets", "Nordlys AS", "Café Olé GmbH", "Annex Ltd"]
NUMBERS = ["+14155550123", "+442079460958", "+15550100123", "+4930901820", "+14155550999"]

prospects = st.builds(
    Prospect,
    id=st.integers(1, 60),
    first_name=st.sampled_from(FIRST),
    last_name=st.sampled_from(LAST),
    title=st.sampled_from(["", "CEO"]),
    company=st.sampled_from(COMPANY),
    emails=st.lists(
        st.sampled_from(["zoe@nordlys.example", "ann.smith@acme.example"]), max_size=2
    ).map(tuple),
    time_zone=st.sampled_from(["", "Europe/Oslo"]),
    call_opted_out=st.booleans(),
    phone_numbers=st.lists(
        st.builds(
            PhoneNumber,
            id=st.integers(0, 9),
            number=st.sampled_from(NUMBERS),
            phone_type=st.sampled_from(["mobile", "work"]),
            extension=st.sampled_from(["", "12"]),
        ),
        max_size=2,
        unique_by=lambda n: n.number,
    ).map(tuple),
)
queries = st.sampled_from(
    [
        "a",
        "an",
        "ann",
        "zo",
        "zoë å",
        "smith",
        "acme",
        "nordlys",
        "café",
        "zoe@",
        "ann.smith@ac",
        "+1 415",
        "+14155550123",
        "0049 30 90",
        "030 9018",
        "415 555",
        "(415) 555-0123",
        "jean l",
        "q",
        "søren",
        "soren",
    ]
)


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ProspectIndex]:
    idx = ProspectIndex(tmp_path / "index.sqlite3")
    yield idx
    idx.close()


@given(prospects)
def test_a_prospect_comes_back_as_it_went_in(p: Prospect) -> None:
    assert decode(p.id, encode(p)) == p


def test_national_digits_drop_the_country_code() -> None:
    assert national_digits("+14155550123") == "4155550123"
    assert national_digits("+442079460958") == "2079460958"
    assert national_digits("+35312345678") == "12345678"
    assert national_digits("+999123") == "999123"  # no such country code: all of it


class IndexAgainstAModel(RuleBasedStateMachine):
    """Every write is mirrored in a dict; every search must give what the model gives."""

    def __init__(self) -> None:
        super().__init__()
        self.index = ProspectIndex(TMP.path / f"index-{next(TMP.counter)}.sqlite3")
        self.model: dict[int, tuple[Prospect, int]] = {}  # id → (prospect, why)

    def teardown(self) -> None:
        self.index.close()

    @rule(ps=st.lists(prospects, max_size=4), owner=st.sampled_from([1, 2, None]))
    def the_reps_prospects_change(self, ps: list[Prospect], owner: int | None) -> None:
        self.index.upsert([Entry(p, owner, "2025-06-01T00:00:00.000Z") for p in ps], me=1)
        for p in ps:
            _, why = self.model.get(p.id, (p, 0))
            self._set(p.id, p, why | OWN if owner == 1 else why & ~OWN)

    @rule(ps=st.lists(prospects, max_size=3))
    def the_rep_opens_prospects(self, ps: list[Prospect]) -> None:
        self.index.mark_seen(ps)
        for p in ps:
            old, why = self.model.get(p.id, (p, 0))
            if not p.phone_numbers:
                p = Prospect(**{**_fields(p), "phone_numbers": old.phone_numbers})
            self.model[p.id] = (p, why | SEEN)

    @rule(ids=st.sets(st.integers(1, 60), max_size=6))
    def the_open_call_tasks_are(self, ids: set[int]) -> None:
        missing = self.index.set_tasks(ids)
        assert missing == sorted(i for i in ids if i not in self.model)
        for pid, (p, why) in list(self.model.items()):
            why = why | TASK if pid in ids else why & ~TASK
            self._set(pid, p, why)

    @rule(ids=st.sets(st.integers(1, 60), max_size=20))
    def a_full_pass_lists_the_reps_prospects(self, ids: set[int]) -> None:
        self.index.keep_own(ids)
        for pid, (p, why) in list(self.model.items()):
            if pid not in ids:
                self._set(pid, p, why & ~OWN)

    @rule()
    def another_rep_signs_in(self) -> None:
        self.index.clear()
        self.model.clear()

    def _set(self, pid: int, p: Prospect, why: int) -> None:
        if why:
            self.model[pid] = (p, why)
        else:
            self.model.pop(pid, None)

    @invariant()
    def each_prospect_is_kept_as_last_written(self) -> None:
        assert len(self.index) == len(self.model)
        for pid, (p, _) in self.model.items():
            assert self.index.get(pid) == p

    @invariant()
    def searches_find_what_the_model_finds(self) -> None:
        for text in ("an", "zoë", "acme", "+1 415", "030 9018", "(415) 555-0123", "ann.smith@ac"):
            query = classify(text, "DE" if text.startswith("030") else "US")
            by_priority = sorted(
                self.model.items(), key=lambda item: (_priority(item[1][1]), item[0]), reverse=True
            )
            expected = rank(query, checked(query, [p for _, (p, _) in by_priority]))
            assert self.index.search(query) == expected, text


def _priority(why: int) -> int:
    return 2 if why & TASK else 1 if why & OWN else 0


def _fields(p: Prospect) -> dict[str, Any]:
    return {name: getattr(p, name) for name in p.__dataclass_fields__}


class _Tmp:
    path: Path
    counter: Iterator[int]


TMP = _Tmp()


def test_the_index_behaves_like_its_model(tmp_path: Path) -> None:
    import itertools

    TMP.path, TMP.counter = tmp_path, itertools.count()
    run_state_machine_as_test(
        IndexAgainstAModel,
        settings=settings(
            max_examples=100,
            stateful_step_count=15,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


@given(query=queries)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_open_call_tasks_come_first_then_the_reps_own(tmp_path_factory: Any, query: str) -> None:
    idx = ProspectIndex(tmp_path_factory.mktemp("prio") / "index.sqlite3")
    try:
        for pid in range(1, 31):  # the same person thirty times: only priority tells them apart
            p = Prospect(
                pid,
                "Ann",
                "Smith",
                company="Acme Widgets",
                emails=("ann.smith@acme.example",),
                phone_numbers=(PhoneNumber(0, "+14155550123", "work"),),
            )
            if pid % 3 == 0:
                idx.upsert([Entry(p, 1)], me=1)  # the rep's own
            else:
                idx.mark_seen([p])  # seen lately
        assert idx.set_tasks([7, 20]) == []
        found = idx.search(classify(query), limit=30)
        if found:
            ids = [m.prospect.id for m in found]
            assert ids[:2] == [20, 7]
            assert ids[2:12] == [30, 27, 24, 21, 18, 15, 12, 9, 6, 3]
            assert ids[12:14] == [29, 28]
    finally:
        idx.close()


def test_writes_on_the_writer_thread_never_block_a_search(index: ProspectIndex) -> None:
    started, release = threading.Event(), threading.Event()
    index.upsert([Entry(Prospect(1, "Ann", "Smith"), 1)], me=1)

    def long_write() -> None:
        with index._transaction() as conn:
            conn.execute("INSERT INTO meta VALUES ('x', 'y')")
            started.set()
            release.wait(10)

    with ThreadPoolExecutor(1) as writer:
        pending = writer.submit(long_write)
        started.wait(10)
        assert [m.prospect.id for m in index.search(classify("ann"))] == [1]
        release.set()
        pending.result()
        writer.submit(index.close_writer).result()


@pytest.mark.parametrize("damage", [b"this is not a database" * 100, b""])
def test_a_damaged_file_is_set_aside_and_a_new_index_begins(tmp_path: Path, damage: bytes) -> None:
    path = tmp_path / "index.sqlite3"
    path.write_bytes(damage)
    idx = ProspectIndex(path)
    try:
        idx.mark_seen([Prospect(1, "Ann", "Smith")])
        assert len(idx) == 1
    finally:
        idx.close()
    if damage:
        assert (tmp_path / "index.sqlite3.damaged").read_bytes() == damage


def test_an_index_of_a_newer_version_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version=99")
    ProspectIndex(path).close()
    assert (tmp_path / "index.sqlite3.damaged").exists()


def test_an_unusable_place_is_an_error_to_run_without(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("x")
    with pytest.raises((IndexUnusable, OSError)):
        ProspectIndex(blocked / "index.sqlite3")


def test_search_words_are_what_fts_indexes() -> None:
    assert words("Ann.Smith@ACME.example") == ["ann", "smith", "acme", "example"]
