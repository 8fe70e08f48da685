"""Test harness: offscreen Qt, a qasync loop that pytest-qt waits also drive, no real user dirs."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")

import pytest

pytest_plugins = ["tests.support.sandbox_fixtures", "tests.support.dialects"]


@pytest.fixture(autouse=True, scope="session")
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keep every test away from the real user's data, config and logs. Calling outside the
    prospect's hours asks first by default; the suite runs at any hour, so the apps it starts
    here do not ask (the tests of that question turn it on)."""
    home = tmp_path_factory.mktemp("dialer-home")
    (home / "config").mkdir(mode=0o700)
    (home / "config" / "settings.json").write_text('{"confirm_outside_hours": false}\n')
    old = os.environ.get("DIALER_HOME")
    os.environ["DIALER_HOME"] = str(home)
    yield home
    if old is None:
        os.environ.pop("DIALER_HOME", None)
    else:
        os.environ["DIALER_HOME"] = old


@pytest.fixture(autouse=True, scope="session")
def _no_real_keychain() -> Iterator[None]:
    """Every test that reaches keyring gets an in-memory keychain, never the OS one."""
    import keyring

    from tests.support.keychain import MemoryKeyring

    old = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    yield
    keyring.set_keyring(old)


@pytest.fixture(scope="session")
def _qasync_loop(qapp: object) -> asyncio.AbstractEventLoop:
    """One qasync loop for the session, running on Qt's event loop.

    It is never stopped or closed: stopping it would quit the QApplication and make every later
    `qtbot.waitSignal` return at once.
    """
    import qasync
    from PySide6.QtWidgets import QApplication  # noqa: F401 - qasync must bind PySide6

    return qasync.QEventLoop(qapp, already_running=True)


@pytest.fixture
def aio(
    _qasync_loop: asyncio.AbstractEventLoop, qtbot: object
) -> Iterator[asyncio.AbstractEventLoop]:
    """Make the qasync loop the running loop for one test; qtbot waits then drive asyncio too.

    Tasks the test leaves behind are cancelled and awaited (by processing Qt events) at teardown,
    and an exception any of them raised fails the test.
    """
    loop = _qasync_loop
    errors: list[dict[str, object]] = []
    loop.set_exception_handler(lambda _loop, ctx: errors.append(ctx))
    asyncio.set_event_loop(loop)
    asyncio.events._set_running_loop(loop)
    try:
        yield loop
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            qtbot.waitUntil(lambda: all(t.done() for t in pending), timeout=5000)  # type: ignore[attr-defined]
    finally:
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.set_exception_handler(None)
    if errors:
        pytest.fail(f"asyncio reported errors: {errors}")
