"""The hourly request budget: headers on every authenticated answer, 429 once it is spent."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.support.sandbox import SandboxServer

MakeSandbox = Callable[..., SandboxServer]


def test_rate_limit_headers_count_down_then_429(make_sandbox: MakeSandbox) -> None:
    server = make_sandbox("--prospects", "3", "--rate-limit", "3")
    with server.client() as api:
        answers = [api.get("/prospects/1"), api.get("/prospects/999"), api.get("/calls")]
        assert [a.status_code for a in answers] == [200, 404, 200]
        assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["2", "1", "0"]
        for answer in answers:
            assert answer.headers["x-ratelimit-limit"] == "3"
            reset = int(answer.headers["x-ratelimit-reset"])
            assert time.time() < reset <= time.time() + 3601
        spent = api.get("/prospects/1")
        assert spent.status_code == 429
        [error] = spent.json()["errors"]
        assert error["id"] == "rateLimitExceeded"
        assert spent.headers["x-ratelimit-remaining"] == "0"
        assert spent.headers["x-ratelimit-reset"] == answers[0].headers["x-ratelimit-reset"]
        assert 3500 <= int(spent.headers["retry-after"]) <= 3601


def test_the_default_budget_is_outreachs(sandbox: SandboxServer) -> None:
    with sandbox.client() as api:
        answer = api.get("/callDispositions")
    assert answer.headers["x-ratelimit-limit"] == "10000"
    assert int(answer.headers["x-ratelimit-remaining"]) < 10000
