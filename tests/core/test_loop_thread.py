"""LoopThread: a loop of its own on a worker thread — results come back, stopping ends what
runs there (its `finally` blocks too), and it is the platform's loop whatever the policy."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import anyio
import httpx
import pytest
import qasync
import sniffio

from dialer_app.core.loop_thread import LoopThread


@pytest.fixture
def worker() -> Any:
    thread = LoopThread("test-worker")
    thread.start()
    yield thread
    thread.stop()


def test_work_runs_on_the_thread_and_its_result_comes_back(worker: LoopThread) -> None:
    async def where() -> str:
        await asyncio.sleep(0)
        return threading.current_thread().name

    assert worker.submit(where()).result(5) == "test-worker"

    async def from_another_loop() -> str:
        return await worker.run(where())

    assert asyncio.run(from_another_loop()) == "test-worker"


def test_an_error_there_is_raised_here(worker: LoopThread) -> None:
    async def fails() -> None:
        raise ValueError("from the worker")

    async def main() -> None:
        await worker.run(fails())

    with pytest.raises(ValueError, match="from the worker"):
        asyncio.run(main())


def test_httpx_there_is_told_it_runs_asyncio_without_sniffing(worker: LoopThread) -> None:
    """httpx and anyio ask which async library runs several times per request; on the thread
    the answer is set once (sniffing imports asyncio each time, through PySide's import hook
    once Qt is loaded), and the caller's thread is left as it was."""

    def library() -> str:
        return sniffio.current_async_library()  # outside any task: only a set answer holds

    assert worker.submit(_plain_call(library)).result(5) == "asyncio"
    with pytest.raises(sniffio.AsyncLibraryNotFoundError):
        library()


async def _plain_call(fn: Any) -> Any:
    """`fn()` called from a plain callback of the running loop, outside any task."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[Any] = loop.create_future()

    def call() -> None:
        try:
            done.set_result(fn())
        except Exception as exc:
            done.set_exception(exc)

    loop.call_soon(call)
    return await done


def test_call_runs_a_function_there(worker: LoopThread) -> None:
    ran = threading.Event()
    names: list[str] = []

    def note() -> None:
        names.append(threading.current_thread().name)
        ran.set()

    worker.call(note)
    assert ran.wait(5)
    assert names == ["test-worker"]


def test_stop_ends_what_runs_there_and_what_it_started() -> None:
    worker = LoopThread("test-stop")
    worker.start()
    started, ended = threading.Event(), []

    async def child() -> None:
        try:
            await anyio.sleep_forever()
        finally:
            ended.append("child")

    async def forever() -> None:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(child)
                group.start_soon(child)  # started and cancelled by its group, never by stop
                started.set()
                await anyio.sleep_forever()
        finally:
            ended.append("root")

    worker.submit(forever())
    assert started.wait(5)
    worker.stop()
    assert sorted(ended) == ["child", "child", "root"]
    assert not worker.running
    assert not any(t.name == "test-stop" for t in threading.enumerate())
    worker.call(lambda: None)  # after the end: nothing, no error


def test_the_thread_runs_the_platform_loop_under_qasync(make_sandbox: Any, qapp: Any) -> None:
    """qasync's policy makes Qt loops, which belong to Qt's thread: the worker's is its own."""
    server = make_sandbox("--prospects", "5")

    async def main() -> int:
        worker = LoopThread("test-under-qasync")
        worker.start()
        try:

            async def fetch() -> int:
                async with httpx.AsyncClient() as http:
                    got = await http.get(
                        f"{server.base_url}/prospects",
                        headers={"Authorization": f"Bearer {server.token}"},
                    )
                return got.status_code

            return await worker.run(fetch())
        finally:
            await worker.aclose()

    assert qasync.run(main()) == 200


def test_started_again_after_stop_it_runs_what_it_is_given() -> None:
    worker = LoopThread("test-again")
    for _ in range(3):
        worker.start()
        ran = threading.Event()
        worker.call(ran.set)
        assert ran.wait(5)  # on the new loop, not the last run's closed one

        async def where() -> str:
            return threading.current_thread().name

        assert worker.submit(where()).result(5) == "test-again"
        worker.stop()
        assert not any(t.name == "test-again" for t in threading.enumerate())


@pytest.mark.parametrize("when", ["before start", "after stop"])
def test_work_given_while_it_is_not_running_is_refused_and_never_left_unawaited(
    when: str,
) -> None:
    worker = LoopThread("test-refused")
    if when == "after stop":
        worker.start()
        worker.stop()
    began: list[int] = []

    async def work() -> None:
        began.append(1)

    coro = work()
    with pytest.raises(RuntimeError, match="test-refused thread is not running"):
        worker.submit(coro)
    assert coro.cr_frame is None  # closed: no "never awaited" warning when it is collected
    with pytest.raises(RuntimeError, match="not running"):
        asyncio.run(worker.run(work()))
    assert began == []
