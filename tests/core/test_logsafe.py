"""No log line holds a token, a client secret or a full phone number — even httpx's own."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

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


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ("dialing (415) 555-0123 now", "555-0123"),
        ("callback 020 7946 0000 later", "7946 0000"),
        ("le 01 99 00 12 34 ce soir", "99 00 12"),
        ("number 415.555.0123", "555.0123"),
        ("number 415-555-0123.", "555-0123"),
        ("GET /prospects?filter[emails]=jane%40acme.com&page[size]=5", "jane"),
        ("matched jane.doe+crm@acme.co.uk by email", "jane.doe"),
        ("q=(415)%20555-0123&x=1", "555-0123"),
    ],
)
def test_national_numbers_and_emails_are_hidden(line: str, hidden: str) -> None:
    out = redact(line)
    assert hidden not in out
    assert out.count("[hidden]") + out.count("*") >= 1


def _national_examples() -> list[str]:
    """Every region's example numbers, as its people write them (7 digits or more)."""
    import phonenumbers
    from phonenumbers import PhoneNumberFormat, PhoneNumberType

    out = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                text = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
                if sum(ch.isdigit() for ch in text) >= 7:
                    out.add(text)
    return sorted(out)


def test_every_regions_national_numbers_are_masked_but_their_last_two_digits() -> None:
    examples = _national_examples()
    assert len(examples) > 300
    for number in examples:
        out = redact(f"2026-11-29 20:30:00,123 INFO dialing {number} for prospect 42")
        kept = [ch for ch in out.split("dialing ", 1)[1].split(" for", 1)[0] if ch.isdigit()]
        assert kept == [ch for ch in number if ch.isdigit()][-2:], (number, out)
        assert out.startswith("2026-11-29 20:30:00,123 INFO dialing ")
        assert out.endswith(" for prospect 42")


@given(
    when=st.datetimes(dt.datetime(1970, 1, 1), dt.datetime(2200, 1, 1)),
    version=st.lists(st.integers(0, 99), min_size=2, max_size=4).map(
        lambda parts: ".".join(map(str, parts))
    ),
    ip=st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    port=st.integers(1, 65535),
    ident=st.integers(0, 10**12),
    seconds=st.floats(0, 1000, allow_nan=False).map(lambda f: f"{f:.6f}"),
    uuid=st.uuids().map(str),
)
def test_timestamps_versions_addresses_ports_ids_and_durations_are_kept(
    when: object,
    version: str,
    ip: str,
    port: int,
    ident: int,
    seconds: str,
    uuid: str,
) -> None:
    assert isinstance(when, dt.datetime)
    line = (
        f"{when:%Y-%m-%d %H:%M:%S},123 {when.isoformat()} INFO dialer_app {version}: "
        f"GET http://{ip}:{port}/api/v2/prospects/{ident} took {seconds} s "
        f"vendorCallId={uuid} (call {ident % 100_000})"
    )
    assert redact(line) == line


def test_a_uuid_whose_first_groups_are_all_digits_is_kept() -> None:
    for line in (
        "vendorCallId=30433819-7096-d20f-5b9f-ff555504a5dd",
        "vendorCallId=30433819-7096-4a0f-8b9f-ff555504a5dd",
    ):
        assert redact(line) == line
    assert redact("call 0301 234567-x") != "call 0301 234567-x"  # a number before "-x" is not
