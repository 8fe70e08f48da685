"""The seed: deterministic, realistic, valid phone numbers, everything the card needs."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime

import phonenumbers
import pytest

from dialer_app.sandbox.resources import RESOURCE_TYPES
from dialer_app.sandbox.seed import seed
from dialer_app.sandbox.store import Row, Store
from tests.support.sandbox import SandboxServer

NOW = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def org() -> Iterator[dict[str, list[Row]]]:
    store = Store.open(None)
    try:
        seed(store, prospects=600, seed=7, now=NOW)
        yield _all_rows(store)
    finally:
        store.close()


def _all_rows(store: Store) -> dict[str, list[Row]]:
    out = {}
    for rtype in RESOURCE_TYPES:
        out[rtype.type] = store.get_many(rtype, range(1, 5000))
    return out


def _fingerprint(prospects: int, seed_value: int) -> str:
    store = Store.open(None)
    try:
        seed(store, prospects=prospects, seed=seed_value, now=NOW)
        rows = _all_rows(store)
    finally:
        store.close()
    return hashlib.sha256(repr(sorted(rows.items())).encode()).hexdigest()


def test_the_same_seed_gives_the_same_org() -> None:
    assert _fingerprint(250, 5) == _fingerprint(250, 5)
    assert _fingerprint(250, 5) != _fingerprint(250, 6)


def test_prospect_count_is_exact(org: dict[str, list[Row]]) -> None:
    assert len(org["prospect"]) == 600


def test_people_come_from_many_countries(org: dict[str, list[Row]]) -> None:
    countries = Counter(p.attrs["addressCountry"] for p in org["prospect"])
    assert len(countries) >= 5
    zones = {p.attrs["timeZone"] for p in org["prospect"]}
    assert {"America/New_York", "Europe/Berlin", "Asia/Kolkata"} <= zones


def _drama_mobile(e164: str) -> bool:
    """Ofcom's `07700 900xxx`: reserved for fiction, and left out of `phonenumbers` on purpose."""
    return e164.startswith("+447700900")


def test_every_number_is_valid_e164_for_its_country(org: dict[str, list[Row]]) -> None:
    for phone in org["phoneNumber"]:
        number = phonenumbers.parse(phone.attrs["number"])
        if _drama_mobile(phone.attrs["number"]):
            assert phone.attrs["phoneType"] == "mobile"
            continue
        assert phonenumbers.is_valid_number(number), phone.attrs
        assert (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            == (phone.attrs["number"])
        )
        assert phonenumbers.region_code_for_number(number) == phone.attrs["countryCode"]
        written = phone.attrs["rawNumber"].split(" ext. ")[0]
        region = None if written.startswith("+") else phone.attrs["countryCode"]
        assert phonenumbers.parse(written, region) == number


FICTION = {
    "US": re.compile(r"\+1\d{3}55501\d\d"),
    "GB": re.compile(
        r"\+44(20794 60|161496 0|131496 0|117496 0|121496 0|113496 0|114496 0|115496 0"
        r"|116496 0|191498 0|2896496|2920180 |7700900)\d+".replace(" ", "")
    ),
    "FR": re.compile(r"\+3319900\d{4}"),
}


def test_numbers_come_from_ranges_reserved_for_fiction(org: dict[str, list[Row]]) -> None:
    seen = Counter()
    for phone in org["phoneNumber"]:
        pattern = FICTION.get(phone.attrs["countryCode"])
        if pattern is not None:
            assert pattern.fullmatch(phone.attrs["number"]), phone.attrs
            seen[phone.attrs["countryCode"]] += 1
    assert set(seen) == set(FICTION)


def test_main_lines_are_shared_and_extensions_exist(org: dict[str, list[Row]]) -> None:
    counts = Counter(p.attrs["number"] for p in org["phoneNumber"])
    assert max(counts.values()) >= 3
    assert any(p.attrs["extension"] for p in org["phoneNumber"])
    mobiles = [p.attrs["number"] for p in org["phoneNumber"] if p.attrs["phoneType"] == "mobile"]
    assert len(mobiles) == len(set(mobiles))


def test_the_org_has_what_the_card_shows(org: dict[str, list[Row]]) -> None:
    assert len(org["user"]) >= 3
    assert any(p.attrs["callOptedOut"] for p in org["prospect"])
    assert len(org["sequence"]) >= 2
    assert any(s.attrs["stepType"] == "call" for s in org["sequenceStep"])
    assert any(s.attrs["state"] == "active" for s in org["sequenceState"])
    open_calls = [
        t
        for t in org["task"]
        if t.attrs["taskType"] == "sequence_step_call" and t.attrs["state"] == "incomplete"
    ]
    assert open_calls
    assert all(t.links["sequenceState"] and t.links["prospect"] for t in open_calls)
    owners = Counter(p.links["owner"] for p in org["prospect"])
    assert set(owners) <= {u.id for u in org["user"]}
    emails = [e for p in org["prospect"] for e in p.attrs["emails"]]
    assert len(emails) == len(set(emails))


@pytest.mark.slow
def test_two_servers_with_the_same_seed_serve_the_same_data(make_sandbox: object) -> None:
    pages = []
    for _ in range(2):
        server: SandboxServer = make_sandbox(  # type: ignore[operator]
            "--prospects", "40", "--seed", "9", "--epoch", NOW.isoformat()
        )
        with server.client() as api:
            pages.append(api.get("/prospects", params={"page[size]": 1000}).json()["data"])
    first, second = pages
    for doc in (first, second):
        for p in doc:
            p.pop("links")
    assert first == second
    assert len(first) == 40
