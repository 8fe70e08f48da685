"""Sign in with Outreach against a real sandbox over HTTP: the browser is an httpx client.

authorize → loopback redirect → token → refresh before expiry and after a 401 → rotation →
a revoked refresh token asks to sign in again; the state check, the timeout, the mint limit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app.core.auth.flow import CALLBACK_PATH, SignInFlow
from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.secrets import MemoryStore
from dialer_app.core.auth.tokens import OAuthToken, TokenSet
from dialer_app.core.loop_thread import LoopThread
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.auth import OnLoop, StaticToken, on_loop
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy
from dialer_app.core.outreach.errors import SignInError
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SandboxServer

MakeSandbox = Callable[..., SandboxServer]


class Clock:
    """Epoch seconds the test moves by hand (starting now, so the server agrees on expiry)."""

    def __init__(self) -> None:
        import time

        self.t = time.time()

    def __call__(self) -> float:
        return self.t


class Recorder(httpx.AsyncBaseTransport):
    """The real network, remembering each answer's status."""

    def __init__(self) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self.statuses: list[int] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        self.statuses.append(response.status_code)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


def _profile(server: SandboxServer, port: int = 0) -> Profile:
    return Profile("sbx", "Sandbox org", server.base_url, CLIENT_ID, port).validated()


def _store(profile: Profile) -> MemoryStore:
    store = MemoryStore()
    store.set(profile.secret_key, CLIENT_SECRET)
    return store


async def _browse(url: str) -> httpx.Response:
    """What the browser does: follow the authorize redirect to the app's listener."""
    async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
        return await browser.get(url)


async def _sign_in(profile: Profile, **kw: Any) -> tuple[TokenSet, httpx.Response]:
    flow = SignInFlow(profile, CLIENT_SECRET, **kw)
    url = await flow.start()
    page = await _browse(url)
    return await flow.finish(), page


