"""The task runner keeps, cancels and reports every background task the window starts."""

from __future__ import annotations

import asyncio

import pytest

from dialer_app.services.tasks import TaskRunner


@pytest.fixture
def runner(aio: asyncio.AbstractEventLoop) -> TaskRunner:
    return TaskRunner()


def test_result_reaches_the_success_callback(qtbot, runner: TaskRunner) -> None:
    got: list[int] = []

    async def work() -> int:
        await asyncio.sleep(0)
        return 42

    with qtbot.waitSignal(runner.busyChanged, check_params_cb=lambda busy: not busy):
        runner.run(work(), on_success=got.append)
    assert got == [42]


def test_a_newer_task_with_the_same_key_cancels_the_stale_one(qtbot, runner: TaskRunner) -> None:
    started = asyncio.Event()
    results: list[str] = []

    async def slow() -> str:
        started.set()
        await asyncio.Event().wait()  # never finishes by itself
        return "stale"

    async def fast() -> str:
        return "fresh"

    first = runner.run(slow(), key="search", on_success=results.append)
    qtbot.waitUntil(started.is_set)
    with qtbot.waitSignal(runner.busyChanged, check_params_cb=lambda busy: not busy):
        runner.run(fast(), key="search", on_success=results.append)
    assert first.cancelled()
    assert results == ["fresh"]


def test_an_unhandled_failure_is_shown_not_swallowed(qtbot, runner: TaskRunner) -> None:
    async def boom() -> None:
        raise RuntimeError("the sandbox is on fire")

    with qtbot.waitSignal(runner.failed) as failed:
        runner.run(boom())
    assert failed.args == ["the sandbox is on fire"]


def test_close_leaves_nothing_running(qtbot, aio, runner: TaskRunner) -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    tasks = [runner.run(forever()) for _ in range(3)]
    done = aio.create_task(runner.close())
    qtbot.waitUntil(done.done)
    assert all(t.cancelled() for t in tasks)
    assert runner.pending == 0


def test_after_close_a_task_asked_for_never_runs(qtbot, aio, runner: TaskRunner) -> None:
    ran: list[str] = []
    told: list[object] = []

    async def work() -> str:
        ran.append("ran")
        return "answer"

    closing = aio.create_task(runner.close())
    qtbot.waitUntil(closing.done)
    task = runner.run(work(), key="search", on_success=told.append, on_error=told.append)
    assert task.cancelled()  # at once: nothing is left pending if the loop never runs again
    passes = aio.create_future()
    aio.call_soon(aio.call_soon, passes.set_result, None)
    qtbot.waitUntil(passes.done)
    assert ran == []
    assert told == []  # neither callback: nobody is left to tell
    assert runner.pending == 0
