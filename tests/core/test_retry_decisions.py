"""Retry decisions and header readings: one vocabulary for reads and the sender, every clamp.

Generated inputs where the input is a server's: any header text gives a finite wait within the
bounds, or "not said"; any decision's delay is finite and within the ceiling.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach import headers as h
from dialer_app.core.outreach.retry import (
    GIVE_UP,
    NO_RETRY,
    Backoff,
    Chain,
    Decision,
    RetryRateLimited,
    RetryServerErrors,
    RetryTransport,
    RetryUnreadable,
    fate_unknown,
    finite_delay,
    read_policy,
    send_policy,
)

NOW = 1_900_000_000.0


# -- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        (" 5 ", 5.0),
        ("0", 1.0),
        ("-5", 1.0),
        ("nan", None),
        ("NaN", None),
        ("inf", 900.0),
        ("-inf", 1.0),
        ("1e12", 900.0),
        ("1e400", 900.0),
        ("soon", None),
        ("", None),
        (None, None),
        ("9" * 500, None),  # too long to be read at all
    ],
)
def test_retry_after_in_seconds_is_clamped(value: str | None, seconds: float | None) -> None:
    assert h.retry_after(value, NOW) == seconds


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    now = datetime(2030, 3, 2, 15, 0, tzinfo=UTC)
    later = format_datetime(now + timedelta(seconds=120), usegmt=True)
    earlier = format_datetime(now - timedelta(hours=3), usegmt=True)
    far = format_datetime(now + timedelta(days=400), usegmt=True)
    assert h.retry_after(later, now.timestamp()) == pytest.approx(120)
    assert h.retry_after(earlier, now.timestamp()) == h.RETRY_AFTER_FLOOR
    assert h.retry_after(far, now.timestamp()) == h.RETRY_CEILING
    assert h.retry_after("Sun, 06 Nov 1994 08:49:37", now.timestamp()) == h.RETRY_AFTER_FLOOR
    assert h.retry_after("Mon, 99 Foo 99999 99:99:99 GMT", now.timestamp()) is None


@given(st.one_of(st.text(max_size=60), st.floats(allow_nan=True).map(repr), st.none()))
def test_any_retry_after_is_a_bounded_wait_or_nothing(value: str | None) -> None:
    seconds = h.retry_after(value, NOW)
    assert seconds is None or h.RETRY_AFTER_FLOOR <= seconds <= h.RETRY_CEILING


# -- the rate budget's headers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "offset"),
    [
        ("99999999999999999", h.RESET_CEILING),
        ("inf", h.RESET_CEILING),
        ("-5", 0.0),
        ("0", 0.0),
        (str(NOW + 90), 90.0),
        (f"{NOW + 90}, 12", 90.0),
        ("nan", None),
        ("later", None),
    ],
)
def test_the_reset_is_clamped_within_the_hour(value: str, offset: float | None) -> None:
    reset = h.reset_at(value, NOW)
    if offset is None:
        assert reset is None
    else:
        assert reset is not None
        assert reset.timestamp() - NOW == pytest.approx(offset)


def test_a_clock_out_of_range_gives_no_reset() -> None:
    assert h.reset_at("5", 1e300) is None


@given(st.text(max_size=40), st.text(max_size=40), st.text(max_size=40))
def test_any_rate_headers_read_without_raising(limit: str, remaining: str, reset: str) -> None:
    got_limit, got_remaining, got_reset = h.rate_headers(
        {
            "X-RateLimit-Limit": limit,
            "X-RateLimit-Remaining": remaining,
            "X-RateLimit-Reset": reset,
        },
        NOW,
    )
    for count in (got_limit, got_remaining):
        assert count is None or 0 <= count <= h.COUNT_CEILING
    assert got_reset is None or NOW <= got_reset.timestamp() <= NOW + h.RESET_CEILING


def test_the_smallest_remaining_binds_and_odd_counts_clamp() -> None:
    assert h.smallest_count("9999, 19988") == 9999
    assert h.smallest_count("oops, 17") == 17
    assert h.smallest_count("x, y") is None
    assert h.first_count("1e30") == h.COUNT_CEILING
    assert h.first_count("-4") == 0
    assert h.first_count("nan") is None


# -- decisions -------------------------------------------------------------------------------


def _server(status: int, retry_after: float | None = None) -> e.ServerError:
    return e.ServerError("x", status=status, retry_after=retry_after)


def test_backoff_grows_within_its_floor_and_cap() -> None:
    rng = random.Random(3)
    b = Backoff(base=1, cap=300, floor=0.2)
    for attempt in (1, 2, 5, 9, 10_000):
        delay = b.delay(attempt, rng)
        assert max(0.2, min(300, 2 ** (attempt - 1)) / 2) <= delay <= min(300, 2 ** (attempt - 1))
    assert Backoff(0, 0, 0).delay(7, rng) == 0


def test_a_chain_takes_the_first_policy_that_retries() -> None:
    def never(err: e.OutreachError, attempt: int) -> Decision:
        return GIVE_UP

    def always(err: e.OutreachError, attempt: int) -> Decision:
        return Decision(True, 3.0, "always")

    assert Chain(never, always)(e.ConnectError("x"), 1) == Decision(True, 3.0, "always")
    assert Chain(never)(e.ConnectError("x"), 1) == GIVE_UP
    assert NO_RETRY(_server(500), 1) == GIVE_UP


def test_reads_try_three_times_and_honour_a_short_retry_after() -> None:
    policy = read_policy(rng=random.Random(1))
    assert policy(_server(503, 2.0), 1).delay == 2.0
    assert policy(_server(500), 2).retry
    assert not policy(_server(500), 3).retry  # the third try was the last
    assert policy(e.RequestTimeout("slow"), 1).retry
    assert not policy(e.NotFound("gone", status=404), 1).retry
    assert not policy(e.MalformedResponse("odd"), 1).retry


def test_reads_give_up_rather_than_wait_long() -> None:
    policy = read_policy(rng=random.Random(1), clock=lambda: NOW)
    assert not policy(_server(503, 600.0), 1).retry
    reset = datetime.fromtimestamp(NOW + 1800, UTC)
    assert not policy(e.RateLimited("x", status=429, reset_at=reset), 1).retry
    soon = datetime.fromtimestamp(NOW + 3, UTC)
    assert policy(e.RateLimited("x", status=429, reset_at=soon), 1) == Decision(
        True, pytest.approx(3.0), "request limit reached"
    )


def test_the_sender_waits_for_the_reset_then_the_retry_after_then_a_minute() -> None:
    policy = send_policy(Backoff(0, 0, 0), rng=random.Random(1), clock=lambda: NOW)
    reset = datetime.fromtimestamp(NOW + 120, UTC)
    assert policy(e.RateLimited("x", status=429, reset_at=reset), 1).delay == pytest.approx(120)
    assert policy(e.RateLimited("x", status=429, retry_after=7.0), 1).delay == 7.0
    assert policy(e.RateLimited("x", status=429), 1).delay == 60.0
    passed = datetime.fromtimestamp(NOW - 50, UTC)
    assert policy(e.RateLimited("x", status=429, reset_at=passed), 1).delay == 1.0


def test_the_sender_retries_everything_that_may_pass_and_nothing_else() -> None:
    policy = send_policy(rng=random.Random(2))
    for err in (
        _server(500),
        _server(503, 5.0),
        e.RateLimited("x", status=429),
        e.ConnectError("x"),
        e.ConnectionDropped("x"),
        e.RequestTimeout("x"),
        e.TlsError("x"),
        e.MalformedResponse("x"),
        e.ResponseTooLarge("x"),
        e.HttpError("x", status=408),
        e.HttpError("x", status=425, retry_after=30.0),
    ):
        assert policy(err, 50).retry, err
    for err in (
        e.ValidationFailed("x", status=422, errors=[], field_errors=[]),
        e.Forbidden("x", status=403),
        e.HttpError("x", status=302),
        e.HttpError("x", status=999),
        e.ForeignLink("x"),
        e.Unauthorized("x", status=401),
    ):
        assert not policy(err, 1).retry, err
    assert not RetryServerErrors()(_server(999), 1).retry
    assert not RetryUnreadable()(e.ForeignLink("x"), 1).retry
    assert not RetryTransport()(_server(500), 1).retry
    assert not RetryRateLimited()(_server(500), 1).retry


@given(
    attempt=st.integers(min_value=1, max_value=10**9),
    server_wait=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
)
def test_every_sender_wait_is_finite_and_within_the_ceiling(
    attempt: int, server_wait: float | None
) -> None:
    policy = send_policy(rng=random.Random(attempt), clock=lambda: NOW)
    for err in (_server(503, server_wait), e.RateLimited("x", status=429, retry_after=server_wait)):
        decision = policy(err, attempt)
        assert decision.retry
        assert math.isfinite(decision.delay)
        assert 0 <= decision.delay <= h.RETRY_CEILING
        if server_wait is not None and not math.isnan(server_wait):
            assert decision.delay >= min(max(server_wait, h.RETRY_AFTER_FLOOR), h.RETRY_CEILING)


def test_a_wait_is_stored_finite() -> None:
    assert finite_delay(float("nan")) == h.RETRY_CEILING
    assert finite_delay(float("inf")) == h.RETRY_CEILING
    assert finite_delay(float("-inf")) == 0
    assert finite_delay(-3) == 0
    assert finite_delay(12.5) == 12.5


@pytest.mark.parametrize(
    ("err", "unknown"),
    [
        (e.ConnectError("refused"), False),
        (e.TlsError("cert"), False),
        (e.ConnectionDropped("dropped"), True),
        (e.RequestTimeout("slow"), True),
        (_server(500), True),
        (_server(503), False),
        (e.RateLimited("x", status=429), False),
        (e.ValidationFailed("x", status=422, errors=[], field_errors=[]), False),
        (e.MalformedResponse("odd"), True),
        (e.ResponseTooLarge("big"), True),
        (e.ForeignLink("elsewhere"), False),
    ],
)
def test_which_failed_posts_may_still_have_been_stored(err: e.OutreachError, unknown: bool) -> None:
    assert fate_unknown(err) is unknown
