"""The fault matrix: log calls, break things, and count what reached Outreach — once each.

    python -m tests.reliability.run_fault_matrix [--quick] [--only NAME ...] [--checks S,S,...]

Each scenario starts its own sandbox on 127.0.0.1, logs calls into a fresh outbox, drains it with
the app's own sync worker in a child process (so it can be killed like the real app), breaks
something on the way, and then counts the calls the sandbox stored. It prints one line per
scenario

    scenario=<name> logged=<n> delivered=<n> duplicates=<n> lost=<n>

and a last line `<n> passed, <m> failed`. A scenario passes when every logged call was delivered
exactly once; both are counted from what the sandbox stored (by `vendorCallId`), not from what
the app believes. `--quick` (the test suite) shortens outages and bursts, never skips a scenario;
`--outage SECONDS` sets how long `server_down` keeps the server stopped.

After a POST of unknown fate the app looks for the call over a window (2, 10, 30, 60 s) before
any resend, because Outreach's reads may lag its writes. The scenarios run against a sandbox
without read lag, so their senders look over a short window (`QUICK_CHECKS`); the read-lag
scenario uses the app's own. `--checks 0` makes every sender look once, at once (as the app
did before the window): `dropped_after_commit_with_read_lag` then stores calls twice.

Adding a scenario: write `def name(quick: bool) -> Outcome` using `world(...)` (a fresh sandbox
and outbox; `run.server.faults(...)` changes faults at run time, `run.server.admin(...)` reaches
the rest of the admin API, e.g. `"tokens/expire"` and `"tokens/revoke-refresh"`), decorate it
with `@scenario`, and end with `run.outcome()`. `run.sign_in()` signs in through the sandbox's OAuth
(authorize, the app's loopback listener, the token endpoint) and makes the drainers use that
sign-in, refreshed after a 401 as the app does.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import selectors
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from dialer_app.core.auth.flow import SignInFlow
from dialer_app.core.auth.profiles import Profile
from dialer_app.core.auth.tokens import TokenSet
from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox, OutboxError
from dialer_app.core.sync import CHECK_WINDOW
from tests.support.sandbox import CLIENT_ID, CLIENT_SECRET, SandboxServer

PROSPECT = 5
QUICK_CHECKS = (0.25, 1.0)  # a sandbox without read lag shows a stored call at once
CHECKS: dict[str, tuple[float, ...] | None] = {"override": None}  # --checks


@dataclass(frozen=True)
class Outcome:
    logged: int
    delivered: int
    duplicates: int
    lost: int
    note: str = ""
    broken: str = ""  # a check of the scenario's own that failed (the draft, the error text)

    @property
    def passed(self) -> bool:
        return (
            self.duplicates == 0
            and self.lost == 0
            and self.delivered == self.logged
            and not self.broken
        )

    def but(self, broken: str) -> Outcome:
        return replace(self, broken=broken)

    def line(self, name: str) -> str:
        text = (
            f"scenario={name} logged={self.logged} delivered={self.delivered}"
            f" duplicates={self.duplicates} lost={self.lost}"
        )
        note = f"FAILED: {self.broken}" if self.broken else self.note
        return text + (f"  # {note}" if note else "")


@dataclass
class Run:
    """One scenario's world: a sandbox on a fixed port, an outbox, the calls logged into it."""

    root: Path
    quick: bool
    server: SandboxServer
    outbox_path: Path
    logged: list[str]
    prospect: int = PROSPECT

    def log_calls(self, n: int) -> None:
        outbox = Outbox(self.outbox_path)
        prospect = self.prospect
        try:
            for _ in range(n):
                vid = f"fm-{uuid.uuid4()}"
                outbox.enqueue(
                    NewCall(
                        attributes=CallAttributes(
                            outcome="Answered", note="fault matrix", vendorCallId=vid
                        ),
                        relationships=CallRelationships.link(prospect=prospect),
                    ),
                    summary="Fault Matrix",
                )
                self.logged.append(vid)
        finally:
            outbox.close()

    def sign_in(self) -> None:
        """Sign in as the app does; from now on the drainers use these tokens (OAuth)."""
        tokens = asyncio.run(_sign_in(self.server))
        self.tokens_file.write_text(tokens.dumps(), encoding="utf-8")

    @property
    def tokens_file(self) -> Path:
        return self.root / "tokens.json"

    def drainer(
        self,
        *,
        deadline: float = 60.0,
        timeout: float = 5.0,
        lease: float | None = None,
        checks: tuple[float, ...] = QUICK_CHECKS,
    ) -> subprocess.Popen[str]:
        extra = ["--lease", str(lease)] if lease is not None else []
        window = CHECKS["override"] or checks
        extra += ["--checks", ",".join(f"{c:g}" for c in window)]
        if self.tokens_file.exists():
            extra += [
                "--oauth-tokens",
                str(self.tokens_file),
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
            ]
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.reliability.drainer",
                "--outbox",
                str(self.outbox_path),
                "--base-url",
                self.server.base_url,
                "--token",
                self.server.token,
                "--deadline",
                str(deadline),
                "--timeout",
                str(timeout),
                *extra,
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def drain(
        self,
        *,
        deadline: float = 60.0,
        timeout: float = 5.0,
        checks: tuple[float, ...] = QUICK_CHECKS,
    ) -> int:
        proc = self.drainer(deadline=deadline, timeout=timeout, checks=checks)
        _, err = proc.communicate(timeout=deadline + 30)
        if proc.returncode not in (0, 3):
            print(err, file=sys.stderr)
        return proc.returncode

    def stored(self) -> Counter[str]:
        """How many times each vendorCallId is stored in the sandbox."""
        counts: Counter[str] = Counter()
        with self.server.client() as api:
            url: str | None = "/calls"
            params: dict[str, object] | None = {
                "filter[prospect][id]": self.prospect,
                "page[size]": 1000,
                "fields[call]": "vendorCallId",
            }
            while url:
                doc = api.get(url, params=params).json()
                for call in doc["data"]:
                    vid = call["attributes"].get("vendorCallId")
                    if vid:
                        counts[vid] += 1
                url, params = doc.get("links", {}).get("next"), None
        return counts

    def outcome(self, note: str = "") -> Outcome:
        self.server.reset_faults()  # count on a healthy server (a burst may be left over)
        self.server.admin("read-lag", "PUT", {"seconds": 0})  # and reads showing every call
        stored = self.stored()
        mine = {v: stored[v] for v in self.logged}
        delivered = sum(1 for c in mine.values() if c >= 1)
        duplicates = sum(c - 1 for c in mine.values() if c > 1)
        return Outcome(len(self.logged), delivered, duplicates, len(self.logged) - delivered, note)

    def outbox_rows(self) -> list[dict[str, object]]:
        """The outbox as the app left it, read without taking part (a read-only connection)."""
        if not self.outbox_path.exists():
            return []
        db = sqlite3.connect(f"file:{self.outbox_path}?mode=ro", uri=True, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            return [dict(r) for r in db.execute("SELECT * FROM operations ORDER BY id")]
        finally:
            db.close()

    def wait_until_app_saw(self, text: str, attempts: int = 1, deadline: float = 60.0) -> None:
        """Until the app met a fault: a call tried `attempts` times, last failing with `text`."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            for row in self.outbox_rows():
                if text in str(row["last_error"]) and int(str(row["attempts"])) >= attempts:
                    return
            time.sleep(0.02)
        raise TimeoutError(f"the app never reported {text!r} in {deadline} s")

    def wait_until_stored(self, at_least: int, deadline: float = 30.0) -> int:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            n = sum(1 for v in self.stored() if v in set(self.logged))
            if n >= at_least:
                return n
            time.sleep(0.05)
        raise TimeoutError(f"fewer than {at_least} calls arrived in {deadline} s")


async def _sign_in(server: SandboxServer) -> TokenSet:
    """The whole sign-in: the sandbox approves at once, an httpx client plays the browser."""
    profile = Profile("matrix", "Fault matrix", server.base_url, CLIENT_ID).validated()
    flow = SignInFlow(profile, CLIENT_SECRET)
    url = await flow.start()
    async with httpx.AsyncClient(follow_redirects=True, timeout=10) as browser:
        (await browser.get(url)).raise_for_status()
    return await flow.finish()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def world(quick: bool, *sandbox_args: str, prospects: int = 30) -> Iterator[Run]:
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        root = Path(tmp)
        port = _free_port()
        server = SandboxServer(
            root / "sandbox",
            extra_args=("--prospects", str(prospects), "--port", str(port), *sandbox_args),
        )
        server.start()
        try:
            yield Run(root, quick, server, root / "outbox.sqlite3", [])
        finally:
            server.stop()


# -- scenarios ------------------------------------------------------------------------------

Scenario = Callable[[bool], Outcome]
SCENARIOS: dict[str, Scenario] = {}
OUTAGE = {"quick": 3.0, "full": 30.0}


def scenario(fn: Scenario) -> Scenario:
    SCENARIOS[fn.__name__] = fn
    return fn


@scenario
def baseline(quick: bool) -> Outcome:
    with world(quick) as run:
        run.log_calls(20 if quick else 100)
        run.drain()
        return run.outcome()


@scenario
def burst_5xx(quick: bool) -> Outcome:
    """Every request fails with 500/502/503/504 for a while; 500/502/504 leave a POST's fate
    unknown, so each retry first looks the call up."""
    with world(quick) as run:
        run.log_calls(10)
        run.drain()
        run.log_calls(20)
        run.server.faults(error_rate=1.0, error_statuses=[500, 502, 503, 504])
        drainer = run.drainer()
        run.wait_until_app_saw("Outreach had a problem (5", attempts=3 if quick else 8)
        run.server.faults(error_rate=0.0)
        drainer.communicate(timeout=90)
        return run.outcome()


@scenario
def maintenance_503(quick: bool) -> Outcome:
    """Scheduled maintenance: 503 with Retry-After on every request, then back."""
    retry_after = 1 if quick else 5
    with world(quick) as run:
        run.log_calls(10)
        run.drain()
        run.log_calls(10)
        run.server.faults(maintenance=True, retry_after_s=retry_after)
        drainer = run.drainer()
        run.wait_until_app_saw("(503)", attempts=2)
        run.server.faults(maintenance=False)
        drainer.communicate(timeout=90)
        return run.outcome(f"Retry-After {retry_after} s")


@scenario
def burst_429(quick: bool) -> Outcome:
    """A burst of 429 rateLimitExceeded with X-RateLimit-Reset and Retry-After."""
    burst = 3 if quick else 10
    with world(quick) as run:
        run.log_calls(10)
        run.drain()
        run.log_calls(10)
        run.server.faults(burst_429=burst, retry_after_s=1)
        drainer = run.drainer(deadline=120)
        drainer.communicate(timeout=150)
        return run.outcome(f"{burst} x 429")


@scenario
def server_down(quick: bool) -> Outcome:
    """The server process is stopped mid-drain (30 s; 3 s with --quick), then started again on
    the same port and data."""
    down_for = OUTAGE["quick" if quick else "full"]
    with world(quick) as run:
        run.log_calls(30)
        drainer = run.drainer(deadline=down_for + 60)
        run.wait_until_stored(1)
        run.server.stop()
        stopped = time.monotonic()
        while time.monotonic() - stopped < down_for:  # the outage itself: wall time on purpose
            if drainer.poll() is not None:
                break
            time.sleep(0.1)
        run.server.restart()
        drainer.communicate(timeout=down_for + 90)
        return run.outcome(f"down {down_for:.0f} s")


@scenario
def dropped_after_commit(quick: bool) -> Outcome:
    """Outreach stores the call, then the connection drops before the answer: look, don't resend."""
    drops = 3 if quick else 10
    with world(quick, "--drop-after-commit", str(drops)) as run:
        run.log_calls(20)
        run.drain()
        return run.outcome(f"{drops} answers dropped")


@scenario
def dropped_after_commit_with_read_lag(quick: bool) -> Outcome:
    """Outreach stores the call, the connection drops before the answer, and its reads show a
    new call only seconds later: the app keeps looking over its window (2, 10, 30, 60 s after
    the POST) and finds it, instead of posting it again after one empty look."""
    lag, drops = (3, 2) if quick else (8, 5)
    with world(quick, "--drop-after-commit", str(drops), "--read-lag", str(lag)) as run:
        run.log_calls(8 if quick else 20)
        run.drain(deadline=30.0 + 15 * drops, checks=CHECK_WINDOW)
        return run.outcome(f"{drops} answers dropped, reads {lag} s behind")


@scenario
def held_past_timeout(quick: bool) -> Outcome:
    """Outreach stores the call but answers after the client gave up (timeout 0.5 s)."""
    with world(quick) as run:
        run.log_calls(10)
        run.drain()
        run.log_calls(10)
        run.server.faults(hold_ms=1500)
        drainer = run.drainer(timeout=0.5)
        run.wait_until_app_saw("did not answer in time", attempts=2)
        run.server.faults(hold_ms=0)
        drainer.communicate(timeout=90)
        return run.outcome()


@scenario
def killed_mid_drain(quick: bool) -> Outcome:
    """The app is killed (SIGKILL) while sending, then started again."""
    with world(quick, "--latency-ms", "20") as run:
        run.log_calls(40)
        drainer = run.drainer()
        run.wait_until_stored(5)
        os.kill(drainer.pid, signal.SIGKILL)
        drainer.wait(10)
        if drainer.stderr is not None:
            drainer.stderr.close()
        run.drain()  # the new sender takes back the dead one's claim, checks, then sends
        return run.outcome()


@scenario
def killed_mid_wrapup(quick: bool) -> Outcome:
    """The real window is killed (SIGKILL) while the rep wraps up; started again, the call in
    progress is back with every field, and once logged it is delivered once."""
    with world(quick, prospects=20) as run:
        run.prospect = _prospect_with_call_task(run.server)
        home = run.root / "app"
        home.mkdir()
        fill = _wrapup_app(run, "fill", home)
        try:
            ready = _line_starting(fill, "READY ")
        finally:
            os.kill(fill.pid, signal.SIGKILL)
            fill.wait(10)
            _close_pipes(fill)
        again = _wrapup_app(run, "restore", home)
        try:
            restored = _line_starting(again, "RESTORED ")
            logged = _line_starting(again, "LOGGED ")
            again.wait(30)
        finally:
            if again.poll() is None:
                os.kill(again.pid, signal.SIGKILL)
                again.wait(10)
            _close_pipes(again)
        run.logged.append(logged)
        before, after = json.loads(ready), json.loads(restored)
        run.outbox_path = home / "outbox.sqlite3"
        run.drain()
        result = run.outcome()
        if not before["form"]["note"] or not before["form"]["sequence_action"]:
            return result.but(f"the form was not filled: {before}")
        if before != after:
            return result.but(f"the draft came back different: {before} != {after}")
        return run.outcome("draft back with every field")


@scenario
def database_unwritable(quick: bool) -> Outcome:
    """The outbox turns read-only: a clear error, and nothing stored before is lost."""
    with world(quick) as run:
        run.log_calls(5)
        outbox = Outbox(run.outbox_path)
        message = ""
        try:
            outbox._db.execute("PRAGMA query_only = 1")
            try:
                outbox.enqueue(
                    NewCall(attributes=CallAttributes(vendorCallId="never-stored")), summary="x"
                )
            except OutboxError as exc:
                message = str(exc)
        finally:
            outbox.close()
        run.drain()
        result = run.outcome("refused: " + message.split(" (")[0])
        if not ("read-only" in message and "safe" in message):
            return result.but(f"no clear error: {message or 'the call was not refused'}")
        return result


@scenario
def database_full(quick: bool) -> Outcome:
    """The disk fills up: the new call is refused with a clear error, the ones before are sent."""
    with world(quick) as run:
        run.log_calls(5)
        outbox = Outbox(run.outbox_path)
        message = ""
        try:
            pages = outbox._db.execute("PRAGMA page_count").fetchone()[0]
            outbox._db.execute(f"PRAGMA max_page_count = {pages}")  # no room to grow
            try:
                outbox.enqueue(
                    NewCall(
                        attributes=CallAttributes(vendorCallId="never-stored", note="x" * 60_000)
                    ),
                    summary="x",
                )
            except OutboxError as exc:
                message = str(exc)
        finally:
            outbox.close()
        run.drain()
        result = run.outcome("refused: " + message.split(" (")[0])
        if not ("disk is full" in message and "safe" in message):
            return result.but(f"no clear error: {message or 'the call was not refused'}")
        return result


@scenario
def two_senders(quick: bool) -> Outcome:
    """Two copies of the app drain the same outbox at once against one server. Claims expire
    quickly here (0.5 s lease, 0.25 s timeout; 120 s and 10 s in the app), so the second copy,
    started while the first is half-way through a batch it claimed (as after a laptop slept
    for minutes), takes back the calls the first has not sent yet."""
    with world(quick, "--latency-ms", "60") as run:
        run.log_calls(60)
        first = run.drainer(lease=0.5, timeout=0.25)
        run.wait_until_stored(5)
        second = run.drainer(lease=0.5, timeout=0.25)
        for proc in (first, second):
            _, err = proc.communicate(timeout=120)
            if proc.returncode != 0:
                print(err, file=sys.stderr)
        return run.outcome("2 processes")


@scenario
def token_expiry_mid_drain(quick: bool) -> Outcome:
    """Every access token expires while the outbox drains: the app refreshes once (the token
    endpoint, a rotated refresh token) and carries on; no call is sent twice or lost."""
    with world(quick, "--auto-approve", "--mint-interval", "0") as run:
        run.sign_in()
        run.log_calls(30)
        run.server.faults(latency_ms=20)  # a drain long enough to expire tokens in the middle
        drainer = run.drainer()
        run.wait_until_stored(5)
        expired = run.server.admin("tokens/expire", "POST")["expired"]
        _, err = drainer.communicate(timeout=90)
        if drainer.returncode != 0:
            raise RuntimeError(f"the drain did not finish after the refresh: {err[-300:]}")
        return run.outcome(f"{expired} token(s) expired mid-drain")


@scenario
def revoked_then_sign_in(quick: bool) -> Outcome:
    """The sign-in is revoked (access expired, refresh refused): the queue is held — nothing is
    sent, nothing dropped — until the rep signs in again; then every call goes, once."""
    with world(quick, "--auto-approve", "--mint-interval", "0") as run:
        run.sign_in()
        run.log_calls(10)
        run.drain()
        run.log_calls(10)
        run.server.admin("tokens/revoke-refresh", "POST")
        run.server.admin("tokens/expire", "POST")
        held = run.drainer()
        _, err = held.communicate(timeout=90)
        if held.returncode != 4:
            raise RuntimeError(f"the queue was not held (exit {held.returncode}): {err[-300:]}")
        waiting = sum(1 for row in run.outbox_rows() if row["state"] != "sent")
        if waiting != 10:
            raise RuntimeError(f"{waiting} calls wait after the revocation, not 10")
        run.sign_in()  # the rep signs in again
        run.drain()
        return run.outcome("held until signed in again")


def _prospect_with_call_task(server: SandboxServer) -> int:
    with server.client() as api:
        doc = api.get(
            "/tasks",
            params={
                "filter[state]": "incomplete",
                "filter[taskType]": "sequence_step_call",
                "page[size]": 1,
            },
        ).json()
    return int(doc["data"][0]["relationships"]["prospect"]["data"]["id"])


def _wrapup_app(run: Run, phase: str, home: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.reliability.wrapup_app",
            phase,
            "--home",
            str(home),
            "--base-url",
            run.server.base_url,
            "--token",
            run.server.token,
            "--prospect",
            str(run.prospect),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONUNBUFFERED": "1"},
    )


def _line_starting(proc: subprocess.Popen[str], prefix: str, timeout: float = 60.0) -> str:
    """The rest of the child's next stdout line that starts with `prefix`."""
    assert proc.stdout is not None
    end = time.monotonic() + timeout
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while (left := end - time.monotonic()) > 0:
            if not sel.select(left):
                break
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith(prefix):
                return line[len(prefix) :].strip()
    err = proc.stderr.read() if proc.stderr is not None and proc.poll() is not None else ""
    raise TimeoutError(f"the app never said {prefix.strip()!r}: {err[-2000:]}")


def _close_pipes(proc: subprocess.Popen[str]) -> None:
    for pipe in (proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_fault_matrix", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter outages, fewer calls")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="run just these")
    parser.add_argument("--outage", type=float, help="seconds server_down keeps the server stopped")
    parser.add_argument(
        "--checks",
        type=lambda text: tuple(float(part) for part in text.split(",")),
        help="every sender's look-up window after an uncertain POST (seconds, comma-separated)",
    )
    args = parser.parse_args(argv)
    CHECKS["override"] = args.checks
    if args.outage is not None:
        OUTAGE["quick" if args.quick else "full"] = args.outage
    passed = failed = 0
    for name, scenario in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        began = time.monotonic()
        try:
            outcome = scenario(args.quick)
        except Exception as exc:  # a scenario that breaks is a failure, with its reason
            print(f"scenario={name} logged=? delivered=? duplicates=? lost=?  # error: {exc!r}")
            failed += 1
            continue
        took = f"{time.monotonic() - began:.1f} s"
        print(outcome.line(name) + (f", {took}" if outcome.note else f"  # {took}"), flush=True)
        if outcome.passed:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
