"""Sample prospects read straight from a sandbox, for tests that start from a phone number."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

JSONAPI = "application/vnd.api+json"


@dataclass(frozen=True)
class Numbered:
    prospect_id: int
    name: str
    number: str  # E.164


def numbers_with_one_prospect(server: Any, count: int = 3) -> list[Numbered]:
    """`count` different prospects that take calls, each with a number no other prospect has
    (not a shared main line)."""
    with server.client() as api:
        phones = api.get("/phoneNumbers", params={"page[size]": 200}).json()["data"]
        owners: dict[str, set[int]] = {}
        for phone in phones:
            rel = phone["relationships"]["prospect"]["data"]
            owners.setdefault(phone["attributes"]["number"], set()).add(int(rel["id"]))
        seen = Counter(p["attributes"]["number"] for p in phones)
        picked: list[Numbered] = []
        for number, ids in owners.items():
            if seen[number] != 1 or len(ids) != 1:
                continue
            (pid,) = ids
            if any(p.prospect_id == pid for p in picked):
                continue  # one number each: `count` different prospects
            attrs = api.get(f"/prospects/{pid}").json()["data"]["attributes"]
            if attrs.get("callOptedOut") is True:
                continue
            picked.append(Numbered(pid, f"{attrs['firstName']} {attrs['lastName']}", number))
            if len(picked) == count:
                break
    assert len(picked) == count, "the sandbox has too few prospects with a number of their own"
    return picked
