"""The sandbox fixtures (a pytest plugin, named in `tests/conftest.py`): `sandbox`, one server
shared by the session, and `make_sandbox`, servers of a test's own; see `tests.support.sandbox`.
The servers themselves live there, free of pytest, for the benchmarks to start as well."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.sandbox import SandboxServer, close_forker, reap_stopped, serve_for


@pytest.fixture(autouse=True, scope="session")
def _stopped_sandboxes_reaped() -> Iterator[None]:
    """Every server a fixture stopped has ended when the session does."""
    yield
    reap_stopped()
    close_forker()


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox shared by the whole session (seed 1, 300 prospects)."""
    yield from serve_for(tmp_path_factory, "sandbox")


@pytest.fixture
def make_sandbox(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., SandboxServer]]:
    """Start sandboxes of the test's own.

    `make_sandbox(*extra_args, data_dir=None, token=None, admin_token=None)`.
    """
    servers: list[SandboxServer] = []

    def make(
        *extra_args: str,
        data_dir: Path | None = None,
        token: str | None = None,
        admin_token: str | None = None,
    ) -> SandboxServer:
        directory = data_dir or tmp_path_factory.mktemp("own-sandbox") / "data"
        server = SandboxServer(
            directory, token=token, extra_args=extra_args, admin_token=admin_token
        )
        servers.append(server)
        return server.start()

    yield make
    for server in servers:
        server.stop_later()
