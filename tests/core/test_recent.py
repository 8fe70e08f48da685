"""Recently seen prospects answer a lookup at once, survive a restart, and stay bounded."""

from __future__ import annotations

from pathlib import Path

from dialer_app.core.outreach.models import PhoneNumber, Prospect
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
