"""Logging calls over HTTP: create, read back, list, delete, and every way a body is refused."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import Validate
from tests.support.sandbox import SandboxServer

JSONAPI = {"Content-Type": "application/vnd.api+json"}


def _call_document(prospect_id: int, **attributes: Any) -> dict[str, Any]:
    attrs = {
        "direction": "outbound",
        "dialedAt": "2026-03-02T15:00:00.000Z",
        "answeredAt": "2026-03-02T15:00:04.500Z",
        "completedAt": "2026-03-02T15:01:27.750Z",
        "outcome": "Answered",
        "note": "Demo booked.",
        "tags": ["budget"],
        "externalVendor": "Dialer Companion",
        "vendorCallId": str(uuid.uuid4()),
        **attributes,
    }
    relationships = {"prospect": {"data": {"type": "prospect", "id": prospect_id}}}
    return {"data": {"type": "call", "attributes": attrs, "relationships": relationships}}


def _post(api: httpx.Client, document: object) -> httpx.Response:
    return api.post("/calls", json=document, headers=JSONAPI)


def test_a_posted_call_is_stored_whole(api: httpx.Client, validate: Validate) -> None:
    disposition = api.get("/callDispositions").json()["data"][0]
    doc = _call_document(7)
    doc["data"]["relationships"]["callDisposition"] = {
        "data": {"type": "callDisposition", "id": disposition["id"]}
    }
    response = _post(api, doc)
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/vnd.api+json"
    created = response.json()["data"]
    validate("callResponse", created)
    assert isinstance(created["id"], int)
    assert response.headers["location"].endswith(f"/calls/{created['id']}")
    attrs, rels = created["attributes"], created["relationships"]
    for key, value in doc["data"]["attributes"].items():
        assert attrs[key] == value, key
    assert attrs["state"] == "completed"
    assert attrs["createdAt"].endswith("Z")
    assert attrs["createdAt"] == attrs["updatedAt"] == attrs["stateChangedAt"]
    assert rels["prospect"]["data"] == {"type": "prospect", "id": 7}
    assert rels["callDisposition"]["data"] == {"type": "callDisposition", "id": disposition["id"]}
    assert rels["user"]["data"] == {"type": "user", "id": 1}  # the token's user by default
    assert rels["task"]["data"] is None
    read_back = api.get(f"/calls/{created['id']}")
    assert read_back.json()["data"] == created


def test_calls_are_listed_by_prospect_newest_first(api: httpx.Client) -> None:
    ids = [_post(api, _call_document(11)).json()["data"]["id"] for _ in range(3)]
    newest_first = api.get("/calls", params={"filter[prospect][id]": 11, "sort": "-createdAt"})
    listed = [c["id"] for c in newest_first.json()["data"]]
    assert listed[:3] == ids[::-1]
    oldest_first = api.get("/calls", params={"filter[prospect][id]": 11, "sort": "createdAt"})
    assert [c["id"] for c in oldest_first.json()["data"]][-3:] == ids
    by_id = api.get("/calls", params={"filter[id]": ids[1]}).json()["data"]
    assert [c["id"] for c in by_id] == [ids[1]]


def test_calls_filter_by_outcome(api: httpx.Client) -> None:
    _post(api, _call_document(12, outcome="Not Answered", answeredAt=None))
    for outcome in ("Answered", "Not Answered"):
        calls = api.get("/calls", params={"filter[outcome]": outcome, "page[size]": 200})
        data = calls.json()["data"]
        assert data
        assert {c["attributes"]["outcome"] for c in data} == {outcome}


def test_delete_removes_a_call(api: httpx.Client) -> None:
    call_id = _post(api, _call_document(13)).json()["data"]["id"]
    deleted = api.delete(f"/calls/{call_id}")
    assert deleted.status_code == 204
    assert deleted.content == b""
    gone = api.get(f"/calls/{call_id}")
    assert gone.status_code == 404
    assert gone.json()["errors"][0]["id"] == "resourceNotFound"
    assert api.delete(f"/calls/{call_id}").status_code == 404


def test_a_call_may_link_the_sequence_task_it_completes(api: httpx.Client) -> None:
    task = api.get(
        "/tasks", params={"filter[taskType]": "sequence_step_call", "page[size]": 1}
    ).json()["data"][0]
    rels = task["relationships"]
    doc = _call_document(rels["prospect"]["data"]["id"], sequenceAction="Advance")
    for name in ("sequence", "sequenceState", "sequenceStep"):
        doc["data"]["relationships"][name] = rels[name]
    doc["data"]["relationships"]["task"] = {"data": {"type": "task", "id": task["id"]}}
    created = _post(api, doc)
    assert created.status_code == 201, created.text
    assert created.json()["data"]["relationships"]["task"]["data"]["id"] == task["id"]


def _errors(response: httpx.Response, status: int) -> list[dict[str, Any]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/vnd.api+json"
    errors = response.json()["errors"]
    assert errors
    for error in errors:
        assert set(error) <= {"id", "title", "detail", "source"}
        assert error["detail"]
    return list(errors)


def test_invalid_fields_get_one_422_error_each_with_a_pointer(api: httpx.Client) -> None:
    doc = _call_document(
        7,
        note="x" * 65_536,
        recordingUrl="ftp://files.example.com/a.mp3",
        createdAt="2026-03-02T15:00:00Z",
        outcome="Maybe",
    )
    errors = _errors(_post(api, doc), 422)
    assert {e["id"] for e in errors} == {"validationError"}
    assert {e["title"] for e in errors} == {"Validation Error"}
    assert sorted(e["source"]["pointer"] for e in errors) == [
        "/data/attributes/createdAt",
        "/data/attributes/note",
        "/data/attributes/outcome",
        "/data/attributes/recordingUrl",
    ]
    note = next(e for e in errors if e["source"]["pointer"].endswith("/note"))
    assert "65,535" in note["detail"]


def test_links_to_missing_resources_are_refused(api: httpx.Client) -> None:
    doc = _call_document(999_999)
    doc["data"]["relationships"]["callPurpose"] = {"data": {"type": "callPurpose", "id": 404}}
    errors = _errors(_post(api, doc), 422)
    assert sorted(e["source"]["pointer"] for e in errors) == [
        "/data/relationships/callPurpose",
        "/data/relationships/prospect",
    ]


def test_a_relationship_of_the_wrong_type_is_refused(api: httpx.Client) -> None:
    doc = _call_document(7)
    doc["data"]["relationships"]["prospect"] = {"data": {"type": "user", "id": 1}}
    errors = _errors(_post(api, doc), 422)
    assert [e["source"]["pointer"] for e in errors] == ["/data/relationships/prospect"]


def test_a_refused_call_is_not_stored(api: httpx.Client) -> None:
    before = api.get("/calls", params={"count": "true"}).json()["meta"]["count"]
    _errors(_post(api, _call_document(7, note="x" * 65_536)), 422)
    _errors(_post(api, _call_document(999_999)), 422)
    after = api.get("/calls", params={"count": "true"}).json()["meta"]["count"]
    assert after == before


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_a_body_not_declared_as_jsonapi_gets_415(
    api: httpx.Client, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.post("/calls", content=b'{"data": {}}', headers=headers)
    [error] = _errors(response, 415)
    assert error["id"] == "unsupportedMediaType"


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b'{"data": '])
def test_malformed_json_gets_400(api: httpx.Client, body: bytes) -> None:
    [error] = _errors(api.post("/calls", content=body, headers=JSONAPI), 400)
    assert error["id"] == "badRequest"


@pytest.mark.parametrize("body", [[], "call", {"data": []}, {"data": {"type": "prospect"}}])
def test_a_document_that_is_not_a_call_gets_422(api: httpx.Client, body: object) -> None:
    errors = _errors(_post(api, body), 422)
    assert all(e["source"]["pointer"].startswith("/data") for e in errors)


def test_calls_are_written_as_the_tokens_user_unless_linked(
    make_sandbox: Any,
) -> None:
    server: SandboxServer = make_sandbox("--prospects", "20")
    with server.client() as api:
        doc = _call_document(2)
        doc["data"]["relationships"]["user"] = {"data": {"type": "user", "id": 3}}
        created = _post(api, doc).json()["data"]
        assert created["relationships"]["user"]["data"] == {"type": "user", "id": 3}
