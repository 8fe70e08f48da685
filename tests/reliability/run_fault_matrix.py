"""The fault matrix: log calls, break things, and count what reached Outreach — once each.

    python -m tests.reliability.run_fault_matrix [--quick] [--only NAME ...]

Each scenario starts its own sandbox on 127.0.0.1, logs calls into a fresh outbox, drains it with
the app's own sync worker in a child process (so it can be killed like the real app), breaks
something on the way, and then counts the calls the sandbox stored. It prints one line per
scenario

    scenario=<name> logged=<n> delivered=<n> duplicates=<n> lost=<n>

and a last line `<n> passed, <m> failed`. A scenario passes when every logged call was delivered
exactly once.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall
from dialer_app.core.outbox import Outbox, OutboxError
from tests.support.sandbox import SandboxServer

PROSPECT = 5


@dataclass(frozen=True)
class Outcome:
    logged: int
    delivered: int
    duplicates: int
    lost: int
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.duplicates == 0 and self.lost == 0 and self.delivered == self.logged

    def line(self, name: str) -> str:
        text = (
            f"scenario={name} logged={self.logged} delivered={self.delivered}"
            f" duplicates={self.duplicates} lost={self.lost}"
        )
        return text + (f"  # {self.note}" if self.note else "")


@dataclass
class Run:
    """One scenario's world: a sandbox on a fixed port, an outbox, the calls logged into it."""

    root: Path
    quick: bool
    server: SandboxServer
    outbox_path: Path
    logged: list[str]

    def log_calls(self, n: int) -> None:
        outbox = Outbox(self.outbox_path)
        try:
            for _ in range(n):
                vid = f"fm-{uuid.uuid4()}"
                outbox.enqueue(
                    NewCall(
                        attributes=CallAttributes(
                            outcome="Answered", note="fault matrix", vendorCallId=vid
                        ),
                        relationships=CallRelationships.link(prospect=PROSPECT),
                    ),
                    summary="Fault Matrix",
                )
                self.logged.append(vid)
        finally:
            outbox.close()

    def drainer(self, *, deadline: float = 60.0, timeout: float = 5.0) -> subprocess.Popen[str]:
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
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def drain(self, *, deadline: float = 60.0, timeout: float = 5.0) -> int:
        proc = self.drainer(deadline=deadline, timeout=timeout)
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
                "filter[prospect][id]": PROSPECT,
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
        stored = self.stored()
        mine = {v: stored[v] for v in self.logged}
        delivered = sum(1 for c in mine.values() if c >= 1)
        duplicates = sum(c - 1 for c in mine.values() if c > 1)
        return Outcome(len(self.logged), delivered, duplicates, len(self.logged) - delivered, note)

    def wait_until_stored(self, at_least: int, deadline: float = 30.0) -> int:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            n = sum(1 for v in self.stored() if v in set(self.logged))
            if n >= at_least:
                return n
            time.sleep(0.05)
        raise TimeoutError(f"fewer than {at_least} calls arrived in {deadline} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def world(quick: bool, *sandbox_args: str) -> Iterator[Run]:
    with tempfile.TemporaryDirectory(prefix="fault-matrix-") as tmp:
        root = Path(tmp)
        port = _free_port()
        server = SandboxServer(
            root / "sandbox",
            extra_args=("--prospects", "30", "--port", str(port), *sandbox_args),
        )
        server.start()
        try:
            yield Run(root, quick, server, root / "outbox.sqlite3", [])
        finally:
            server.stop()


# -- scenarios ------------------------------------------------------------------------------


def baseline(quick: bool) -> Outcome:
    with world(quick) as run:
        run.log_calls(20 if quick else 100)
        run.drain()
        return run.outcome()


def server_down(quick: bool) -> Outcome:
    """The server goes away mid-drain for a while (30 s; 3 s with --quick), then comes back."""
    down_for = 3.0 if quick else 30.0
    with world(quick) as run:
        run.log_calls(30)
        drainer = run.drainer(deadline=down_for + 60)
        run.wait_until_stored(1)
        run.server.stop()
        stopped = time.monotonic()
        while time.monotonic() - stopped < down_for:
            if drainer.poll() is not None:
                break
            time.sleep(0.1)
        run.server.restart()
        drainer.communicate(timeout=down_for + 90)
        return run.outcome(f"down {down_for:.0f} s")


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


def database_unwritable(quick: bool) -> Outcome:
    """The disk fills up or turns read-only: a clear error, and nothing stored before is lost."""
    with world(quick) as run:
        run.log_calls(5)
        outbox = Outbox(run.outbox_path)
        refused = 0
        try:
            outbox._db.execute("PRAGMA query_only = 1")
            try:
                outbox.enqueue(
                    NewCall(attributes=CallAttributes(vendorCallId="never-stored")), summary="x"
                )
            except OutboxError:
                refused += 1
        finally:
            outbox.close()
        run.drain()
        note = "unwritable outbox refused the new call with a clear error" if refused else "??"
        result = run.outcome(note)
        return result if refused else Outcome(result.logged, result.delivered, 0, 1, "not refused")


SCENARIOS: dict[str, Callable[[bool], Outcome]] = {
    "baseline": baseline,
    "server_down": server_down,
    "killed_mid_drain": killed_mid_drain,
    "database_unwritable": database_unwritable,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="run_fault_matrix", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter outages, fewer calls")
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS), help="run just these")
    args = parser.parse_args(argv)
    passed = failed = 0
    for name, scenario in SCENARIOS.items():
        if args.only and name not in args.only:
            continue
        try:
            outcome = scenario(args.quick)
        except Exception as exc:  # a scenario that breaks is a failure, with its reason
            print(f"scenario={name} logged=? delivered=? duplicates=? lost=?  # error: {exc}")
            failed += 1
            continue
        print(outcome.line(name), flush=True)
        if outcome.passed:
            passed += 1
        else:
            failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
