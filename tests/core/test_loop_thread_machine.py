"""LoopThread in any order: work submitted, called, run, stopped and started again.

Whatever the order, once the thread is stopped every future it gave has ended (a result, an
error, or cancelled), every `finally` there has run, the thread is gone, nothing ran on the
caller's thread, and no coroutine or task was dropped unawaited. Work handed to it while it is
not running fails clearly (`submit`, `run`) or is dropped (`call`), as the module documents.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import itertools
import logging
import sys
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dialer_app.core.loop_thread import LoopThread

NAMES = (f"machine-loop-{n}" for n in itertools.count())  # one per run: none sees another's
WAIT = 10.0  # seconds a rule waits for what must happen soon (never reached when it works)


class Boom(Exception):
    """What the raising coroutines raise."""


@dataclass
class Submitted:
    """A coroutine handed to the thread, and what it must have become once stopped."""

    kind: str  # "finishes", "waits", "raises", "spawns"
    future: concurrent.futures.Future[Any]
    value: int
    ended: threading.Event = field(default_factory=threading.Event)  # its `finally` ran
    # Per child task: whether it began, whether its `finally` ran (one cancelled before its
    # first step never begins: asyncio closes it unrun, and then there is no `finally` to run).
    children: list[tuple[threading.Event, threading.Event]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)  # strong references to them
    gate: asyncio.Event = field(default_factory=asyncio.Event)  # what a waiting one waits on


class Dropped(logging.Handler):
    """asyncio's complaints: a task destroyed while pending, an exception never retrieved."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


class LoopThreadMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.name = next(NAMES)
        self.thread = LoopThread(self.name)
        self.started = False  # started since the last stop
        self.ever_started = False
        self.submitted: list[Submitted] = []
        self.where: list[threading.Thread] = []  # the threads work ran on
        self.called: list[int] = []  # `call`s that ran, by number
        self.expected_calls: set[int] = set()  # made while running: must run
        self.dropped_calls: set[int] = set()  # made while stopped: must never run
        self.numbers = itertools.count()
        self.caller = threading.current_thread()
        # Warnings are errors here; a warning raised in a destructor ("coroutine … was never
        # awaited") reaches the unraisable hook: both are recorded and fail the machine.
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("error")
        self.unraisable: list[str] = []
        self._hook = sys.unraisablehook
        sys.unraisablehook = lambda u: self.unraisable.append(f"{u.exc_type}: {u.exc_value}")
        self.dropped = Dropped()
        logging.getLogger("asyncio").addHandler(self.dropped)

    # -- work --------------------------------------------------------------------------------

    def _here(self) -> None:
        self.where.append(threading.current_thread())

    def _submit(self, kind: str, make: Any, value: int) -> Submitted:
        record = Submitted(kind, concurrent.futures.Future(), value)
        record.future = self.thread.submit(make(record))
        self.submitted.append(record)
        return record

    async def _finishes(self, record: Submitted) -> int:
        try:
            self._here()
            await asyncio.sleep(0)
            return record.value
        finally:
            record.ended.set()

    async def _waits(self, record: Submitted) -> int:
        try:
            self._here()
            await record.gate.wait()
            return record.value
        finally:
            record.ended.set()

    async def _raises(self, record: Submitted) -> int:
        try:
            self._here()
            await asyncio.sleep(0)
            raise Boom(record.value)
        finally:
            record.ended.set()

    def _spawns(self, children: int, awaited: bool) -> Any:
        """A coroutine that starts `children` tasks waiting forever, and awaits them or
        returns at once, leaving them running (each with a strong reference kept)."""

        async def child(began: threading.Event, done: threading.Event) -> None:
            began.set()
            try:
                self._here()
                await asyncio.Event().wait()
            finally:
                done.set()

        async def parent(record: Submitted) -> int:
            try:
                self._here()
                for _ in range(children):
                    began, done = threading.Event(), threading.Event()
                    record.children.append((began, done))
                    task = asyncio.create_task(child(began, done))
                    record.tasks.add(task)
                    task.add_done_callback(record.tasks.discard)
                if awaited:
                    await asyncio.gather(*record.tasks)
                return record.value
            finally:
                record.ended.set()

        return parent

    # -- rules -------------------------------------------------------------------------------

    @precondition(lambda self: not self.started)
    @rule()
    def start(self) -> None:
        self.thread.start()
        self.started = self.ever_started = True
        assert self.thread.running

    @precondition(lambda self: self.started)
    @rule(value=st.integers())
    def submit_one_that_finishes(self, value: int) -> None:
        record = self._submit("finishes", self._finishes, value)
        assert record.future.result(WAIT) == value

    @precondition(lambda self: self.started)
    @rule()
    def submit_one_that_waits(self) -> None:
        self._submit("waits", self._waits, next(self.numbers))

    @precondition(lambda self: self.started)
    @rule(value=st.integers())
    def submit_one_that_raises(self, value: int) -> None:
        record = self._submit("raises", self._raises, value)
        error = record.future.exception(WAIT)
        assert isinstance(error, Boom)
        assert error.args == (value,)

    @precondition(lambda self: self.started)
    @rule(children=st.integers(0, 3), awaited=st.booleans())
    def submit_one_that_spawns(self, children: int, awaited: bool) -> None:
        record = self._submit("spawns", self._spawns(children, awaited), next(self.numbers))
        if not awaited or not children:
            assert record.future.result(WAIT) == record.value

    @precondition(lambda self: self.started)
    @rule()
    def open_the_gates(self) -> None:
        """Let every waiting coroutine finish (from the caller's thread, through `call`: an
        asyncio event is set on its loop's thread), whether it began to wait or not yet."""
        waiting = [r for r in self.submitted if r.kind == "waits" and not r.future.done()]
        ran = threading.Event()

        def open_all() -> None:
            for record in waiting:
                record.gate.set()
            ran.set()

        self.thread.call(open_all)
        assert ran.wait(WAIT)
        for record in waiting:
            if record.future.cancelled():
                continue
            assert record.future.result(WAIT) == record.value

    @rule()
    def call(self) -> None:
        number = next(self.numbers)
        ran = threading.Event()

        def note() -> None:
            self._here()
            self.called.append(number)
            ran.set()

        self.thread.call(note)
        if self.started:
            self.expected_calls.add(number)
            assert ran.wait(WAIT)
        else:
            self.dropped_calls.add(number)  # documented: nothing once it stopped

    @rule(value=st.integers(), raises=st.booleans())
    def run_from_another_loop(self, value: int, raises: bool) -> None:
        """`await thread.run(coro)` from a loop of the caller's thread, which it never blocks."""

        async def work() -> int:
            self._here()
            await asyncio.sleep(0)
            if raises:
                raise Boom(value)
            return value

        async def main() -> int:
            ticks = 0

            async def tick() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0)

            ticker = asyncio.create_task(tick())
            try:
                return await self.thread.run(work())
            finally:
                ticker.cancel()
                await asyncio.gather(ticker, return_exceptions=True)

        if self.started:
            if raises:
                with pytest.raises(Boom):
                    asyncio.run(main())
            else:
                assert asyncio.run(main()) == value
        else:
            with pytest.raises(RuntimeError, match="not running"):
                asyncio.run(main())

    @precondition(lambda self: not self.started)
    @rule()
    def submit_while_stopped(self) -> None:
        async def never() -> None:
            raise AssertionError("ran on a thread that is not running")

        with pytest.raises(RuntimeError, match="not running"):
            self.thread.submit(never())

    @rule(how=st.sampled_from(["stop", "aclose"]))
    def stop(self, how: str) -> None:
        if how == "stop":
            self.thread.stop()
        else:
            asyncio.run(self.thread.aclose())
        self.started = False
        self._all_ended()

    # -- invariants --------------------------------------------------------------------------

    def _all_ended(self) -> None:
        assert not self.thread.running
        assert not any(t.name == self.name and t.is_alive() for t in threading.enumerate())
        assert not any(t.is_alive() for t in self.where)
        for record in self.submitted:
            assert record.future.done(), record.kind
            assert record.ended.is_set(), record.kind  # its `finally` ran
            assert all(done.is_set() for began, done in record.children if began.is_set())
            assert not record.tasks  # each ended (a task removes itself as it ends)
            if record.kind == "waits" and not record.future.cancelled():
                assert record.future.result() == record.value

    @invariant()
    def nothing_ran_on_the_callers_thread(self) -> None:
        assert all(t is not self.caller and t.name == self.name for t in self.where)

    @invariant()
    def nothing_was_dropped(self) -> None:
        assert self.unraisable == []
        assert self.dropped.records == []

    @invariant()
    def calls_made_while_running_ran_and_the_others_never(self) -> None:
        assert self.expected_calls <= set(self.called)
        assert not self.dropped_calls & set(self.called)

    def teardown(self) -> None:
        try:
            self.thread.stop()
            self.started = False
            if self.ever_started:
                self._all_ended()
            self.submitted.clear()
            gc.collect()  # a coroutine never awaited says so when it is collected
            self.nothing_was_dropped()
            self.calls_made_while_running_ran_and_the_others_never()
        finally:
            logging.getLogger("asyncio").removeHandler(self.dropped)
            sys.unraisablehook = self._hook
            self._warnings.__exit__(None, None, None)


LoopThreadMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_loop_thread_in_any_order = LoopThreadMachine.TestCase
