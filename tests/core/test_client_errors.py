"""Every way Outreach can fail reaches the caller as one documented error, never a crash or hang.

A fake transport stands in for the network here, to pin down the mapping; the same errors are
exercised against the real sandbox over HTTP in the network tests.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken

Handler = Callable[[httpx.Request], httpx.Response]
BASE = "https://api.example.test/api/v2"


def _client(handler: Handler, **kw: object) -> tuple[OutreachClient, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    client = OutreachClient(
        BASE,
        StaticToken("tok"),
        transport=httpx.MockTransport(handler),
        sleep=sleep,
        **kw,  # type: ignore[arg-type]
    )
    return client, slept


def _run(client: OutreachClient, coro_fn: Callable[[OutreachClient], object]) -> object:
    async def go() -> object:
        try:
            return await coro_fn(client)  # type: ignore[misc]
        finally:
            await client.aclose()

    return asyncio.run(go())


def _errors(
    status: int, *errors: dict[str, object], headers: dict[str, str] | None = None
) -> Handler:
    body = json.dumps({"errors": list(errors)}).encode()
    return lambda req: httpx.Response(status, content=body, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, e.Unauthorized),
        (403, e.Forbidden),
        (404, e.NotFound),
        (415, e.UnsupportedMediaType),
        (400, e.HttpError),
    ],
)
def test_error_statuses_map_to_their_error(status: int, kind: type[e.HttpError]) -> None:
    client, _ = _client(_errors(status, {"id": "x", "title": "T", "detail": "what happened"}))
    with pytest.raises(kind) as info:
        _run(client, lambda c: c.get_call(1))
    assert info.value.status == status
    assert "what happened" in info.value.message


def test_validation_errors_name_each_field_through_the_pointer() -> None:
    client, _ = _client(
        _errors(
            422,
            {
                "id": "validationError",
                "detail": "is too long",
                "source": {"pointer": "/data/attributes/note"},
            },
            {
                "id": "validationError",
                "detail": "not found",
                "source": {"pointer": "/data/relationships/prospect"},
            },
        )
    )
    call = NewCall(
        attributes=CallAttributes(note="x"), relationships=CallRelationships.link(prospect=9)
    )
    with pytest.raises(e.ValidationFailed) as info:
        _run(client, lambda c: c.create_call(call))
    assert {(f.field, f.message) for f in info.value.field_errors} == {
        ("note", "is too long"),
        ("prospect", "not found"),
    }


def test_rate_limit_carries_the_reset_time() -> None:
    client, _ = _client(
        _errors(429, {"id": "rateLimitExceeded"}, headers={"X-RateLimit-Reset": "1900000000"}),
        clock=lambda: 1_899_998_000.0,  # the reset is half an hour away: not worth a read's wait
    )
    with pytest.raises(e.RateLimited) as info:
        _run(client, lambda c: c.get_call(1))
    assert info.value.reset_at is not None
    assert int(info.value.reset_at.timestamp()) == 1900000000


def test_reads_retry_server_errors_with_backoff_then_succeed() -> None:
    answers = iter([503, 502, 200])

    def handler(req: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status != 200:
            return httpx.Response(status, headers={"Retry-After": "2"} if status == 503 else {})
        return httpx.Response(200, json={"meta": {"user": {"id": 1, "email": "a@b.c"}}})

    client, slept = _client(handler)
    user = _run(client, lambda c: c.current_user())
    assert user.id == 1  # type: ignore[attr-defined]
    assert slept[0] == 2.0  # Retry-After honoured
    assert len(slept) == 2


def test_reads_give_up_after_the_policy_s_attempts() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(500)

    client, _ = _client(handler, retry=RetryPolicy(attempts=3))
    with pytest.raises(e.ServerError):
        _run(client, lambda c: c.get_call(1))
    assert len(calls) == 3


def test_a_post_is_never_retried_here() -> None:
    calls = []

    def handler(req: httpx.Request) -> httpx.Response:
        calls.append(req)
        return httpx.Response(503)

    client, _ = _client(handler)
    with pytest.raises(e.ServerError):
        _run(client, lambda c: c.create_call(NewCall()))
    assert len(calls) == 1
    assert calls[0].headers["Content-Type"] == "application/vnd.api+json"


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (httpx.ConnectError("refused"), e.ConnectError),
        (httpx.ReadTimeout("slow"), e.RequestTimeout),
        (httpx.RemoteProtocolError("dropped"), e.ConnectError),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]"), e.TlsError),
    ],
)
def test_transport_failures_become_transport_errors(
    exc: Exception, kind: type[e.OutreachError]
) -> None:
    def handler(req: httpx.Request) -> httpx.Response:
        raise exc

    client, _ = _client(handler, retry=RetryPolicy(attempts=1))
    with pytest.raises(kind):
        _run(client, lambda c: c.get_call(1))


@pytest.mark.parametrize(
    "body",
    [b"<html>maintenance</html>", b"[1, 2]", b'{"data": {"type": "call"}}', b'{"data": 5}'],
)
def test_malformed_answers_are_reported_not_crashed_on(body: bytes) -> None:
    client, _ = _client(lambda req: httpx.Response(200, content=body))
    with pytest.raises(e.MalformedResponse):
        _run(client, lambda c: c.get_call(1))


def test_rate_budget_tracks_the_smallest_remaining_value() -> None:
    headers = {
        "X-RateLimit-Limit": "10000",
        "X-RateLimit-Remaining": "9999, 19988",
        "X-RateLimit-Reset": "1900000000",
    }
    client, _ = _client(
        lambda req: httpx.Response(200, json={"meta": {"user": {"id": 1}}}, headers=headers)
    )
    _run(client, lambda c: c.current_user())
    assert (client.budget.limit, client.budget.remaining) == (10000, 9999)


def test_every_request_carries_the_token_and_jsonapi_accept() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json={"meta": {"user": {"id": 1}}})

    client, _ = _client(handler)
    _run(client, lambda c: c.current_user())
    assert seen[0].headers["Authorization"] == "Bearer tok"
    assert seen[0].headers["Accept"] == "application/vnd.api+json"
