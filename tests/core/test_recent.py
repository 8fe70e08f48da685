"""Recently seen prospects answer a lookup at once, survive a restart, and stay bounded; a
lookup finds exactly what reading every remembered prospect would, newest first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core.outreach.models import PhoneNumber, Prospect
from dialer_app.core.phone import looks_like_phone, to_e164
from dialer_app.core.recent import RecentProspects


def _ada(**kw: object) -> Prospect:
    fields: dict[str, object] = {
        "id": 7,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "title": "CTO",
        "company": "Analytical Engines",
        "emails": ("ada@engines.example",),
        "phone_numbers": (PhoneNumber(1, "+14155550123", "work"),),
    }
    fields.update(kw)
    return Prospect(**fields)  # type: ignore[arg-type]


def test_matches_say_why_by_name_email_company_and_phone() -> None:
    recent = RecentProspects()
    recent.remember([_ada()])
    assert [m.reason for m in recent.search("lov")] == ["name"]
    assert [m.reason for m in recent.search("ada love")] == ["name"]
    assert [m.reason for m in recent.search("ADA@eng")] == ["email"]
    assert [m.reason for m in recent.search("analyt")] == ["company"]
    assert [m.reason for m in recent.search("(415) 555-0123")] == ["phone +14155550123"]
    assert recent.search("grace") == []
    assert recent.search("+1 415 555 0199") == []
    assert recent.search("   ") == []


def test_newest_first_and_a_thin_record_keeps_the_known_numbers() -> None:
    recent = RecentProspects()
    recent.remember([_ada(), _ada(id=8, first_name="Adam", phone_numbers=())])
    recent.remember([_ada(phone_numbers=())])  # seen again in a lookup, without numbers
    found = recent.search("ada")
    assert [m.prospect.id for m in found] == [7, 8]
    assert found[0].prospect.phone_numbers[0].number == "+14155550123"


def test_the_cache_survives_a_restart_and_is_bounded(tmp_path: Path) -> None:
    path = tmp_path / "recent.json"
    recent = RecentProspects(path, capacity=3)
    recent.remember(_ada(id=i, first_name=f"Ada{i}") for i in range(5))
    recent.use_tags(["budget", "demo"])
    recent.use_tags(["Budget"])
    recent.save()
    again = RecentProspects(path, capacity=3)
    assert len(again) == 3
    assert [m.prospect.id for m in again.search("ada")] == [4, 3, 2]
    assert again.search("ada4")[0].prospect == _ada(id=4, first_name="Ada4")
    assert again.tags == ["Budget", "demo"]


def test_a_damaged_file_is_an_empty_cache(tmp_path: Path) -> None:
    path = tmp_path / "recent.json"
    path.write_text("{not json", encoding="utf-8")
    assert len(RecentProspects(path)) == 0
    path.write_text('{"prospects": [{"id": "x", "bogus": 1}]}', encoding="utf-8")
    assert len(RecentProspects(path)) == 0


def _reason(p: Prospect, query: str, e164: str | None) -> str | None:
    """Why `p` matches, read the plain way: every key of it compared (the oracle)."""
    if not query.strip():
        return None  # nothing typed matches nobody
    if e164 is not None:
        return f"phone {e164}" if e164 in {n.number for n in p.phone_numbers} else None
    q = " ".join(query.lower().split())
    full = f"{p.first_name} {p.last_name}"
    names = [n.lower() for n in (p.first_name, p.last_name, full) if n.strip()]
    if "@" in q:
        return "email" if any(e.lower().startswith(q) for e in p.emails) else None
    if any(n.startswith(q) for n in names):
        return "name"
    if p.company and p.company.lower().startswith(q):
        return "company"
    return None


_words = st.sampled_from(["ada", "Adam", "ann", "Anna", "lee", "Lovelace", "ab", "", "Zoë"])
_people = st.builds(
    lambda pid, first, last, company, mail, numbers: _ada(
        id=pid,
        first_name=first,
        last_name=last,
        company=company,
        emails=tuple(f"{m}@x.example" for m in mail),
        phone_numbers=tuple(PhoneNumber(n, f"+1415555{n:04d}", "work") for n in numbers),
    ),
    st.integers(1, 12),
    _words,
    _words,
    st.sampled_from(["Analytical Engines", "Ada Corp", "", "lee & co"]),
    st.lists(_words.filter(bool), max_size=2),
    st.lists(st.integers(1, 4), max_size=2, unique=True),
)


@settings(max_examples=200, deadline=None)
@given(
    batches=st.lists(st.lists(_people, max_size=4), max_size=6),
    capacity=st.integers(1, 8),
    queries=st.lists(
        st.one_of(
            _words.map(lambda w: w[:2]),
            st.sampled_from(["ada lo", "Ada  Love", "ann@", "ada@x", "lee &", "an", "a"]),
            st.integers(1, 5).map(lambda n: f"+1 415 555 {n:04d}"),
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_a_lookup_finds_what_reading_every_prospect_finds_newest_first(
    batches: list[list[Prospect]], capacity: int, queries: list[str]
) -> None:
    recent = RecentProspects(capacity=capacity)
    kept: dict[int, Prospect] = {}  # oldest first, as remembered
    for batch in batches:
        recent.remember(batch)
        for p in batch:
            old = kept.pop(p.id, None)
            if old is not None and old.phone_numbers and not p.phone_numbers:
                p = replace(p, phone_numbers=old.phone_numbers)
            kept[p.id] = p
        while len(kept) > capacity:
            del kept[next(iter(kept))]
    assert len(recent) == len(kept)
    for query in queries:
        e164 = to_e164(query, "US") if looks_like_phone(query) else None
        expected = [
            (p.id, reason)
            for p in reversed(kept.values())
            if (reason := _reason(p, query, e164)) is not None
        ][:3]
        found = recent.search(query, limit=3)
        assert [(m.prospect.id, m.reason) for m in found] == expected
        assert all(m.prospect == kept[m.prospect.id] for m in found)
