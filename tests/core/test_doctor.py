"""`dialer-app doctor`: what it finds in each dialect, that it never writes, and odd answers."""

from __future__ import annotations

import asyncio
import hashlib
import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dialer_app import cli
from dialer_app.core.doctor import Report, run_doctor
from tests.support.dialects import Dialected
from tests.support.sandbox import SandboxServer

TABLES = (
    "users",
    "accounts",
    "prospects",
    "phone_numbers",
    "call_dispositions",
    "call_purposes",
    "sequences",
    "sequence_steps",
    "sequence_states",
    "tasks",
    "calls",
    "search_terms",
)


def _snapshot(server: SandboxServer) -> str:
    """A digest of every resource the sandbox stores (read beside the running server)."""
    digest = hashlib.sha256()
    with sqlite3.connect(f"file:{server.data_dir / 'sandbox.sqlite3'}?mode=ro", uri=True) as db:
        for table in TABLES:
            for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def _doctor(server: SandboxServer, token: str | None = None, **kw: Any) -> Report:
    return asyncio.run(run_doctor(server.base_url, token or server.token, **kw))


def _by_key(report: Report) -> dict[str, Any]:
    return {c.key: c for c in report.checks}


def test_the_doctor_reads_each_dialect_and_never_writes(dialect: Dialected) -> None:
    server = dialect.server
    before = _snapshot(server)
    report = _doctor(server)
    assert _snapshot(server) == before  # not a call, not a task, not a sequence state changed
    rows = _by_key(report)
    q = {
        "search": ("ok", "prefix search"),
        "reject": ("problem", "refused"),
        "ignore": ("problem", "ignored"),
    }[dialect["unknown_filters"]]
    assert rows["filter_q"].verdict == q[0]
    assert q[1] in rows["filter_q"].found
    case = "ignoring case" if dialect["name_filters"] == "folded" else "matching case exactly"
    assert case in rows["name_filters"].found
    assert rows["name_filters"].verdict == "ok"
    words = (
        "completed, no_answer"
        if dialect["disposition_outcomes"] == "completed"
        else "Answered, Not Answered"
    )
    assert words in rows["outcomes"].found
    assert rows["outcomes"].verdict == "ok"
    normalised = dialect["phone_match"] == "normalised"
    assert ("normalised" in rows["phone"].found) is normalised
    assert rows["phone"].verdict == "ok"
    for key in ("sign_in", "meta_user", "updated_at", "tasks", "rate", "clock"):
        assert rows[key].verdict == "ok", rows[key]
    assert all(rows[k].verdict == "ok" for k in rows if k.startswith("scope:"))
    assert rows["tls"].verdict == "unknown"  # plain HTTP to 127.0.0.1: the sandbox
    assert "Alex Morgan" in rows["meta_user"].found
    assert report.ok is (dialect["unknown_filters"] == "search")


def test_scopes_the_sign_in_lacks_are_named_with_what_they_break(make_sandbox: Any) -> None:
    server: SandboxServer = make_sandbox("--prospects", "10")
    tokens = server.sign_in(scope="prospects.read calls.read users.read")
    before = _snapshot(server)
    report = _doctor(server, tokens["access_token"])
    assert _snapshot(server) == before
    rows = _by_key(report)
    refused = {
        k.removeprefix("scope:")
        for k, c in rows.items()
        if k.startswith("scope:") and c.verdict == "problem"
    }
    assert refused == {
        "calls.write",
        "prospects.write",
        "phoneNumbers.write",
        "phoneNumbers.read",
        "callDispositions.read",
        "callPurposes.read",
        "sequenceStates.read",
        "sequences.read",
        "tasks.read",
        "tasks.write",
    }
    assert "needed for logging calls" in rows["scope:calls.write"].action
    assert rows["scope:prospects.read"].verdict == "ok"
    granted = _doctor(server, tokens["access_token"], granted_scope=tokens["scope"])
    assert "not granted at sign-in" in _by_key(granted)["scope:tasks.write"].found
    assert not report.ok


def test_an_expired_or_refused_token_says_sign_in_again(make_sandbox: Any) -> None:
    server: SandboxServer = make_sandbox("--prospects", "5")
    expired = _doctor(server, expires_at=1.0)
    assert [c.key for c in expired.checks] == ["tls", "sign_in"]
    assert "expired" in expired.checks[1].found
    refused = _doctor(server, "not-a-token")
    assert refused.checks[1].verdict == "problem"
    assert "sign in again" in refused.checks[1].action