def _run(coro: Awaitable[Any]) -> Any:
    return asyncio.run(coro)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Auto-approving, no mint interval on the server (the client's own limit is tested)."""
    sandbox = SandboxServer(
        tmp_path_factory.mktemp("signin") / "data",
        extra_args=("--prospects", "5", "--auto-approve", "--mint-interval", "0"),
    )
    sandbox.start()
    yield sandbox
    sandbox.stop()


def test_the_whole_sign_in_then_the_api_knows_the_rep(
    server: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    profile = _profile(server)
    store = _store(profile)

    async def go() -> tuple[TokenSet, httpx.Response, int]:
        tokens, page = await _sign_in(profile)
        source = OAuthToken(profile, store, None)
        source.replace(tokens)
        client = OutreachClient(profile.api_base_url, source)
        try:
            user = await client.current_user()
        finally:
            await client.aclose()
        return tokens, page, user.id

    tokens, page, user_id = _run(go())
    assert user_id == 1
    assert page.status_code == 200
    assert "Signed in" in page.text
    assert page.url.path == CALLBACK_PATH
    assert tokens.access_token.startswith("sbx_at_")
    assert TokenSet.loads(store.get(profile.tokens_key) or "") == tokens
    assert tokens.access_token not in repr(tokens)
    secrets = (tokens.access_token, tokens.refresh_token, CLIENT_SECRET)
    app_logs = [r.getMessage() for r in caplog.records if r.name.startswith("dialer_app")]
    assert not [m for m in app_logs if any(s in m for s in secrets)]


def test_a_fixed_redirect_port_is_used(server: SandboxServer) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    flow = SignInFlow(_profile(server, port), CLIENT_SECRET)

    async def go() -> str:
        await flow.start()
        await flow.close()
        return flow.redirect_uri

    assert _run(go()) == f"http://127.0.0.1:{port}{CALLBACK_PATH}"


def test_a_busy_redirect_port_is_a_clear_error(server: SandboxServer) -> None:
    async def go() -> None:
        first = SignInFlow(_profile(server), CLIENT_SECRET)
        await first.start()
        port = int(first.redirect_uri.split(":")[2].split("/")[0])
        try:
            await SignInFlow(_profile(server, port), CLIENT_SECRET).start()
        finally:
            await first.close()

    with pytest.raises(SignInError, match="Cannot listen"):
        _run(go())


@pytest.mark.parametrize(
    "query",
    ["?code=abc&state=wrong", "?code=abc", "?state=", "?error=access_denied&state=wrong"],
)
def test_a_wrong_or_missing_state_is_refused_and_the_sign_in_goes_on(
    server: SandboxServer, query: str
) -> None:
    async def go() -> tuple[httpx.Response, TokenSet, int]:
        flow = SignInFlow(_profile(server), CLIENT_SECRET, timeout=30)
        url = await flow.start()
        page = await _browse(flow.redirect_uri + query)
        tokens_page = await _browse(url)  # the rep's own browser, after the stray request
        assert tokens_page.status_code == 200
        return page, await flow.finish(), flow.refused

    page, tokens, refused = _run(go())
    assert page.status_code == 400
    assert "Sign-in refused" in page.text
    assert "ignored" in page.text
    assert tokens.refresh_token
    assert refused == 1


_STRAY_LINE = st.one_of(
    st.builds(
        "GET {}?{} HTTP/1.1".format,
        st.sampled_from([CALLBACK_PATH, "/", "/favicon.ico", CALLBACK_PATH + "/x", "//"]),
        st.lists(
            st.tuples(
                st.sampled_from(["code", "state", "error", "x", ""]),
                st.text(st.characters(codec="ascii", exclude_characters="&#% \r\n"), max_size=30),
            ),
            max_size=4,
        ).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs)),
    ),
    st.sampled_from(["POST", "PUT", "OPTIONS", "BREW", "get"]).map(
        lambda m: f"{m} {CALLBACK_PATH}?code=c&state=s HTTP/1.1"
    ),
    st.text(st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=200),
)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strays=st.lists(_STRAY_LINE, min_size=1, max_size=5))
def test_stray_requests_never_end_a_pending_sign_in(
    server: SandboxServer, strays: list[str]
) -> None:
    """Any local program can reach the loopback port: whatever it sends (without the state
    the app made up), the listener answers with a refusal and keeps waiting for the browser."""

    async def go() -> tuple[list[bytes], TokenSet]:
        flow = SignInFlow(_profile(server), CLIENT_SECRET, timeout=30)
        url = await flow.start()
        port = int(flow.redirect_uri.split(":")[2].split("/")[0])
        answers = []
        for line in strays:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(line.encode("latin-1") + b"\r\nHost: x\r\n\r\n")
            await writer.drain()
            answers.append(await asyncio.wait_for(reader.read(), 10))
            writer.close()
            await writer.wait_closed()
        await _browse(url)
        return answers, await flow.finish()

    answers, tokens = _run(go())
    assert tokens.refresh_token
    for answer in answers:
        status = answer.split(b"\r\n", 1)[0]
        assert status in (b"HTTP/1.1 400 Bad Request", b"HTTP/1.1 404 Not Found"), answer[:80]


def test_other_paths_and_methods_are_not_the_sign_in(server: SandboxServer) -> None:
    async def go() -> tuple[int, int, int, TokenSet]:
        flow = SignInFlow(_profile(server), CLIENT_SECRET)
        url = await flow.start()
        origin = flow.redirect_uri.removesuffix(CALLBACK_PATH)
        async with httpx.AsyncClient(timeout=10) as browser:
            favicon = (await browser.get(origin + "/favicon.ico")).status_code
            posted = (await browser.post(flow.redirect_uri)).status_code
        page = await _browse(url)
        tokens = await flow.finish()
        return favicon, posted, page.status_code, tokens

    favicon, posted, page, tokens = _run(go())
    assert (favicon, posted, page) == (404, 404, 200)
    assert tokens.refresh_token


def test_the_listener_gives_up_after_its_timeout(server: SandboxServer) -> None:
    async def go() -> None:
        flow = SignInFlow(_profile(server), CLIENT_SECRET, timeout=0.05)
        await flow.start()
        await flow.finish()

    with pytest.raises(SignInError, match="not finished in the browser"):
        _run(go())


@pytest.mark.slow
def test_a_declined_consent_ends_the_flow(make_sandbox: MakeSandbox) -> None:
    consenting = make_sandbox("--prospects", "5", "--mint-interval", "0")

    async def go() -> httpx.Response:
        flow = SignInFlow(_profile(consenting), CLIENT_SECRET)
        url = await flow.start()
        form = dict(httpx.URL(url).params)
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
            page = await browser.post(
                f"{consenting.origin}/oauth/authorize", data={**form, "decision": "deny"}
            )
        with pytest.raises(SignInError, match="declined"):
            await flow.finish()
        return page

    page = _run(go())
    assert "Not signed in" in page.text


