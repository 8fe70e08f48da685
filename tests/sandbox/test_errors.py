"""Errors in Outreach's shape: 401 without a good token, 404 for unknown ids and routes, 400."""

from __future__ import annotations

import httpx
import pytest

from tests.support.sandbox import SandboxServer


def _error(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/vnd.api+json"
    [error] = response.json()["errors"]
    return dict(error)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}, {"Authorization": ""}],
)
def test_requests_without_a_valid_token_get_401(
    sandbox: SandboxServer, headers: dict[str, str]
) -> None:
    with httpx.Client(base_url=sandbox.base_url, timeout=10) as client:
        for path in ("", "/prospects", "/calls/1", "/no-such-route"):
            error = _error(client.get(path, headers=headers), 401)
            assert error["id"] == "unauthorized"
        posted = client.post("/calls", json={}, headers=headers)
        assert posted.status_code == 401


def test_unknown_ids_get_404(api: httpx.Client) -> None:
    for path in ("/prospects/999999", "/calls/999999", "/phoneNumbers/0", "/users/77"):
        error = _error(api.get(path), 404)
        assert error["id"] == "resourceNotFound"


def test_unknown_routes_get_404(api: httpx.Client) -> None:
    for path in ("/nothing", "/prospects/abc", "/prospects/1/extra", "/v3"):
        assert _error(api.get(path), 404)["id"] == "resourceNotFound"


def test_unsupported_methods_are_refused_in_the_same_shape(api: httpx.Client) -> None:
    assert _error(api.delete("/prospects/1"), 405)["id"] == "methodNotAllowed"


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"page[size]": "0"}, "page[size]"),
        ({"page[size]": "1001"}, "page[size]"),
        ({"page[size]": "ten"}, "page[size]"),
        ({"page[after]": "not-a-cursor"}, "page[after]"),
        ({"page[number]": "2"}, "page[number]"),
        ({"filter[favouriteColour]": "blue"}, "filter[favouriteColour]"),
        ({"filter[id]": "one"}, "filter[id]"),
        ({"filter[account][id]": "1,x"}, "filter[account][id]"),
        ({"filter[]": "x"}, "filter[]"),
        ({"sort": "shoeSize"}, "sort"),
        ({"count": "yes"}, "count"),
        ({"include": "nothing"}, "include"),
        ({"fields[noSuchType]": "a"}, "fields[noSuchType]"),
    ],
)
def test_bad_parameters_get_400_naming_the_parameter(
    api: httpx.Client, params: dict[str, str], parameter: str
) -> None:
    error = _error(api.get("/prospects", params=params), 400)
    assert error["id"] == "badRequest"
    assert error["source"] == {"parameter": parameter}


def test_a_cursor_is_only_valid_with_its_own_sort(api: httpx.Client) -> None:
    first = api.get("/calls", params={"page[size]": 1, "sort": "-createdAt"}).json()
    cursor = httpx.URL(first["links"]["next"]).params["page[after]"]
    error = _error(api.get("/calls", params={"page[size]": 1, "page[after]": cursor}), 400)
    assert error["source"] == {"parameter": "page[after]"}
