"""Sandbox fixtures: a real sandbox server as a child process on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from dialer_app.core.demo import SandboxProcess


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(data_dir=Path(tmp_path_factory.mktemp("sandbox")), token="test-token")
    proc.start()
    try:
        proc.read_ready()
        yield proc
    finally:
        proc.stop()
