"""Cursor pagination: `links.next` walks every row once, `count=true` counts them."""

from __future__ import annotations

from typing import Any

import httpx


def _walk(api: httpx.Client, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    response = api.get(path, params=params)
    pages = 0
    while True:
        assert response.status_code == 200, response.text
        doc = response.json()
        rows += doc["data"]
        pages += 1
        assert pages < 1000
        next_url = doc["links"].get("next")
        if next_url is None:
            return rows
        assert next_url.startswith(str(api.base_url).rstrip("/"))
        response = api.get(next_url)


def test_default_page_is_fifty(api: httpx.Client) -> None:
    doc = api.get("/prospects").json()
    assert len(doc["data"]) == 50
    assert "next" in doc["links"]
    assert "meta" not in doc


def test_walking_next_links_visits_every_prospect_once(api: httpx.Client) -> None:
    rows = _walk(api, "/prospects", {"page[size]": 70, "fields[prospect]": "lastName"})
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == 300
    assert ids == sorted(ids)
    counted = api.get("/prospects", params={"count": "true", "page[size]": 1}).json()
    assert counted["meta"]["count"] == 300


def test_the_last_page_has_no_next_link(api: httpx.Client) -> None:
    doc = api.get("/prospects", params={"page[size]": 1000}).json()
    assert len(doc["data"]) == 300
    assert "next" not in doc["links"]


def test_walking_a_filtered_descending_list(api: httpx.Client) -> None:
    params = {"page[size]": 7, "sort": "-createdAt", "filter[outcome]": "Answered"}
    rows = _walk(api, "/calls", params)
    stamps = [(r["attributes"]["createdAt"], r["id"]) for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert len({r["id"] for r in rows}) == len(rows)
    counted = api.get("/calls", params={"filter[outcome]": "Answered", "count": "true"}).json()
    assert counted["meta"]["count"] == len(rows)


def test_walking_a_search(api: httpx.Client) -> None:
    everyone = api.get("/prospects", params={"page[size]": 1000}).json()["data"]
    expected = [
        p["id"]
        for p in everyone
        if any(
            v.casefold().startswith("a")
            for v in (
                p["attributes"]["firstName"],
                p["attributes"]["lastName"],
                p["attributes"]["company"],
                *p["attributes"]["emails"],
            )
        )
    ]
    rows = _walk(api, "/prospects", {"filter[q]": "A", "page[size]": 9})
    assert [r["id"] for r in rows] == expected