def test_a_wrong_client_secret_asks_to_check_the_profile(server: SandboxServer) -> None:
    async def go() -> None:
        flow = SignInFlow(_profile(server), "wrong-secret")
        await _browse(await flow.start())
        await flow.finish()

    with pytest.raises(e.SignInRequired, match="check the profile"):
        _run(go())


def _signed_in(server: SandboxServer, clock: Clock, **kw: Any) -> tuple[OAuthToken, MemoryStore]:
    profile = _profile(server)
    store = _store(profile)
    tokens, _ = _run(_sign_in(profile, now=clock))
    source = OAuthToken(profile, store, None, now=clock, **kw)
    source.replace(tokens)
    return source, store


def _with_client(source: OAuthToken, transport: Recorder, use: Any) -> Any:
    async def go() -> Any:
        client = OutreachClient(
            source.profile.api_base_url, source, transport=transport, retry=RetryPolicy(1)
        )
        try:
            return await use(client)
        finally:
            await client.aclose()

    return _run(go())


def test_the_token_is_refreshed_before_it_expires(server: SandboxServer) -> None:
    clock = Clock()
    source, store = _signed_in(server, clock)
    first = source.tokens
    assert first is not None
    clock.t += 7200 - 60  # one minute left: under the refresh margin
    recorder = Recorder()
    user = _with_client(source, recorder, lambda c: c.current_user())
    assert user.id == 1
    assert recorder.statuses == [200]  # no 401 was needed
    assert source.mints == 1
    assert source.tokens is not None
    assert source.tokens.refresh_token != first.refresh_token
    assert TokenSet.loads(store.get(source.profile.tokens_key) or "") == source.tokens
    assert "token valid 120 min" in source.health()


def test_a_worker_threads_client_asks_the_windows_loop_only_to_refresh(
    server: SandboxServer,
) -> None:
    """The sender's client (another thread, another loop) sends a token far from expiring
    without asking the window's loop — which may be busy, here not running at all — and has
    the token refreshed there, where the sign-in lives, once it is about to expire."""
    clock = Clock()
    source, _store = _signed_in(server, clock)
    refreshed_on: list[asyncio.AbstractEventLoop] = []
    refresh = source._refresh

    async def recorded(tokens: TokenSet) -> TokenSet:
        refreshed_on.append(asyncio.get_running_loop())
        return await refresh(tokens)

    source._refresh = recorded  # type: ignore[method-assign]
    window = LoopThread("window")  # the window's loop, not running yet

    async def worker() -> int:
        async with asyncio.timeout(5):
            client = OutreachClient(
                source.profile.api_base_url, on_loop(source, window_loop), retry=RetryPolicy(1)
            )
            try:
                return (await client.current_user()).id
            finally:
                await client.aclose()

    window_loop = asyncio.new_event_loop()
    try:
        assert _run(worker()) == 1  # fresh: answered with the window's loop standing still
        assert (refreshed_on, source.mints) == ([], 0)
    finally:
        window_loop.close()
    window.start()
    try:
        window_loop = window.loop
        clock.t += 7200 - 60  # one minute left: under the refresh margin
        assert _run(worker()) == 1
        assert (refreshed_on, source.mints) == ([window.loop], 1)
    finally:
        window.stop()


def test_a_401_refreshes_once_and_repeats_the_request(server: SandboxServer) -> None:
    clock = Clock()
    source, store = _signed_in(server, clock, mint_interval=0)
    old = source.tokens
    assert old is not None
    server.admin("tokens/expire", method="POST")
    recorder = Recorder()
    user = _with_client(source, recorder, lambda c: c.current_user())
    assert user.id == 1
    assert recorder.statuses == [401, 200]
    assert source.mints == 1
    # rotation: the old refresh token is spent, the saved one is the new one
    with httpx.Client(timeout=10) as web:
        spent = web.post(
            f"{server.origin}/oauth/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": old.refresh_token,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
            },
        )
    assert spent.json()["error"] == "invalid_grant"
    saved = TokenSet.loads(store.get(source.profile.tokens_key) or "")
    assert saved is not None
    assert saved.refresh_token != old.refresh_token


