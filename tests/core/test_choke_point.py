"""The client's choke point against a hostile server on 127.0.0.1: every limit holds.

Each test serves one kind of bad answer over real HTTP (`tests/support/hostile.py`) and checks
what the rep would notice: an error of the tree with a plain message, never a hang, a crash, a
gigabyte of memory, a loop of requests, or the token sent somewhere else.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import resource
import ssl
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core.calls import NewCall
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.auth import BearerAuth, StaticToken, origin_of
from dialer_app.core.outreach.client import OutreachClient
from dialer_app.core.outreach.guard import Limits, parse_json
from dialer_app.core.outreach.retry import NO_RETRY
from tests.support.hostile import HostileServer, Reply, Seen, gzip_bomb, nested

TOKEN = "secret-token-123"


def _json(doc: object, status: int = 200, **kw: Any) -> Reply:
    return Reply(
        status, [("Content-Type", "application/vnd.api+json")], json.dumps(doc).encode(), **kw
    )


def _run(server: HostileServer, use: Callable[[OutreachClient], Any], **kw: Any) -> Any:
    async def go() -> Any:
        client = OutreachClient(server.url("/api/v2"), StaticToken(TOKEN), **kw)
        try:
            return await use(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _fails(server: HostileServer, use: Callable[[OutreachClient], Any], **kw: Any) -> Exception:
    kw.setdefault("retry", NO_RETRY)
    with pytest.raises(e.OutreachError) as info:
        _run(server, use, **kw)
    return info.value


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- the whole-request deadline ---------------------------------------------------------------


def test_a_body_dripped_a_byte_at_a_time_ends_at_the_deadline() -> None:
    body = json.dumps({"meta": {"user": {"id": 1, "email": "a@b.c"}}}).encode()
    # Each byte comes well within a read timeout; the whole body would take 2 s.
    with HostileServer(Reply(200, [], body, drip=2.0 / len(body))) as server:
        err = _fails(server, lambda c: c.current_user(), timeout=0.4)
    assert isinstance(err, e.RequestTimeout)
    assert "0.4 s" in err.message


def test_a_chunked_drip_ends_at_the_deadline_too() -> None:
    body = b'{"data": []}' + b" " * 40
    with HostileServer(Reply(200, [], body, drip=0.05, chunked=True)) as server:
        err = _fails(server, lambda c: c.read("/calls"), timeout=0.3)
    assert isinstance(err, e.RequestTimeout)


# -- the body cap, decompressed ---------------------------------------------------------------


def test_a_gzip_bomb_stops_at_the_cap_without_growing_the_process() -> None:
    bomb = gzip_bomb(300)  # 300 MiB of zeros in about 300 KiB
    assert len(bomb) < 400 * 1024
    before = _peak_rss_mib()
    with HostileServer(Reply(200, [("Content-Encoding", "gzip")], bomb)) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert isinstance(err, e.ResponseTooLarge)
    assert _peak_rss_mib() - before < 64  # the answer was never held whole (it was 300 MiB)


def test_a_bomb_behind_a_401_is_bounded_too() -> None:
    """httpx reads a 401 by itself before the replay: that read passes the cap as well."""

    class Refreshing:
        async def access_token(self) -> str:
            return TOKEN

        async def refresh_after_rejection(self, rejected: str) -> bool:
            return True

        def fresh_token(self) -> str | None:
            return None

    bomb = gzip_bomb(100)
    with (
        HostileServer(Reply(401, [("Content-Encoding", "gzip")], bomb)) as server,
        pytest.raises(e.ResponseTooLarge),
    ):
        asyncio.run(_with_source(server, Refreshing()))


async def _with_source(server: HostileServer, source: Any) -> Any:
    client = OutreachClient(server.url("/api/v2"), source, retry=NO_RETRY)
    try:
        return await client.read("/calls")
    finally:
        await client.aclose()


def test_a_plain_body_over_the_cap_is_refused() -> None:
    body = b'{"data": [], "meta": {"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    with HostileServer(Reply(200, [], body)) as server:
        err = _fails(server, lambda c: c.read("/calls"), limits=Limits(max_body=1024 * 1024))
    assert isinstance(err, e.ResponseTooLarge)
    assert "1 MiB" in err.message


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data)[2:-4]),  # raw deflate, as some servers send
        ("gzip, gzip", lambda data: gzip.compress(gzip.compress(data))),
        ("identity", lambda data: data),
    ],
)
def test_compressed_answers_are_read(coding: str, encode: Callable[[bytes], bytes]) -> None:
    doc = {"data": [{"type": "call", "id": 3, "attributes": {}}]}
    reply = Reply(200, [("Content-Encoding", coding)], encode(json.dumps(doc).encode()))
    with HostileServer(reply) as server:
        got = _run(server, lambda c: c.read("/calls"))
        assert server.seen()[0].headers["accept-encoding"] == "gzip, deflate"
    assert [r.id for r in got.resources()] == [3]


@pytest.mark.parametrize(
    ("headers", "body", "words"),
    [
        ([("Content-Encoding", "br")], b"\x0b\x02\x80{}\x03", "did not ask for"),
        ([("Content-Encoding", "gzip")], b"\x1f\x8b\x08\x00garbage-not-deflate", "damaged"),
        ([("Content-Encoding", "deflate")], b"\xff\xfe\xfd\xfc", "damaged"),
        ([("Content-Encoding", "gzip, gzip, gzip")], b"", "over and over"),
    ],
)
def test_odd_encodings_are_malformed_answers(
    headers: list[tuple[str, str]], body: bytes, words: str
) -> None:
    with HostileServer(Reply(200, headers, body)) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert type(err) is e.MalformedResponse
    assert words in err.message


# -- JSON: strict, depth-limited --------------------------------------------------------------


@pytest.mark.parametrize("depth", [65, 5_000, 200_000])
def test_deeply_nested_json_is_malformed_never_a_recursion_error(depth: int) -> None:
    with HostileServer(Reply(200, [], nested(depth))) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert type(err) is e.MalformedResponse
    assert "nested deeper than 64" in err.message


def test_deep_json_in_an_error_answer_still_maps_to_its_status() -> None:
    with HostileServer(Reply(503, [], nested(100_000))) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert isinstance(err, e.ServerError)
    assert err.errors == []


def test_json_within_the_depth_limit_is_read() -> None:
    assert parse_json(b"[" * 64 + b"]" * 64, 64) == _nest(64)
    with pytest.raises(e.MalformedResponse):
        parse_json(b"[" * 65 + b"]" * 65, 64)
    assert parse_json(b"3", 1) == 3


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3)
    ),
    max_leaves=40,
)


def _depth(value: Any) -> int:
    """How deep objects and arrays nest in `value` (the definition, recursively)."""
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(_json_values, st.integers(min_value=1, max_value=8))
def test_the_depth_limit_holds_for_any_json(value: Any, limit: int) -> None:
    raw = json.dumps(value).encode()
    if _depth(value) > limit:
        with pytest.raises(e.MalformedResponse, match=f"nested deeper than {limit}"):
            parse_json(raw, limit)
    else:
        assert parse_json(raw, limit) == value


def _nest(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    "body",
    [b'{"data": NaN}', b'{"data": [], "meta": {"x": -Infinity}}', b"\xff\xfe{}", b"1" * 5000],
)
def test_what_is_not_strict_json_is_malformed(body: bytes) -> None:
    with HostileServer(Reply(200, [], body)) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert type(err) is e.MalformedResponse


def test_a_malformed_include_linkage_is_a_plain_message() -> None:
    doc = {
        "data": [
            {
                "type": "phoneNumber",
                "id": 1,
                "attributes": {"number": "+14155550123"},
                "relationships": {"prospect": {"data": {"type": "prospect", "id": "NaN"}}},
            }
        ],
        "included": [],
    }
    with HostileServer(_json(doc)) as server:
        err = _fails(server, lambda c: c.search("(415) 555-0123"))
    assert type(err) is e.MalformedResponse
    assert "phoneNumber 1" in err.message
    assert "prospect" in err.message
    assert "\n" not in err.message
    assert "pydantic" not in err.message
    assert "NaN" not in err.message  # the server's data is not echoed to the rep


def test_a_resource_of_the_wrong_shape_is_a_plain_message() -> None:
    with HostileServer(_json({"data": [{"type": "call", "id": "7"}]})) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert type(err) is e.MalformedResponse
    assert err.message.startswith("Outreach sent an answer this app cannot read (data.")
    assert "\n" not in err.message


# -- headers, read without ever raising ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reset_within"),
    [
        ({"X-RateLimit-Reset": "99999999999999999"}, (3599, 3601)),
        ({"X-RateLimit-Reset": "nan"}, None),
        ({"X-RateLimit-Reset": "-5"}, (-1, 1)),
        ({"X-RateLimit-Reset": "inf"}, (3599, 3601)),
        ({"X-RateLimit-Reset": "soon"}, None),
    ],
)
def test_odd_reset_headers_are_clamped_on_every_answer(
    headers: dict[str, str], reset_within: tuple[int, int] | None
) -> None:
    now = 1_900_000_000.0
    answer = _json({"data": []})
    reply = Reply(200, [*answer.headers, *headers.items()], answer.body)
    with HostileServer(reply) as server:
        client_budget = _run(server, lambda c: _read_then_budget(c), clock=lambda: now)
    reset = client_budget.reset_at
    if reset_within is None:
        assert reset is None
    else:
        assert reset is not None
        assert reset_within[0] <= reset.timestamp() - now <= reset_within[1]


async def _read_then_budget(client: OutreachClient) -> Any:
    await client.read("/calls")
    return client.budget


@pytest.mark.parametrize(
    ("value", "expected"),
    [("nan", None), ("-5", 1.0), ("inf", 900.0), ("1e12", 900.0), ("30", 30.0), ("", None)],
)
def test_retry_after_reaches_the_error_clamped(value: str, expected: float | None) -> None:
    reply = Reply(503, [("Retry-After", value)], b"")
    with HostileServer(reply) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert isinstance(err, e.ServerError)
    assert err.retry_after == expected


def test_a_429_with_a_nan_reset_is_a_rate_limit_without_a_reset() -> None:
    reply = Reply(
        429, [("X-RateLimit-Reset", "nan"), ("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]
    )
    with HostileServer(reply) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert isinstance(err, e.RateLimited)
    assert err.reset_at is None
    assert err.retry_after == 1.0  # a date in the past: the floor


def test_rate_limit_numbers_that_are_not_numbers_are_ignored() -> None:
    answer = _json({"data": []})
    odd = [("X-RateLimit-Limit", "nan"), ("X-RateLimit-Remaining", "inf, 7, -3, x")]
    with HostileServer(Reply(200, [*answer.headers, *odd], answer.body)) as server:
        budget = _run(server, _read_then_budget)
    assert budget.limit is None
    assert budget.remaining == 0  # -3 clamps to 0: the smallest binds


# -- pagination and the token's reach ---------------------------------------------------------


def _page(ids: list[int], next_url: str | None) -> Reply:
    data = [{"type": "callDisposition", "id": i, "attributes": {"name": f"d{i}"}} for i in ids]
    return _json({"data": data, "links": {"next": next_url} if next_url else {}})


def test_a_next_link_to_the_same_page_ends_the_list() -> None:
    with HostileServer() as server:
        server.answer = lambda seen: _page([1, 2], server.url(seen.target))
        got = _run(server, lambda c: c.dispositions())
        assert len(server.seen()) == 1
    assert [d.id for d in got] == [1, 2]


def test_next_links_that_loop_between_pages_end_the_list(caplog: pytest.LogCaptureFixture) -> None:
    def answer(seen: Seen) -> Reply:
        back = "page%5Bafter%5D=b" if "page%5Bafter%5D=a" in seen.target else "page%5Bafter%5D=a"
        return _page([len(seen.target)], server.url(f"/api/v2/callDispositions?{back}"))

    with HostileServer() as server, caplog.at_level(logging.WARNING):
        server.answer = answer
        _run(server, lambda c: c.dispositions())
        assert len(server.seen()) == 3  # the first page, a, b; then a again is refused
    assert "already read" in caplog.text


def test_endless_next_links_stop_after_the_page_limit() -> None:
    with HostileServer() as server:
        server.answer = lambda seen: _page(
            [len(server.seen())], server.url(f"/api/v2/callDispositions?n={len(server.seen())}")
        )
        got = _run(server, lambda c: c.dispositions(), limits=Limits(max_pages=7))
        assert len(server.seen()) == 7
    assert len(got) == 7


def test_a_relative_next_link_is_followed_on_the_same_origin() -> None:
    def answer(seen: Seen) -> Reply:
        if "after=2" in seen.target:
            return _page([3], None)
        return _page([1, 2], "callDispositions?after=2")

    with HostileServer(answer) as server:
        got = _run(server, lambda c: c.dispositions())
    assert [d.id for d in got] == [1, 2, 3]


@pytest.mark.parametrize(
    "where",
    [
        "{other}/api/v2/callDispositions?page=2",  # another port
        "https://127.0.0.1:{port}/api/v2/callDispositions",  # another scheme
        "http://localhost:{port}/api/v2/callDispositions",  # another host name
        "{api}/../../oauth/token",  # outside the API
    ],
)
def test_a_next_link_off_the_api_origin_is_refused_and_never_reached(where: str) -> None:
    with HostileServer() as api, HostileServer(_page([9], None)) as other:
        link = where.format(other=other.origin, port=api.port, api=api.url("/api/v2"))
        api.answer = _page([1], link)
        err = _fails(api, lambda c: c.dispositions())
        assert other.seen() == []
        assert len(api.seen()) == 1
    assert isinstance(err, e.ForeignLink | e.MalformedResponse)


def test_a_redirect_is_an_error_and_is_not_followed() -> None:
    with HostileServer(_page([9], None)) as other, HostileServer() as api:
        api.answer = Reply(302, [("Location", other.url("/api/v2/calls"))])
        err = _fails(api, lambda c: c.read("/calls"))
        assert other.seen() == []
    assert isinstance(err, e.HttpError)
    assert "redirect" in err.message


def test_the_token_goes_to_the_api_origin_only() -> None:
    async def go(api: HostileServer, other: HostileServer) -> None:
        auth = BearerAuth(StaticToken(TOKEN), origin_of(httpx.URL(api.origin)))
        async with httpx.AsyncClient(auth=auth) as http:
            await http.get(api.url("/api/v2/calls"))
            await http.get(other.url("/x"), headers={"Authorization": f"Bearer {TOKEN}"})
            await http.get(f"http://localhost:{api.port}/api/v2/calls")

    with HostileServer(Reply(200)) as api, HostileServer(Reply(200)) as other:
        asyncio.run(go(api, other))
        sent = [s.headers.get("authorization") for s in api.seen()]
        assert other.seen()[0].headers.get("authorization") is None
    assert sent == [f"Bearer {TOKEN}", None]  # localhost is another origin than 127.0.0.1


def test_origins_fill_in_default_ports() -> None:
    assert origin_of(httpx.URL("https://API.example.test/x")) == ("https", "api.example.test", 443)
    assert origin_of(httpx.URL("http://a.test:8080")) == ("http", "a.test", 8080)
    assert origin_of(httpx.URL("https://a.test.:443/")) == origin_of(httpx.URL("https://a.test"))


def test_the_sync_side_of_the_auth_flow_is_refused() -> None:
    auth = BearerAuth(StaticToken(TOKEN), ("http", "127.0.0.1", 80))
    with pytest.raises(NotImplementedError):
        auth.sync_auth_flow(httpx.Request("GET", "http://127.0.0.1/"))


# -- everything else still lands in the tree --------------------------------------------------


def test_a_connection_cut_mid_body_is_a_dropped_connection() -> None:
    body = json.dumps({"data": [{"type": "call", "id": 1}]}).encode()
    with HostileServer(Reply(200, [], body, cut=5)) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert isinstance(err, e.ConnectionDropped)


def test_garbage_instead_of_http_is_a_dropped_connection() -> None:
    with HostileServer(Reply(raw=b"SSH-2.0-OpenSSH\r\n\r\n")) as server:
        err = _fails(server, lambda c: c.create_call(NewCall()))
    assert isinstance(err, e.ConnectionDropped)


def test_a_status_outside_http_is_a_plain_http_error() -> None:
    with HostileServer(Reply(999, [], b"{}")) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert type(err) is e.HttpError
    assert err.status == 999


def test_a_link_that_is_no_url_is_malformed() -> None:
    with HostileServer(_page([1], "http://[::1")) as server:
        err = _fails(server, lambda c: c.dispositions())
    assert type(err) is e.MalformedResponse
    assert "not a URL" in err.message


def test_an_unforeseen_failure_is_logged_and_reported_in_the_tree(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise RuntimeError("a bug below the client")

    async def go() -> None:
        client = OutreachClient(
            "https://api.example.test/api/v2", StaticToken(TOKEN), transport=Broken()
        )
        try:
            await client.read("/calls")
        finally:
            await client.aclose()

    with caplog.at_level(logging.WARNING), pytest.raises(e.MalformedResponse) as info:
        asyncio.run(go())
    assert "RuntimeError" in info.value.message
    assert "a bug below the client" in caplog.text  # the traceback is in the log


def test_a_sync_only_stream_is_refused() -> None:
    class Lines(httpx.SyncByteStream):
        def __iter__(self) -> Any:
            yield b"{}"

    class SyncOnly(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, stream=Lines())

    async def go() -> None:
        client = OutreachClient(
            "https://api.example.test/api/v2", StaticToken(TOKEN), transport=SyncOnly()
        )
        try:
            await client.read("/calls")
        finally:
            await client.aclose()

    with pytest.raises(e.MalformedResponse):
        asyncio.run(go())


def test_bytes_after_the_end_of_a_gzip_body_are_ignored() -> None:
    body = gzip.compress(json.dumps({"data": []}).encode()) + b"trailing junk"
    with HostileServer(Reply(200, [("Content-Encoding", "gzip")], body)) as server:
        got = _run(server, lambda c: c.read("/calls"))
    assert got.resources() == []


def test_a_gzip_body_damaged_half_way_is_malformed() -> None:
    whole = gzip.compress(json.dumps({"data": [], "meta": {"pad": "xy" * 300_000}}).encode())
    damaged = whole[:-8] + bytes(b ^ 0xFF for b in whole[-8:-4]) + whole[-4:]  # a wrong CRC
    with HostileServer(Reply(200, [("Content-Encoding", "gzip")], damaged)) as server:
        err = _fails(server, lambda c: c.read("/calls"))
    assert type(err) is e.MalformedResponse
    assert "damaged" in err.message


def test_an_absolute_api_url_is_read_and_a_foreign_one_refused() -> None:
    with HostileServer(_json({"data": []})) as server:
        got = _run(server, lambda c: c.read(server.url("/api/v2/calls")))
        assert got.resources() == []
        err = _fails(server, lambda c: c.read("https://elsewhere.test/api/v2/calls"))
        assert len(server.seen()) == 1
    assert isinstance(err, e.ForeignLink)
    assert "elsewhere.test" in err.message


def _pool(transport: httpx.AsyncBaseTransport) -> str:
    return type(transport._pool).__name__  # type: ignore[attr-defined]


def test_the_network_goes_through_the_proxy_the_environment_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dialer_app.core.outreach.guard import network_transport

    url = httpx.URL("https://api.example.test/api/v2")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    assert _pool(network_transport(url)) == "AsyncHTTPProxy"
    monkeypatch.setenv("NO_PROXY", "api.example.test")
    assert _pool(network_transport(url)) == "AsyncConnectionPool"

    def broken() -> dict[str, str]:
        raise OSError("the proxy settings cannot be read")

    monkeypatch.delenv("NO_PROXY")
    monkeypatch.setattr("urllib.request.getproxies", broken)
    assert _pool(network_transport(url)) == "AsyncConnectionPool"  # direct, as a browser would


def test_new_clients_share_tls_settings_that_still_verify_every_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CA certificates are read once, not again for each new client or sign-in."""
    from dialer_app.core.outreach import guard

    reads: list[object] = []
    real = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        reads.append(args or kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    guard.tls_context.cache_clear()
    url = httpx.URL("https://api.example.test/api/v2")
    contexts = {id(_tls_of(guard.network_transport(url))) for _ in range(3)}
    assert len(reads) == 1
    assert contexts == {id(guard.tls_context())}
    assert guard.tls_context().verify_mode == ssl.CERT_REQUIRED
    assert guard.tls_context().check_hostname


def _tls_of(transport: httpx.AsyncBaseTransport) -> ssl.SSLContext:
    return transport._pool._ssl_context  # type: ignore[attr-defined,no-any-return]


def test_find_call_reads_only_the_vendor_call_id_of_recent_calls() -> None:
    calls = [
        {"type": "call", "id": 1, "attributes": {"vendorCallId": "someone-else"}},
        {"type": "call", "id": 2, "attributes": {"vendorCallId": "mine", "outcome": "Maybe"}},
    ]
    with HostileServer(_json({"data": calls})) as server:
        found = _run(server, lambda c: c.find_call("mine", 5))
        missing = _run(server, lambda c: c.find_call("absent", None))
        first, second = server.seen()
    assert (found, missing) == (2, None)
    assert "filter%5Bprospect%5D%5Bid%5D=5" in first.target
    assert "fields%5Bcall%5D=vendorCallId" in first.target
    assert "filter" not in second.target  # a call without a prospect: the org's latest calls


def _number(nid: int, prospect: object) -> dict[str, Any]:
    return {
        "type": "phoneNumber",
        "id": nid,
        "attributes": {"number": "+14155550123"},
        "relationships": {"prospect": {"data": {"type": "prospect", "id": prospect}}},
    }


def test_one_unreadable_link_in_a_list_leaves_out_that_resource_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    prospects = [
        {"type": "prospect", "id": 7, "attributes": {"firstName": "Ana"}},
        {
            "type": "prospect",
            "id": 8,
            "attributes": {"firstName": "Odd"},
            "relationships": {"account": {"data": [{"type": "account", "id": "NaN"}]}},
        },
    ]
    doc = {"data": [_number(1, 7), _number(2, "NaN"), _number(3, 8)], "included": prospects}
    with HostileServer(_json(doc)) as server, caplog.at_level(logging.WARNING):
        matches = _run(server, lambda c: c.search("(415) 555-0123"))
    assert [m.prospect.id for m in matches] == [7]  # 2 is left out; 8 was not readable either
    assert "2 resource(s) with links this app cannot read" in caplog.text


def test_a_single_resource_with_an_unreadable_link_is_malformed() -> None:
    call = {
        "type": "call",
        "id": 5,
        "relationships": {"prospect": {"data": {"type": "prospect", "id": None}}},
    }
    with HostileServer(_json({"data": call})) as server:
        err = _fails(server, lambda c: c.get_call(5))
    assert type(err) is e.MalformedResponse
    assert err.message.startswith("Outreach sent a link (call 5 → prospect) this app cannot read")


def test_code_reading_links_itself_still_meets_unreadable_ones_calmly() -> None:
    from dialer_app.core.jsonapi import Resource
    from dialer_app.core.outreach.writes import linked

    odd = Resource.model_validate(_number(1, "x"))
    assert linked(odd, "prospect", "prospect") is None
