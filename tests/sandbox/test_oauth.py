"""Outreach's sign-in against the sandbox: consent, codes, tokens, rotation, limits, scopes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.support.sandbox import (
    APP_SCOPES,
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    SandboxServer,
    http_client,
    poll_until,
    serve_for,
)

MakeSandbox = Callable[..., SandboxServer]
AUTHORIZE = {
    "client_id": CLIENT_ID,
    "redirect_uri": REDIRECT_URI,
    "response_type": "code",
    "scope": APP_SCOPES,
    "state": "xyz 1",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """Consent page on, no mint interval: each test signs in as often as it likes."""
    yield from serve_for(tmp_path_factory, "oauth", "--prospects", "5", "--mint-interval", "0")


@pytest.fixture
def web(server: SandboxServer) -> Iterator[httpx.Client]:
    with http_client(base_url=server.origin, timeout=10) as client:
        yield client


def _token(web: httpx.Client, **form: str) -> httpx.Response:
    return web.post(
        "/oauth/token", data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **form}
    )


def _exchange(web: httpx.Client, code: str, redirect_uri: str = REDIRECT_URI) -> httpx.Response:
    return _token(web, grant_type="authorization_code", code=code, redirect_uri=redirect_uri)


def _refresh(web: httpx.Client, refresh_token: str) -> httpx.Response:
    return _token(web, grant_type="refresh_token", refresh_token=refresh_token)


def _oauth_error(response: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = dict(response.json())
    assert body["error"] == error
    return body


def _api(server: SandboxServer, token: str, path: str) -> httpx.Response:
    with http_client(base_url=server.base_url, timeout=10) as client:
        return client.get(path, headers={"Authorization": f"Bearer {token}"})


def test_the_consent_page_names_the_client_and_each_scope(web: httpx.Client) -> None:
    page = web.get("/oauth/authorize", params=AUTHORIZE)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert CLIENT_ID in html
    for scope in APP_SCOPES.split():
        assert f"<code>{scope}</code>" in html
    assert '<form method="post" action="/oauth/authorize">' in html
    assert 'value="approve">Approve</button>' in html
    assert 'value="deny">Deny</button>' in html


def test_approve_redirects_with_a_code_and_the_state(web: httpx.Client) -> None:
    answer = web.post("/oauth/authorize", data={**AUTHORIZE, "decision": "approve"})
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["location"])
    assert str(location.copy_with(query=None)) == REDIRECT_URI
    assert location.params["state"] == "xyz 1"
    assert location.params["code"]


def test_deny_redirects_with_access_denied(web: httpx.Client) -> None:
    answer = web.post("/oauth/authorize", data={**AUTHORIZE, "decision": "deny"})
    assert answer.status_code == 302
    location = httpx.URL(answer.headers["location"])
    assert dict(location.params) == {"error": "access_denied", "state": "xyz 1"}


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "someone-else"},
        {"client_id": ""},
        {"redirect_uri": "https://evil.example/cb"},
        {"redirect_uri": "http://127.0.0.1/no-port"},
        {"redirect_uri": "http://127.0.0.2:8765/cb"},
        {"redirect_uri": "http://localhost.evil.example:8765/cb"},
        {"redirect_uri": "http://user@127.0.0.1:8765/cb"},
        {"redirect_uri": "https://127.0.0.1:8765/cb"},
        {"redirect_uri": "javascript:alert(1)"},
    ],
)
def test_an_unvetted_client_or_redirect_gets_a_400_page_never_a_redirect(
    web: httpx.Client, change: dict[str, str]
) -> None:
    for answer in (
        web.get("/oauth/authorize", params={**AUTHORIZE, **change}),
        web.post("/oauth/authorize", data={**AUTHORIZE, **change, "decision": "approve"}),
    ):
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("text/html")
        assert "location" not in answer.headers


def test_localhost_redirects_are_accepted(web: httpx.Client) -> None:
    uri = "http://localhost:49152/oauth/callback"
    page = web.get("/oauth/authorize", params={**AUTHORIZE, "redirect_uri": uri})
    assert page.status_code == 200


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "calls.fly"}, "invalid_scope"),
    ],
)
def test_a_vetted_but_wrong_request_is_sent_back_with_an_error(
    web: httpx.Client, change: dict[str, str], error: str
) -> None:
    answer = web.get("/oauth/authorize", params={**AUTHORIZE, **change})
    assert answer.status_code == 302
    assert httpx.URL(answer.headers["location"]).params["error"] == error


def test_a_code_buys_tokens_once(server: SandboxServer, web: httpx.Client) -> None:
    code = server.oauth_code()
    first = _exchange(web, code)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    tokens = first.json()
    assert set(tokens) == {
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "scope",
        "created_at",
    }
    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 7200
    assert tokens["scope"] == APP_SCOPES
    assert isinstance(tokens["created_at"], int)
    assert _api(server, tokens["access_token"], "").json()["meta"]["user"]["id"] == 1
    _oauth_error(_exchange(web, code), 400, "invalid_grant")


def test_the_redirect_uri_must_be_the_authorize_one(
    server: SandboxServer, web: httpx.Client
) -> None:
    code = server.oauth_code()
    _oauth_error(_exchange(web, code, "http://127.0.0.1:8765/other"), 400, "invalid_grant")


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_secret": "wrong"},
        {"client_id": "someone-else"},
        {"client_secret": ""},
    ],
)
def test_a_wrong_client_gets_401_invalid_client(
    server: SandboxServer, web: httpx.Client, credentials: dict[str, str]
) -> None:
    form = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "grant_type": "authorization_code",
        "code": server.oauth_code(),
        "redirect_uri": REDIRECT_URI,
        **credentials,
    }
    _oauth_error(web.post("/oauth/token", data=form), 401, "invalid_client")


def test_bad_token_requests_get_oauth_errors(web: httpx.Client) -> None:
    _oauth_error(_token(web, grant_type="password"), 400, "unsupported_grant_type")
    _oauth_error(_token(web), 400, "invalid_request")
    _oauth_error(_token(web, grant_type="authorization_code"), 400, "invalid_request")
    _oauth_error(_exchange(web, "sbx_code_made_up"), 400, "invalid_grant")
    _oauth_error(_refresh(web, "sbx_rt_made_up"), 400, "invalid_grant")
    not_a_form = web.post(
        "/oauth/token", content=b"grant_type", headers={"Content-Type": "text/plain"}
    )
    _oauth_error(not_a_form, 400, "invalid_request")


def test_a_json_body_is_accepted_too(server: SandboxServer, web: httpx.Client) -> None:
    body = {
        "grant_type": "authorization_code",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "redirect_uri": REDIRECT_URI,
        "code": server.oauth_code(),
    }
    assert web.post("/oauth/token", json=body).status_code == 200


def test_refresh_rotates_the_refresh_token(server: SandboxServer, web: httpx.Client) -> None:
    first = server.sign_in()
    second = _refresh(web, first["refresh_token"])
    assert second.status_code == 200, second.text
    renewed = second.json()
    assert renewed["refresh_token"] != first["refresh_token"]
    assert renewed["access_token"] != first["access_token"]
    assert renewed["scope"] == first["scope"]
    _oauth_error(_refresh(web, first["refresh_token"]), 400, "invalid_grant")
    assert _api(server, renewed["access_token"], "/prospects/1").status_code == 200
    assert _refresh(web, renewed["refresh_token"]).status_code == 200


def test_a_missing_scope_gets_403_and_all_grants_everything(server: SandboxServer) -> None:
    reader = server.sign_in("prospects.read")["access_token"]
    assert _api(server, reader, "/prospects/1").status_code == 200
    for path in ("/calls", "/phoneNumbers", "/users/1"):
        denied = _api(server, reader, path)
        assert denied.status_code == 403
        [error] = denied.json()["errors"]
        assert error["id"] == "unauthorizedOauthScope"
    writer = server.sign_in("calls.read")["access_token"]
    body = {"data": {"type": "call", "attributes": {"note": "x"}}}
    headers = {"Authorization": f"Bearer {writer}", "Content-Type": "application/vnd.api+json"}
    with http_client(base_url=server.base_url, timeout=10) as client:
        assert client.post("/calls", json=body, headers=headers).status_code == 403
        everything = server.sign_in("calls.all")["access_token"]
        headers["Authorization"] = f"Bearer {everything}"
        created = client.post("/calls", json=body, headers=headers)
        assert created.status_code == 201
        gone = client.delete(f"/calls/{created.json()['data']['id']}", headers=headers)
        assert gone.status_code == 204
        headers["Authorization"] = f"Bearer {writer}"
        assert client.delete("/calls/1", headers=headers).status_code == 403


def test_expired_tokens_get_401_and_refresh_still_works(
    server: SandboxServer, web: httpx.Client
) -> None:
    tokens = server.sign_in()
    assert server.admin("tokens/expire", method="POST")["expired"] >= 1
    expired = _api(server, tokens["access_token"], "/prospects/1")
    assert expired.status_code == 401
    [error] = expired.json()["errors"]
    assert error["id"] == "unauthorized"
    assert "expired" in error["detail"]
    renewed = _refresh(web, tokens["refresh_token"]).json()
    assert _api(server, renewed["access_token"], "/prospects/1").status_code == 200


def test_revoked_refresh_tokens_stop_working(server: SandboxServer, web: httpx.Client) -> None:
    tokens = server.sign_in()
    assert server.admin("tokens/revoke-refresh", method="POST")["revoked"] >= 1
    _oauth_error(_refresh(web, tokens["refresh_token"]), 400, "invalid_grant")
    assert _api(server, tokens["access_token"], "/prospects/1").status_code == 200


def test_static_tokens_keep_every_scope(server: SandboxServer) -> None:
    server.admin("tokens/expire", method="POST")
    with server.client() as api:
        assert api.get("/accounts/1").status_code == 200
        assert api.get("/sequenceSteps").status_code == 200


@pytest.mark.slow
def test_one_mint_per_user_per_interval(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "5")  # the default interval: 60 s
    tokens = server.sign_in()
    with http_client(base_url=server.origin, timeout=10) as web:
        limited = _refresh(web, tokens["refresh_token"])
        body = _oauth_error(limited, 429, "rate_limited")
        assert body["error_description"]
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        code = server.oauth_code()
        _oauth_error(_exchange(web, code), 429, "rate_limited")
    server.restart()  # sessions and the mint time survive a restart
    assert _api(server, tokens["access_token"], "/prospects/1").status_code == 200
    with http_client(base_url=server.origin, timeout=10) as web:
        _oauth_error(_refresh(web, tokens["refresh_token"]), 429, "rate_limited")


def test_access_tokens_expire_after_the_ttl(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "5", "--token-ttl", "1", "--auto-approve")
    with http_client(base_url=server.origin, timeout=10) as web:
        answer = web.get("/oauth/authorize", params=AUTHORIZE)
        assert answer.status_code == 302  # --auto-approve: no consent page
        code = httpx.URL(answer.headers["location"]).params["code"]
        tokens = _exchange(web, code).json()
    assert tokens["expires_in"] == 1
    poll_until(
        lambda: _api(server, tokens["access_token"], "/prospects/1").status_code == 401,
        timeout=5.0,
        what="the access token expires",
    )
    detail = _api(server, tokens["access_token"], "/prospects/1").json()["errors"][0]["detail"]
    assert "expired" in detail
