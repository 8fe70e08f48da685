"""How the token endpoint's answers map to the error tree (a fake transport pins the mapping;
the real exchanges run against the sandbox in test_sign_in.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.secrets import MemoryStore, SecretStoreError
from dialer_app.core.auth.tokens import OAuthToken, TokenSet, request_tokens
from dialer_app.core.outreach import errors as e
from tests.support.hostile import gzip_bomb

PROFILE = Profile("acme", "Acme", "https://acme.test/api/v2", "client", 0)
Handler = Callable[[httpx.Request], httpx.Response]


def _request(handler: Handler) -> TokenSet:
    return asyncio.run(
        request_tokens(
            PROFILE,
            "s3cr3t-value",
            {"grant_type": "refresh_token", "refresh_token": "r"},
            now=lambda: 1000.0,
            transport=httpx.MockTransport(handler),
        )
    )


def _raise(exc: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    return handler


def test_a_good_answer_becomes_a_token_set() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200, json={"access_token": "a", "refresh_token": "r2", "expires_in": 60, "scope": "x"}
        )

    tokens = _request(handler)
    assert tokens == TokenSet("a", "r2", 1060.0, 1000.0, "x")
    assert str(seen[0].url) == "https://acme.test/oauth/token"
    assert b"client_secret=s3cr3t-value" in seen[0].content
    assert "a" not in repr(tokens).replace("expires_at", "").replace("scope", "")


@pytest.mark.parametrize(
    ("handler", "kind", "words"),
    [
        (lambda r: httpx.Response(400, json={"error": "invalid_grant"}), e.SignInRequired, "again"),
        (
            lambda r: httpx.Response(401, json={"error": "invalid_client"}),
            e.SignInRequired,
            "check the profile",
        ),
        (
            lambda r: httpx.Response(429, headers={"Retry-After": "12"}),
            e.RateLimited,
            "a minute",
        ),
        (lambda r: httpx.Response(503, text="down"), e.SignInError, "503"),
        (
            lambda r: httpx.Response(400, json={"error": "x", "error_description": "why"}),
            e.SignInError,
            "why",
        ),
        (lambda r: httpx.Response(200, json={"access_token": "a"}), e.MalformedResponse, "tokens"),
        (lambda r: httpx.Response(200, text="<html>"), e.SignInError, "unexpected"),
        (_raise(httpx.ConnectTimeout("slow")), e.RequestTimeout, "in time"),
        (_raise(httpx.ConnectError("refused")), e.ConnectError, "Cannot reach"),
    ],
)
def test_each_failure_is_one_documented_error(handler: Handler, kind: type, words: str) -> None:
    with pytest.raises(kind) as info:
        _request(handler)
    assert words in info.value.message
    assert "s3cr3t-value" not in info.value.message


def test_a_429_carries_its_retry_after() -> None:
    with pytest.raises(e.RateLimited) as info:
        _request(lambda r: httpx.Response(429, headers={"Retry-After": "soon"}))
    assert info.value.retry_after is None
    with pytest.raises(e.RateLimited) as info:
        _request(lambda r: httpx.Response(429, headers={"Retry-After": "12"}))
    assert info.value.retry_after == 12


def test_saved_sets_that_cannot_be_read_count_as_signed_out() -> None:
    assert TokenSet.loads("{") is None
    assert TokenSet.loads('{"access_token": "a"}') is None
    store = MemoryStore()
    store.set(PROFILE.tokens_key, "garbage")
    assert OAuthToken.load(PROFILE, store).tokens is None


class BrokenStore(MemoryStore):
    def set(self, key: str, value: str) -> None:
        raise SecretStoreError("The keychain refused to save (KeyringLocked).")

    def delete(self, key: str) -> None:
        raise SecretStoreError("The keychain refused to delete (KeyringLocked).")


def test_a_keychain_that_refuses_keeps_the_sign_in_for_this_run_and_says_so() -> None:
    now = [1000.0]
    source = OAuthToken(PROFILE, BrokenStore(), None, now=lambda: now[0])
    source.replace(TokenSet("a", "r", 1000.0 + 3600, 1000.0))
    assert source.tokens is not None
    assert "not saved" in source.health()
    assert asyncio.run(source.access_token()) == "a"
    now[0] += 3600
    assert "expired" in source.health()
    source.forget()
    assert source.tokens is None
    assert "refused to delete" in source.save_problem


def test_a_missing_client_secret_asks_to_sign_in_with_it() -> None:
    source = OAuthToken(PROFILE, MemoryStore(), TokenSet("a", "r", 0, 0), now=lambda: 10_000.0)
    with pytest.raises(e.SignInRequired, match="client secret"):
        asyncio.run(source.access_token())
    assert source.tokens is None


def test_a_token_refreshed_meanwhile_is_used_without_minting() -> None:
    source = OAuthToken(PROFILE, MemoryStore(), TokenSet("new", "r", 9e9, 0))
    assert asyncio.run(source.refresh_after_rejection("old")) is True
    assert source.mints == 0


def test_concurrent_requests_share_one_refresh() -> None:
    calls: list[Any] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"access_token": "a2", "refresh_token": "r2"})

    store = MemoryStore()
    store.set(PROFILE.secret_key, "secret")
    source = OAuthToken(
        PROFILE,
        store,
        TokenSet("a1", "r1", 100.0, 0.0),
        now=lambda: 99.0,
        transport=httpx.MockTransport(handler),
    )

    async def go() -> list[str]:
        return list(await asyncio.gather(*(source.access_token() for _ in range(5))))

    assert asyncio.run(go()) == ["a2"] * 5
    assert len(calls) == 1
    assert TokenSet.loads(store.get(PROFILE.tokens_key) or "") == source.tokens


def _answer(expires_in: object) -> Handler:
    body = json.dumps({"access_token": "a", "refresh_token": "r2", "expires_in": expires_in})
    return lambda r: httpx.Response(200, content=body.encode())


@pytest.mark.parametrize(
    ("expires_in", "lifetime"),
    [
        (60, 60.0),
        ("3600", 3600.0),
        (-5, 1.0),
        (1e300, 90 * 86_400.0),
        ("soon", 7200.0),
        (None, 7200.0),
        ([1], 7200.0),
    ],
)
def test_an_odd_lifetime_is_clamped_never_nan(expires_in: object, lifetime: float) -> None:
    tokens = _request(_answer(expires_in))
    assert tokens.expires_at - tokens.minted_at == lifetime
    source = OAuthToken(PROFILE, MemoryStore(), tokens, now=lambda: 1000.0)
    assert source.health().startswith("token valid")


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (lambda r: httpx.Response(200, content=b"[" * 5000 + b"]" * 5000), e.SignInError),
        (lambda r: httpx.Response(200, content=b'{"access_token": NaN}'), e.SignInError),
        (lambda r: httpx.Response(200, content=b"x" * (1 << 20)), e.ResponseTooLarge),
        (
            lambda r: httpx.Response(
                200, content=gzip_bomb(16), headers={"Content-Encoding": "gzip"}
            ),
            e.ResponseTooLarge,
        ),
        (lambda r: httpx.Response(429, headers={"Retry-After": "nan"}), e.RateLimited),
        (_raise(httpx.DecodingError("odd")), e.ConnectError),
    ],
)
def test_a_hostile_token_endpoint_ends_in_the_tree(handler: Handler, kind: type) -> None:
    with pytest.raises(kind):
        _request(handler)


def test_a_saved_set_with_a_nan_time_counts_as_expired() -> None:
    saved = json.dumps(
        {"access_token": "a", "refresh_token": "r", "expires_at": "nan", "minted_at": "inf"}
    )
    tokens = TokenSet.loads(saved)
    assert tokens == TokenSet("a", "r", 0.0, 0.0)
    source = OAuthToken(PROFILE, MemoryStore(), tokens, now=lambda: 1000.0)
    assert "expired" in source.health()