def test_at_most_one_mint_a_minute(server: SandboxServer) -> None:
    clock = Clock()
    source, _ = _signed_in(server, clock)
    clock.t += 10
    server.admin("tokens/expire", method="POST")
    recorder = Recorder()
    with pytest.raises(e.RateLimited) as info:
        _with_client(source, recorder, lambda c: c.current_user())
    assert info.value.retry_after == pytest.approx(50)
    assert source.mints == 0
    clock.t += 50
    assert _with_client(source, recorder, lambda c: c.current_user()).id == 1
    assert source.mints == 1
    assert recorder.statuses == [401, 401, 200]
    # a still-valid token within the minute after a mint is used as it is
    assert source.tokens is not None
    clock.t = source.tokens.expires_at - 60
    source.tokens = dataclasses.replace(source.tokens, minted_at=clock.t - 1)
    assert _with_client(source, recorder, lambda c: c.current_user()).id == 1
    assert source.mints == 1


def test_the_servers_mint_limit_is_a_clear_rate_limit(make_sandbox: MakeSandbox) -> None:
    limited = make_sandbox("--prospects", "5", "--auto-approve")  # one mint a minute
    clock = Clock()
    source, _ = _signed_in(limited, clock, mint_interval=0)
    limited.admin("tokens/expire", method="POST")
    with pytest.raises(e.RateLimited) as info:
        _with_client(source, Recorder(), lambda c: c.current_user())
    assert info.value.retry_after is not None
    assert source.tokens is not None  # still signed in: only wait


def test_a_revoked_refresh_token_asks_to_sign_in_again(server: SandboxServer) -> None:
    clock = Clock()
    source, store = _signed_in(server, clock, mint_interval=0)
    server.admin("tokens/revoke-refresh", method="POST")
    server.admin("tokens/expire", method="POST")
    with pytest.raises(e.SignInRequired) as info:
        _with_client(source, Recorder(), lambda c: c.current_user())
    assert isinstance(info.value, e.Unauthorized)
    assert "Sign in again" in info.value.message
    assert source.tokens is None
    assert store.get(source.profile.tokens_key) is None
    assert source.health() == "Sign in again"
    with pytest.raises(e.SignInRequired):
        _with_client(source, Recorder(), lambda c: c.current_user())


def test_sign_out_forgets_everything(server: SandboxServer) -> None:
    source, store = _signed_in(server, Clock())
    source.forget()
    assert store.keys() == [source.profile.secret_key]
    loaded = OAuthToken.load(source.profile, store)
    assert loaded.tokens is None


def test_a_redirect_without_a_code_and_a_late_second_one_are_answered(
    server: SandboxServer,
) -> None:
    async def go() -> tuple[httpx.Response, httpx.Response, BaseException]:
        flow = SignInFlow(_profile(server), CLIENT_SECRET, timeout=5)
        await flow.start()
        # a client that connects and leaves without a request does not end the sign-in
        _reader, writer = await asyncio.open_connection(
            "127.0.0.1", int(flow.redirect_uri.split(":")[2].split("/")[0])
        )
        writer.close()
        await writer.wait_closed()
        first = await _browse(f"{flow.redirect_uri}?state={flow.state}")
        second = await _browse(f"{flow.redirect_uri}?state={flow.state}&code=x")
        with pytest.raises(SignInError) as info:
            await flow.finish()
        return first, second, info.value

    first, second, error = _run(go())
    assert first.status_code == 400
    assert "without a code" in first.text
    assert second.status_code == 400
    assert "already ended" in second.text
    assert "without a code" in str(error)


def test_finish_before_start_is_a_programming_error(server: SandboxServer) -> None:
    with pytest.raises(RuntimeError, match="start"):
        _run(SignInFlow(_profile(server), CLIENT_SECRET).finish())


def test_a_token_that_needs_no_refresh_is_read_without_the_other_loop() -> None:
    """Any source through `OnLoop`: a token that cannot expire is read on the asking loop at
    once; the window's loop (here never running) is not asked."""
    window_loop = asyncio.new_event_loop()
    try:
        static = StaticToken("demo-token")
        assert static.fresh_token() == "demo-token"
        across = OnLoop(static, window_loop)
        assert across.fresh_token() == "demo-token"
        assert asyncio.run(asyncio.wait_for(across.access_token(), 5)) == "demo-token"
    finally:
        window_loop.close()
