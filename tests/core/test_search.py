"""Name, email and number search that holds whatever the org's filters do.

The org here is the real sandbox app served in-process (`tests.support.inprocess`), switched
between dialects; the same searches run against the sandbox as a process in
`tests/ui/test_dialects_end_to_end.py`.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test

from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.models import Match, PhoneNumber, Prospect
from dialer_app.core.outreach.search import (
    RECHECK_AFTER,
    Capabilities,
    CapabilityFile,
    ProspectSearch,
    classify,
    detect,
    fold,
    name_filters,
    rank,
    reason_for,
    words,
)
from tests.support.inprocess import InProcessOrg

FEW = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
DIALECT_ANSWERS = [
    {"unknown_filters": u, "name_filters": n}
    for u in ("search", "reject", "ignore")
    for n in ("folded", "exact")
]


@pytest.fixture(scope="module")
def org() -> Iterator[InProcessOrg]:
    org = InProcessOrg(prospects=40)
    org.add_prospect("Zoë", "Ångström", company="Nordlys AS", emails=("zoe@nordlys.example",))
    org.add_prospect(
        "Jean-Luc", "O'Brien", company="Acme Widgets", numbers={"+15550100123": "mobile"}
    )
    yield org
    org.close()


def _params(org: InProcessOrg) -> list[dict[str, str]]:
    return [dict(url.params) for url in org.requests]


# ---- reading the rep's text --------------------------------------------------------------


@given(st.text(max_size=40))
def test_every_text_is_read_as_exactly_one_kind(text: str) -> None:
    query = classify(text)
    stripped = text.strip()
    if not stripped:
        assert query.kind == "empty"
    elif "@" in stripped:
        assert query.kind == "email"
    elif query.kind == "phone":
        import phonenumbers

        parsed = phonenumbers.parse(query.e164)
        assert phonenumbers.is_possible_number(parsed)
        assert query.e164 == "+" + "".join(ch for ch in query.e164 if ch.isdigit())
    elif query.kind == "partial phone":
        assert query.problem  # the reason it is not looked up
    else:
        assert query.kind == "name"  # something in it is neither a digit nor a separator
        assert not all(ch in "+-()./#*0123456789" or ch.isspace() for ch in stripped)


@given(
    area=st.integers(200, 999),
    exchange=st.integers(200, 999),
    line=st.integers(0, 9999),
    style=st.sampled_from(["+1 ({a}) {e}-{l}", "+1{a}{e}{l}", "({a}) {e}-{l}", "1-{a}-{e}-{l}"]),
)
def test_a_possible_us_number_is_looked_up_valid_or_not(
    area: int, exchange: int, line: int, style: str
) -> None:
    typed = style.format(a=area, e=exchange, l=f"{line:04d}")
    query = classify(typed, "US")
    assert query.kind == "phone", query.problem
    assert query.e164 == f"+1{area}{exchange}{line:04d}"


def test_the_fact_sheets_example_of_an_invalid_but_possible_number_is_looked_up() -> None:
    assert classify("+1 (555) 010-0123").e164 == "+15550100123"


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("+", "Not a phone number"), ("+1 (", "Not a phone number"), ("+1 415", "too short")],
)
def test_a_number_being_typed_is_not_looked_up_and_says_why(typed: str, problem: str) -> None:
    query = classify(typed)
    assert query.kind == "partial phone"
    assert problem in query.problem


def test_fold_drops_case_and_accents() -> None:
    assert fold("  ZOË   Ångström ") == "zoe angstrom"
    assert fold("Strauß") == "strauss"
    assert words("Jean-Luc O'Brien") == ["jean", "luc", "o", "brien"]


# ---- why a prospect matched --------------------------------------------------------------

person = st.builds(
    Prospect,
    id=st.integers(1, 10**9),
    first_name=st.sampled_from(["Zoë", "Ann", "Jean-Luc", "Ólafur", "Mary Ann", "李"]),
    last_name=st.sampled_from(["Ångström", "O'Brien", "Smith", "Müller", "Strauß"]),
    company=st.sampled_from(["", "Acme Widgets", "Nordlys AS", "Café Olé GmbH"]),
    emails=st.lists(
        st.sampled_from(["zoe@nordlys.example", "ann.smith@acme.example"]), max_size=2
    ).map(tuple),
    phone_numbers=st.lists(
        st.builds(
            PhoneNumber,
            id=st.just(0),
            number=st.sampled_from(["+14155550123", "+442079460958", "+15550100123"]),
            phone_type=st.sampled_from(["mobile", "work", ""]),
        ),
        max_size=2,
    ).map(tuple),
)


@given(p=person, data=st.data())
def test_a_prefix_of_any_word_of_the_name_finds_it_as_name(
    p: Prospect, data: st.DataObject
) -> None:
    name_words = words(f"{p.first_name} {p.last_name}")
    chosen = data.draw(st.lists(st.sampled_from(name_words), min_size=1, max_size=3))
    text = " ".join(w[: data.draw(st.integers(1, len(w)))] for w in chosen)
    typed = data.draw(st.sampled_from([text, text.upper(), text.title()]))
    assert reason_for(classify(typed), p) == "name"


@given(p=person, data=st.data())
def test_what_a_match_says_is_true(p: Prospect, data: st.DataObject) -> None:
    text = data.draw(st.text(string.ascii_letters + "ÅÖëß @.+-()0123456789", min_size=1))
    query = classify(text)
    reason = reason_for(query, p)
    if reason is None:
        return
    if reason == "name":
        name_words = words(f"{p.first_name} {p.last_name}")
        assert all(any(w.startswith(t) for w in name_words) for t in query.tokens)
    elif reason == "company":
        assert all(any(w.startswith(t) for w in words(p.company)) for t in query.tokens)
    elif reason.startswith("email "):
        assert reason.removeprefix("email ") in p.emails
    elif "number" in reason:
        assert any(n.number[-4:] in reason.replace("-", "") for n in p.phone_numbers)
    else:
        assert set(reason.split(" and ")) <= {"name", "company", "email"}


def _reason_by_definition(tokens: tuple[str, ...], p: Prospect) -> str | None:
    """Each token starts a word of the name, the company or an address; the reason names the
    fewest places: the name, the company, both, one address, else every kind of place used."""
    places = {"name": words(f"{p.first_name} {p.last_name}"), "company": words(p.company)}
    addresses = {x: words(x) for x in p.emails}

    def starts(t: str, ws: list[str]) -> bool:
        return any(w.startswith(t) for w in ws)

    hits = []
    for t in tokens:
        found = {label for label, ws in places.items() if starts(t, ws)}
        if any(starts(t, ws) for ws in addresses.values()):
            found.add("email")
        if not found:
            return None
        hits.append(found)
    for label in ("name", "company"):
        if all(label in h for h in hits):
            return label
    if all(h & {"name", "company"} for h in hits):
        return "name and company"
    for x, ws in addresses.items():
        if all(starts(t, ws) for t in tokens):
            return f"email {x}"
    kinds = [k for k in ("name", "company", "email") if any(k in h for h in hits)]
    return ", ".join(kinds[:-1]) + " and " + kinds[-1]


@given(p=person, data=st.data())
def test_the_reason_for_typed_words_is_the_definitions(p: Prospect, data: st.DataObject) -> None:
    pieces = words(f"{p.first_name} {p.last_name} {p.company} {' '.join(p.emails)}")
    typed = " ".join(
        data.draw(
            st.lists(
                st.sampled_from(pieces).map(lambda w: w[: data.draw(st.integers(1, len(w)))])
                | st.text("abcnoszäöß", min_size=1, max_size=4),
                min_size=1,
                max_size=4,
            )
        )
    )
    query = classify(typed)
    if query.kind != "name":
        return
    assert reason_for(query, p) == _reason_by_definition(query.tokens, p)


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("zoe", "name"),
        ("ångström zo", "name"),
        ("nordl", "company"),
        ("zoe@nord", "email zoe@nordlys.example"),
        ("zoë nordlys", "name and company"),
        ("+44 20 7946 0958", "mobile number +44 20 7946 0958"),
        ("020 794", "mobile number +44 20 7946 0958"),
        ("zoe@nordlys.example.org", None),
        ("zeta", None),
    ],
)
def test_each_match_says_why(typed: str, reason: str | None) -> None:
    zoe = Prospect(
        1,
        "Zoë",
        "Ångström",
        company="Nordlys AS",
        emails=("zoe@nordlys.example",),
        phone_numbers=(PhoneNumber(1, "+442079460958", "mobile"),),
    )
    assert reason_for(classify(typed, "GB"), zoe) == reason


def test_the_whole_name_ranks_before_a_word_of_it_then_company_then_email() -> None:
    def m(pid: int, first: str, last: str, company: str = "", email: str = "") -> Match:
        p = Prospect(pid, first, last, company=company, emails=(email,) if email else ())
        reason = reason_for(classify("ann"), p)
        assert reason is not None
        return Match(p, reason)

    matches = [
        m(1, "Zed", "Zed", email="ann@x.example"),
        m(2, "Zed", "Zed", company="Annex Ltd"),
        m(3, "Joan", "Annan"),
        m(4, "Ann", "Lee"),
        m(4, "Ann", "Lee"),
    ]
    assert [x.prospect.id for x in rank(classify("ann"), matches)] == [3, 4, 2, 1]


# ---- what the org supports, found out ------------------------------------------------------


@pytest.mark.parametrize("answers", DIALECT_ANSWERS, ids=lambda a: ",".join(a.values()))
def test_detection_tells_each_dialect_apart(org: InProcessOrg, answers: dict[str, str]) -> None:
    org.speak(**answers)
    caps = org.run(lambda c: detect(c))
    assert (
        caps.q
        == {"search": "works", "reject": "refused", "ignore": "ignored"}[answers["unknown_filters"]]
    )
    assert caps.names == "works"
    assert caps.name_case == {"folded": "any", "exact": "exact"}[answers["name_filters"]]


def test_an_empty_org_leaves_what_it_cannot_tell_unknown() -> None:
    empty = InProcessOrg(prospects=1)
    try:
        empty.store.connection.execute("DELETE FROM prospects")
        empty.store.connection.commit()
        caps = empty.run(lambda c: detect(c))
    finally:
        empty.close()
    assert (caps.q, caps.names) == ("unknown", "unknown")


@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_a_damaged_capabilities_file_is_no_capabilities(tmp_path_factory: Any, raw: bytes) -> None:
    path = tmp_path_factory.mktemp("caps") / "search.json"
    path.write_bytes(raw)
    loaded = CapabilityFile(path).load()
    assert loaded is None or isinstance(loaded, Capabilities)


def test_capabilities_survive_a_restart(tmp_path: Path) -> None:
    file = CapabilityFile(tmp_path / "org.search.json")
    caps = Capabilities("refused", "works", "exact", 12.5, 13.5)
    file.save(caps)
    assert file.load() == caps
    raw = json.loads(file.path.read_text())
    file.path.write_text(json.dumps({**raw, "q": "sometimes"}))
    assert file.load() is None


# ---- searching, in every dialect -----------------------------------------------------------


@pytest.mark.parametrize("answers", DIALECT_ANSWERS, ids=lambda a: ",".join(a.values()))
@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Zoë Ångström", {("Zoë Ångström", "name")}),
        ("zoë ångström", {("Zoë Ångström", "name")}),
        ("Zoë", {("Zoë Ångström", "name")}),
        ("zoe@nordlys.example", {("Zoë Ångström", "email zoe@nordlys.example")}),
        ("+1 (555) 010-0123", {("Jean-Luc O'Brien", "mobile number +1 555-010-0123")}),
        ("zqxj", set()),
    ],
)
def test_whole_names_emails_and_numbers_are_found_in_every_dialect(
    org: InProcessOrg, answers: dict[str, str], typed: str, expected: set[tuple[str, str]]
) -> None:
    org.speak(**answers)

    async def work(client: Any) -> list[Match]:
        return await ProspectSearch(client).search(typed)

    found = org.run(work)
    assert {(m.prospect.name, m.reason) for m in found} == expected


@pytest.mark.parametrize("answers", DIALECT_ANSWERS, ids=lambda a: ",".join(a.values()))
def test_a_server_that_ignores_a_filter_never_makes_everyone_match(
    org: InProcessOrg, answers: dict[str, str]
) -> None:
    org.speak(**answers)
    everyone = {p["id"]: p for p in org.every_prospect()}

    @FEW
    @given(st.sampled_from(["Zoë", "zo", "a", "jean l", "acme", "Smi", "q", "nordlys as"]))
    def check(typed: str) -> None:
        async def work(client: Any) -> list[Match]:
            return await ProspectSearch(client).search(typed)

        for match in org.run(work):
            stored = everyone[match.prospect.id]
            truth = Prospect(
                stored["id"],
                stored["firstName"],
                stored["lastName"],
                company=stored.get("company") or "",
                emails=tuple(stored.get("emails") or ()),
            )
            assert reason_for(classify(typed), truth) == match.reason

    check()


@pytest.mark.parametrize("q", ["works", "refused"])
def test_typing_a_number_asks_nothing_until_it_is_possible(org: InProcessOrg, q: str) -> None:
    org.speak(unknown_filters="search" if q == "works" else "reject")
    typed = "+1 (555) 010-0123"

    async def work(client: Any) -> None:
        search = ProspectSearch(client)
        await search.capabilities_now(names=True)
        org.requests.clear()
        for end in range(1, len(typed) + 1):
            await search.search(typed[:end])

    org.run(work)
    asked = _params(org)
    assert all("filter[q]" not in p for p in asked)
    assert [p["filter[number]"] for p in asked] == ["+15550100123"] * len(asked)
    assert 1 <= len(asked) <= 2  # "+1 (555) 010-012" is not possible; the last two digits are


@pytest.mark.parametrize("q", ["works", "refused", "ignored"])
def test_an_email_is_asked_exactly_once_complete_and_typing_settles(
    org: InProcessOrg, q: str
) -> None:
    """Keystrokes as the window sends them: one lookup in flight, the newest text next."""
    org.speak(unknown_filters={"works": "search", "refused": "reject", "ignored": "ignore"}[q])
    typed = "zoe@nordlys.example"

    async def work(client: Any) -> list[Match]:
        settling: asyncio.Queue[asyncio.Future[None]] = asyncio.Queue()

        async def settle() -> None:  # typing settles when the test says so
            done = asyncio.get_running_loop().create_future()
            await settling.put(done)
            await done

        search = ProspectSearch(client, settle=settle)
        await search.capabilities_now(names=True)
        org.requests.clear()
        wanted = ""
        answers: dict[str, list[Match]] = {}

        def superseded_by_newer(text: str) -> Any:
            return lambda: wanted != text

        for end in range(1, len(typed) + 1):  # each keystroke waits for its answer…
            wanted = typed[:end]
            lookup = asyncio.ensure_future(
                search.search(wanted, superseded=superseded_by_newer(wanted))
            )
            waiting = asyncio.ensure_future(settling.get())
            await asyncio.wait({lookup, waiting}, return_when=asyncio.FIRST_COMPLETED)
            if not lookup.done():  # …except an exact address, which waits for typing to settle
                if end < len(typed):
                    wanted = typed[: end + 1]  # the next keystroke comes first
                waiting.result().set_result(None)
            else:
                waiting.cancel()
            answers[typed[:end]] = await lookup
        return answers[typed]

    found = org.run(work)
    asked = _params(org)
    exact = [p["filter[emails]"] for p in asked if "filter[emails]" in p]
    if q == "works":
        assert exact == []  # the prefix search covers addresses, complete or not
    else:
        assert exact == [typed]  # never "zoe@", "zoe@nordlys.ex", "zoe@nordlys.exa", …
        assert all("filter[q]" not in p for p in asked)
    assert [m.reason for m in found] == ["email zoe@nordlys.example"]


def test_a_search_says_it_waits_before_waiting_for_anything(org: InProcessOrg) -> None:
    """`waiting` (the window shows its local matches then) comes before a search finds out
    what the org's filters do or waits for typing to settle, and never for text that asks
    Outreach nothing. (The in-process org reports no network waits of its own.)"""
    org.speak(unknown_filters="reject")  # no prefix search: an address waits for typing to settle
    events: list[tuple[str, int]] = []

    def waiting() -> None:
        events.append(("waiting", len(org.requests)))

    async def work(client: Any) -> None:
        async def settle() -> None:
            events.append(("settling", len(org.requests)))

        search = ProspectSearch(client, settle=settle)  # nothing found out about the org yet
        org.requests.clear()
        await search.search("Zo", waiting=waiting)
        events.append(("answered", len(org.requests)))
        await search.search("zoe@nordlys.example", superseded=lambda: False, waiting=waiting)
        events.append(("answered", len(org.requests)))
        await search.search("+1 (", waiting=waiting)  # a number still being typed: not asked
        events.append(("answered", len(org.requests)))

    org.run(work)
    assert [kind for kind, _ in events] == [
        "waiting",  # before finding out what filter[q] does
        "waiting",  # before finding out the name filters (filter[q] is refused)
        "answered",
        "waiting",  # before waiting for typing to settle on a whole address
        "settling",
        "answered",
        "answered",  # nothing asked, nothing waited for
    ]
    assert events[0] == ("waiting", 0)
    assert events[3][1] == events[4][1] == events[2][1]  # nothing asked before settling
    assert events[6][1] == events[5][1]


def test_names_that_match_case_exactly_are_asked_as_typed_and_capitalised() -> None:
    assert name_filters("zoë", exact_case=True) == [
        {"filter[firstName]": "zoë"},
        {"filter[lastName]": "zoë"},
        {"filter[firstName]": "Zoë"},
        {"filter[lastName]": "Zoë"},
    ]
    assert name_filters("Mary Ann Lee", exact_case=False) == [
        {"filter[firstName]": "Mary", "filter[lastName]": "Ann Lee"},
        {"filter[firstName]": "Mary Ann", "filter[lastName]": "Lee"},
    ]
    assert name_filters("z", exact_case=True) == []
    assert name_filters("jean-luc o'brien", exact_case=True)[-1] == {
        "filter[firstName]": "Jean-Luc",
        "filter[lastName]": "O'Brien",
    }


def test_a_refused_filter_is_found_out_again_and_the_search_still_answers(
    org: InProcessOrg, tmp_path: Path
) -> None:
    org.speak(unknown_filters="search")
    file = CapabilityFile(tmp_path / "caps.json")

    async def work(client: Any) -> tuple[Capabilities | None, list[Match]]:
        search = ProspectSearch(client, file)
        await search.search("Zoë")
        assert search.capabilities is not None
        assert search.capabilities.q == "works"
        await org.aspeak(unknown_filters="reject")  # the org changed under the app
        found = await search.search("Zoë Ångström")
        return search.capabilities, found

    caps, found = org.run(work)
    assert [m.prospect.name for m in found] == ["Zoë Ångström"]
    assert caps is not None
    assert caps.q == "refused"
    assert file.load() == caps  # remembered for the next start


def test_a_server_error_is_not_taken_for_a_refusal(org: InProcessOrg) -> None:
    org.speak()

    async def work(client: Any) -> None:
        search = ProspectSearch(client)
        await search.capabilities_now()
        client._http._transport = _Failing()
        await search.search("Zoë")

    with pytest.raises(e.ServerError):
        org.run(work)


class _Failing:
    async def handle_async_request(self, request: Any) -> Any:
        return httpx.Response(500, json={"errors": [{"id": "boom"}]}, request=request)

    async def aclose(self) -> None:
        pass


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_searches_stay_true_and_complete_while_the_org_changes(
    org: InProcessOrg, tmp_path: Path
) -> None:
    """The org's dialect changes at any time and time passes; what the app found out is kept
    on disk between searches. Nothing claims to match that does not; a whole name typed is found
    whenever the org has not changed in the last `RECHECK_AFTER` seconds."""
    people = [p for p in org.every_prospect() if p["firstName"] and p["lastName"]]

    class OrgThatChanges(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            org.speak()
            self.clock = Clock()
            self.file = CapabilityFile(tmp_path / f"caps-{id(self)}.json")
            self.answers = ("search", "folded")
            self.changed_at = -RECHECK_AFTER

        @rule(
            unknown=st.sampled_from(["search", "reject", "ignore"]),
            names=st.sampled_from(["folded", "exact"]),
        )
        def the_org_changes(self, unknown: str, names: str) -> None:
            org.speak(unknown_filters=unknown, name_filters=names)
            if (unknown, names) != self.answers:
                self.answers, self.changed_at = (unknown, names), self.clock.now

        @rule(minutes=st.integers(1, 30))
        def time_passes(self, minutes: int) -> None:
            self.clock.now += minutes * 60

        @rule(person=st.sampled_from(people), lower=st.booleans())
        def search_a_whole_name(self, person: dict[str, Any], lower: bool) -> None:
            typed = f"{person['firstName']} {person['lastName']}"
            typed = typed.lower() if lower else typed

            async def work(client: Any) -> list[Match]:
                return await ProspectSearch(client, self.file, now=self.clock).search(typed)

            found = org.run(work)
            assert all(m.reason == "name" for m in found)  # true, always
            if self.clock.now - self.changed_at >= RECHECK_AFTER:  # complete once it can know
                assert person["id"] in {m.prospect.id for m in found}

    run_state_machine_as_test(
        OrgThatChanges,
        settings=settings(
            max_examples=15,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


# ---- odd orgs, answered by a fake (what the sandbox's dialects do not cover) -------------------


class OddOrg:
    """Prospects behind a fake API whose filters misbehave in the ways named."""

    def __init__(self, q: str = "prefix", names: str = "any", people: list[Prospect] | None = None):
        self.q, self.names = q, names
        self.people = (
            people
            if people is not None
            else [
                Prospect(1, "Ann", "Lee", company="Acme", emails=("ann@acme.example",)),
                Prospect(2, "Bo", "Ek", company="Beta"),
                Prospect(3, "Cy", "Ng", company="Gamma"),
            ]
        )
        self.asked: list[dict[str, str]] = []

    def _doc(self, people: list[Prospect]) -> httpx.Response:
        data = [
            {
                "type": "prospect",
                "id": p.id,
                "attributes": {
                    "firstName": p.first_name,
                    "lastName": p.last_name,
                    "company": p.company,
                    "emails": list(p.emails),
                },
            }
            for p in people
        ]
        return httpx.Response(200, json={"data": data})

    def handler(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.asked.append(params)
        size = int(params.get("page[size]", 50))
        people = self.people
        if "filter[q]" in params:
            q = params["filter[q]"]
            if self.q == "refuse":
                return httpx.Response(400, json={"errors": [{"id": "badRequest"}]})
            if self.q == "forbid":
                return httpx.Response(403, json={"errors": [{"id": "unauthorizedOauthScope"}]})
            if self.q == "exact":  # answers, but only whole emails: not a prefix search
                people = [p for p in people if q in p.emails]
            elif self.q == "prefix":
                people = [p for p in people if reason_for(classify(q), p) is not None]
        for key, attr in (("filter[firstName]", "first_name"), ("filter[lastName]", "last_name")):
            if key in params:
                if self.names == "refuse":
                    return httpx.Response(400, json={"errors": [{"id": "badRequest"}]})
                if self.names == "never":
                    people = []
                elif self.names == "any":
                    people = [p for p in people if getattr(p, attr).lower() == params[key].lower()]
        if "filter[emails]" in params:
            people = [p for p in people if params["filter[emails]"] in p.emails]
        return self._doc(people[:size])


def _odd(org: OddOrg, work: Any) -> Any:
    from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken

    async def go() -> Any:
        client = OutreachClient(
            "https://api.example.test/api/v2",
            StaticToken("t"),
            transport=httpx.MockTransport(org.handler),
            retry=RetryPolicy(1),
        )
        try:
            return await work(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("q", "names", "expected"),
    [
        ("exact", "any", ("unusable", "works", "any")),
        ("prefix", "ignore", ("works", "ignored", "unknown")),
        ("prefix", "never", ("works", "unusable", "unknown")),
        ("refuse", "refuse", ("refused", "refused", "unknown")),
    ],
)
def test_odd_filters_are_told_apart(q: str, names: str, expected: tuple[str, str, str]) -> None:
    caps = _odd(OddOrg(q, names), lambda c: detect(c))
    assert (caps.q, caps.names, caps.name_case) == expected
    assert _odd(OddOrg(q, names), lambda c: detect(c, names=False)).names == "unknown"


def test_names_without_case_cannot_tell_the_case() -> None:
    org = OddOrg(people=[Prospect(1, "李", "王")])
    caps = _odd(org, lambda c: detect(c))
    assert (caps.names, caps.name_case) == ("works", "unknown")


def test_a_filter_not_allowed_is_an_error_not_a_finding() -> None:
    with pytest.raises(e.Forbidden):
        _odd(OddOrg(q="forbid"), lambda c: ProspectSearch(c).search("ann"))


def test_with_no_usable_filter_nothing_is_asked_for_names() -> None:
    org = OddOrg(q="refuse", names="refuse")

    async def work(client: Any) -> list[Match]:
        search = ProspectSearch(client)
        found = await search.search("Ann Lee")
        org.asked.clear()
        return found + await search.search("Ann Lee")

    assert _odd(org, work) == []
    assert org.asked == []  # found out once: no request worth sending


def test_an_ignored_q_found_out_lately_falls_back_to_the_name_filters() -> None:
    clock = Clock()
    crowd = [Prospect(i, f"P{i}", "Zed") for i in range(10, 40)]
    org = OddOrg(q="prefix", people=[Prospect(1, "Ann", "Lee"), *crowd])

    async def work(client: Any) -> tuple[list[Match], list[Match]]:
        search = ProspectSearch(client, now=clock)
        await search.capabilities_now(names=True)
        org.q = "ignore"  # q now returns everyone
        fresh = await search.search("Ann Lee")
        clock.now += RECHECK_AFTER
        return fresh, await search.search("Ann Lee")

    fresh, later = _odd(org, work)
    assert [m.prospect.id for m in fresh] == [1]  # by filter[firstName]/filter[lastName]
    assert [m.prospect.id for m in later] == [1]  # after finding out again
    assert any(p.get("filter[q]") == "zqxjv-no-one-is-called-this" for p in org.asked[3:])


def test_an_unfinished_address_asks_nothing_until_the_org_is_known() -> None:
    org = OddOrg()
    assert _odd(org, lambda c: ProspectSearch(c).search("ann@acm")) == []
    assert org.asked == []


def test_a_capabilities_file_that_cannot_be_written_costs_only_a_new_finding(
    tmp_path: Path,
) -> None:
    blocked = tmp_path / "caps.json"
    blocked.mkdir()  # a folder where the file should go: the write fails
    file = CapabilityFile(blocked)
    with pytest.raises(IsADirectoryError):
        file.save(Capabilities())
    assert list(tmp_path.iterdir()) == [blocked]  # no temporary file left behind
    found = _odd(OddOrg(), lambda c: ProspectSearch(c, file).search("ann"))
    assert [m.prospect.id for m in found] == [1]


def test_a_capabilities_file_with_an_unknown_case_is_none(tmp_path: Path) -> None:
    file = CapabilityFile(tmp_path / "caps.json")
    file.save(Capabilities("works", "works", "any", 1.0, 1.0))
    raw = json.loads(file.path.read_text())
    file.path.write_text(json.dumps({**raw, "name_case": "sometimes"}))
    assert file.load() is None


def test_a_number_typed_with_00_matches_as_international() -> None:
    p = Prospect(1, "A", "B", phone_numbers=(PhoneNumber(0, "+4930901820", "work"),))
    assert reason_for(classify("0049 30 9"), p) == "work number +49 30 901820"
    assert reason_for(classify("0044 30 9"), p) is None


def test_words_in_name_company_and_email_say_all_three() -> None:
    p = Prospect(1, "Zoë", "Ångström", company="Nordlys AS", emails=("zoe@nordlys.example",))
    assert reason_for(classify("ångström nordlys example"), p) == "name, company and email"


def test_an_ignored_q_on_a_fresh_finding_asks_an_unfinished_address_nothing_more() -> None:
    crowd = [Prospect(i, f"P{i}", "Zed") for i in range(10, 40)]
    org = OddOrg(
        q="prefix", people=[Prospect(1, "Ann", "Lee", emails=("ann@acme.example",)), *crowd]
    )

    async def work(client: Any) -> list[Match]:
        search = ProspectSearch(client)
        await search.capabilities_now()
        org.q = "ignore"
        return await search.search("ann@ac")

    assert _odd(org, work) == []
    assert "filter[emails]" not in org.asked[-1]


def test_an_address_that_matches_no_email_is_no_match() -> None:
    p = Prospect(1, "Ann", "Lee", emails=("ann@acme.example",))
    assert reason_for(classify("bob@acme.example"), p) is None
    assert reason_for(classify("&& !!"), p) is None  # nothing a word could start with


def test_nothing_found_on_an_old_finding_finds_out_again_once() -> None:
    clock = Clock()
    org = OddOrg(q="refuse")

    async def work(client: Any) -> list[Match]:
        search = ProspectSearch(client, now=clock)
        await search.search("Ann Lee")
        clock.now += RECHECK_AFTER
        org.asked.clear()
        return await search.search("Nobody Here")

    assert _odd(org, work) == []
    nonsense = [p for p in org.asked if "zqxjv-no-one-is-called-this" in p.values()]
    assert len(nonsense) == 2  # q and the name filters found out again, once
