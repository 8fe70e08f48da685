"""What the write tests share: JSON:API bodies, posting them, reading errors, a pinned epoch."""

from __future__ import annotations

from typing import Any

import httpx

JSONAPI = "application/vnd.api+json"
HEADERS = {"Content-Type": JSONAPI}
# A Monday morning in Berlin: the seed's "today" in the write tests' own sandboxes.
EPOCH = "2026-03-02T08:30:00+01:00"


def document(
    kind: str,
    attributes: dict[str, Any] | None = None,
    relationships: dict[str, Any] | None = None,
    rid: int | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {"type": kind, "attributes": attributes or {}}
    if relationships:
        data["relationships"] = relationships
    if rid is not None:
        data["id"] = rid
    return {"data": data}


def link(kind: str, rid: int | None) -> dict[str, Any]:
    return {"data": None if rid is None else {"type": kind, "id": rid}}


def post(api: httpx.Client, path: str, body: object) -> httpx.Response:
    return api.post(path, json=body, headers=HEADERS)


def patch(api: httpx.Client, path: str, body: object) -> httpx.Response:
    return api.patch(path, json=body, headers=HEADERS)


def created(response: httpx.Response) -> dict[str, Any]:
    """The resource of a 201, after checking its status, media type and `Location`."""
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == JSONAPI
    data: dict[str, Any] = response.json()["data"]
    assert response.headers["location"] == data["links"]["self"]
    return data


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSONAPI
    data: dict[str, Any] = response.json()["data"]
    return data


def errors(response: httpx.Response, status: int = 422) -> list[dict[str, Any]]:
    """The error objects of a refusal, checked to have Outreach's shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSONAPI
    found = response.json()["errors"]
    assert found
    for error in found:
        assert set(error) <= {"id", "title", "detail", "source"}
        assert error["detail"]
    return list(found)


def pointers(response: httpx.Response, status: int = 422) -> set[str]:
    return {
        e["source"].get("pointer") or e["source"].get("parameter") for e in errors(response, status)
    }


def every_task(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    """Every task (following `links.next`), optionally filtered."""
    out: list[dict[str, Any]] = []
    response = api.get("/tasks", params={"page[size]": 1000, **params})
    while True:
        body = response.json()
        out += body["data"]
        following = body["links"].get("next")
        if not following:
            return out
        response = api.get(following)
