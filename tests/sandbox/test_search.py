"""Search-as-you-type (`filter[q]`): a case-insensitive prefix match on names, emails, company."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dialer_app.sandbox import store as store_module
from dialer_app.sandbox.query import parse_list_query
from dialer_app.sandbox.resources import PROSPECT
from dialer_app.sandbox.seed import seed
from dialer_app.sandbox.store import Store


def _search(api: httpx.Client, q: str) -> list[dict[str, Any]]:
    response = api.get("/prospects", params={"filter[q]": q, "page[size]": 1000})
    assert response.status_code == 200, response.text
    return list(response.json()["data"])


@pytest.fixture(scope="module")
def someone(sandbox: Any) -> dict[str, Any]:
    with sandbox.client() as api:
        people = api.get("/prospects", params={"page[size]": 300}).json()["data"]
    return next(p for p in people if len(p["attributes"]["emails"]) > 1)["attributes"]


@pytest.mark.parametrize(
    "make_query",
    [
        lambda a: a["firstName"][:3],
        lambda a: a["lastName"].upper(),
        lambda a: f"{a['firstName']} {a['lastName'][:2]}".lower(),
        lambda a: f"  {a['firstName']}   {a['lastName']}",
        lambda a: a["emails"][0][:6].upper(),
        lambda a: a["emails"][1],
        lambda a: a["company"][:5].lower(),
    ],
    ids=["first", "last", "full", "blanks", "email", "second-email", "company"],
)
def test_a_prefix_of_any_term_finds_the_prospect(
    api: httpx.Client, someone: dict[str, Any], make_query: Any
) -> None:
    found = _search(api, make_query(someone))
    assert someone["emails"][0] in {p["attributes"]["emails"][0] for p in found}


def test_a_trailing_blank_ends_the_word(api: httpx.Client, someone: dict[str, Any]) -> None:
    first = someone["firstName"]
    found = _search(api, f"{first} ")
    assert found
    assert all(p["attributes"]["firstName"].casefold() == first.casefold() for p in found)


def test_accents_and_sharp_s_fold(api: httpx.Client) -> None:
    people = api.get("/prospects", params={"filter[q]": "mü", "page[size]": 100}).json()["data"]
    if not people:
        pytest.skip("seed 1 has no one whose name starts with Mü")
    assert _search(api, "MÜ") == people


@pytest.mark.parametrize("q", ["ar", "son", "eli", "tech", "li"])
def test_every_hit_has_a_term_starting_with_the_query(api: httpx.Client, q: str) -> None:
    for prospect in _search(api, q):
        a = prospect["attributes"]
        terms = (a["firstName"], a["lastName"], a["name"], a["company"], *a["emails"])
        assert any(t.casefold().startswith(q) for t in terms), a


@pytest.mark.parametrize("q", ["", "   ", "zzzzzz", "@@@"])
def test_blank_or_unknown_queries_find_nothing(api: httpx.Client, q: str) -> None:
    assert _search(api, q) == []


@pytest.mark.parametrize("q", ["a", "ma", "mar", "s", "jo", "lu", "gi"])
def test_broad_and_narrow_prefixes_give_the_same_answer(
    monkeypatch: pytest.MonkeyPatch, q: str
) -> None:
    """A broad prefix is answered by probing rows in order: it must agree with collecting."""
    store = Store.open(None)
    try:
        seed(store, prospects=400, seed=3)
        query = parse_list_query(PROSPECT, {"filter[q]": q, "page[size]": "1000"})
        monkeypatch.setattr(store_module, "BROAD_PREFIX", 10**9)
        collected = [r.id for r in store.page(PROSPECT, query).rows]
        monkeypatch.setattr(store_module, "BROAD_PREFIX", 1)
        probed = [r.id for r in store.page(PROSPECT, query).rows]
    finally:
        store.close()
    assert collected
    assert probed == collected
