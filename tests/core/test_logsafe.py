"""No log line holds a token, a client secret or a full phone number — even httpx's own."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator

import pytest

from dialer_app.core.auth.flow import SignInFlow
from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.secrets import MemoryStore
from dialer_app.core.auth.tokens import OAuthToken
from dialer_app.core.logsafe import RedactingFilter, install, redact
from dialer_app.core.outreach.client import OutreachClient
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SandboxServer


@pytest.mark.parametrize(
    ("line", "hidden", "kept"),
    [
        ("Authorization: Bearer sbx_at_abc-DEF_1", "sbx_at_abc-DEF_1", "Bearer [hidden]"),
        ("refresh_token=r1&client_secret=dialer-demo-secret", "dialer-demo-secret", "client_"),
        ('{"access_token": "a1b2c3", "scope": "x"}', "a1b2c3", '"scope": "x"'),
        ("callback?code=sbx_code_xyz&state=s7", "sbx_code_xyz", "callback?code="),
        ("filter%5Bnumber%5D=%2B14155550123&x=1", "4155550123", "+1********23"),
        ("dialing +44 20 7946 0958 now", "7946 0958", "58 now"),
        ("status_code=200 page[size]=100 prospect 42", "nothing", "status_code=200"),
    ],
)
def test_redact(line: str, hidden: str, kept: str) -> None:
    out = redact(line)
    assert hidden not in out
    assert kept in out


@pytest.fixture
def app_log() -> Iterator[io.StringIO]:
    """The root logger at DEBUG into a buffer, through the app's filter, as `run_app` sets it up."""
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install(root)
    assert any(isinstance(f, RedactingFilter) for f in handler.filters)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)


def test_a_sign_in_refresh_and_phone_lookup_leave_nothing_secret_in_the_log(
    make_sandbox: object, app_log: io.StringIO
) -> None:
    import httpx

    server: SandboxServer = make_sandbox(  # type: ignore[operator]
        "--prospects", "20", "--auto-approve", "--mint-interval", "0"
    )
    profile = Profile("sbx", "Sandbox", server.base_url, CLIENT_ID, 0)
    store = MemoryStore()
    store.set(profile.secret_key, CLIENT_SECRET)
    with server.client() as api:
        number = api.get("/phoneNumbers", params={"page[size]": 1}).json()["data"][0]
    e164 = number["attributes"]["number"]

    async def go() -> list[str]:
        flow = SignInFlow(profile, CLIENT_SECRET)
        url = await flow.start()
        async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
            await browser.get(url)
        tokens = await flow.finish()
        source = OAuthToken(profile, store, tokens, mint_interval=0)
        client = OutreachClient(profile.api_base_url, source)
        try:
            server.admin("tokens/expire", method="POST")
            await client.search(e164)  # a number lookup: 401, refresh, repeat
            assert source.tokens is not None
            assert source.mints == 1
            fresh = source.tokens
            return [
                tokens.access_token,
                tokens.refresh_token,
                fresh.access_token,
                fresh.refresh_token,
            ]
        finally:
            await client.aclose()

    secrets = asyncio.run(go())
    text = app_log.getvalue()
    assert "HTTP Request" in text  # httpx did log the requests
    assert "/oauth/token" in text
    for secret in (*secrets, CLIENT_SECRET, e164, e164[1:]):
        assert secret not in text, secret
    assert e164[-2:] in text  # the masked number keeps its last two digits