def test_an_api_that_cannot_be_reached_is_one_clear_problem(unused_port: int) -> None:
    report = asyncio.run(run_doctor(f"http://127.0.0.1:{unused_port}/api/v2", "t"))
    assert [(c.key, c.verdict) for c in report.checks] == [
        ("tls", "unknown"),
        ("sign_in", "problem"),
    ]
    assert "cannot reach" in report.checks[1].found


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---- odd answers, with a fake API -------------------------------------------------------------


class _Stream:
    def __init__(self, version: str) -> None:
        self._version = version

    def get_extra_info(self, name: str) -> Any:
        class _Ssl:
            def version(inner) -> str:
                return self._version

        return _Ssl() if name == "ssl_object" else None


def _fake(headers: dict[str, str], *, tls: str | None = None) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        extensions = {"network_stream": _Stream(tls)} if tls else {}
        if request.url.path.endswith("/api/v2"):
            body: dict[str, Any] = {"meta": {"user": {"id": 1, "email": "a@b.example"}}}
        else:
            body = {"data": []}
        return httpx.Response(200, json=body, headers=headers, extensions=extensions)

    return httpx.MockTransport(handler)


def test_clock_skew_and_a_low_budget_are_problems_tls_is_read() -> None:
    late = datetime.now(UTC) - timedelta(seconds=90)
    headers = {
        "Date": format_datetime(late, usegmt=True),
        "X-RateLimit-Limit": "10000",
        "X-RateLimit-Remaining": "42, 19000",
        "X-RateLimit-Reset": "1900000000",
    }
    report = asyncio.run(
        run_doctor("https://api.example.test/api/v2", "t", transport=_fake(headers, tls="TLSv1.3"))
    )
    rows = _by_key(report)
    assert rows["clock"].verdict == "problem"
    assert "ahead of" in rows["clock"].found
    assert rows["rate"].verdict == "problem"
    assert rows["rate"].found.startswith("42 of 10,000")
    assert rows["tls"].verdict == "ok"
    assert "TLSv1.3" in rows["tls"].found
    assert rows["outcomes"].verdict == "problem"  # no dispositions at all
    assert rows["phone"].verdict == "unknown"  # no number to try
    payload = json.loads(report.dumps())
    assert payload["ok"] is False
    assert {c["mark"] for c in payload["checks"]} <= {"✓", "✗", "–"}


def test_a_tls_failure_is_named() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    report = asyncio.run(
        run_doctor("https://api.example.test/api/v2", "t", transport=httpx.MockTransport(handler))
    )
    rows = _by_key(report)
    assert rows["tls"].verdict == "problem"
    assert rows["sign_in"].verdict == "problem"


@given(
    date=st.text(max_size=40) | st.just("Mon, 01 Jan 2001 00:00:00 GMT"),
    limit=st.text(max_size=12),
    remaining=st.text(max_size=12),
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_header_values_make_a_report(date: str, limit: str, remaining: str) -> None:
    headers = {"Date": date, "X-RateLimit-Limit": limit, "X-RateLimit-Remaining": remaining}
    headers = {k: v for k, v in headers.items() if v.isprintable() and v.isascii() and v.strip()}
    report = asyncio.run(
        run_doctor("https://api.example.test/api/v2", "t", transport=_fake(headers))
    )
    assert {"clock", "rate", "tls"} <= set(_by_key(report))
    assert report.table()


# ---- the command --------------------------------------------------------------------------------


def test_the_command_prints_a_table_or_json_and_exits_by_the_verdict(
    make_sandbox: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server: SandboxServer = make_sandbox("--prospects", "10")
    monkeypatch.setenv("DIALER_ACCESS_TOKEN", server.token)
    assert cli.main(["doctor", "--api-base-url", server.base_url]) == 0
    out = capsys.readouterr().out
    assert "✓ Sign-in" in out
    assert "All checks passed." in out
    server.admin("dialect", method="PUT", json={"unknown_filters": "reject"})
    assert cli.main(["doctor", "--json", "--api-base-url", server.base_url]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert {c["key"]: c["mark"] for c in payload["checks"]}["filter_q"] == "✗"


def test_without_a_token_or_a_signed_in_profile_the_command_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DIALER_HOME", str(tmp_path))
    monkeypatch.delenv("DIALER_ACCESS_TOKEN", raising=False)
    assert cli.main(["doctor"]) == 2
    assert "no profile is active" in capsys.readouterr().err
    with pytest.raises(SystemExit) as refused:
        cli.main(["doctor", "--api-base-url", "https://api.outreach.io/api/v2"])
    assert refused.value.code == 2
