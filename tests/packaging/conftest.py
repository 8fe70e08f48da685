"""The Linux build, made once per run for every packaging test that needs it.

It is the release workflow's own build step, run as the Linux job runs it (`bash -e`, from the
project folder): the one-folder app in dist/dialer-companion/ and the .deb beside it.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging import workflow as wf

ROOT = wf.ROOT
PACKAGE = "dialer-companion"


@dataclass
class Built:
    deb: Path
    folder: Path
    build_s: float


@pytest.fixture(scope="session")
def built() -> Built:
    if shutil.which("dpkg-deb") is None:
        pytest.skip("needs dpkg-deb (Debian)")
    for old in (ROOT / "dist").glob(f"{PACKAGE}_*.deb"):
        old.unlink()
    release = wf.load(wf.RELEASE)
    started = time.monotonic()
    result = wf.run_bash_step(
        release,
        "linux",
        wf.step(release, "linux", "Build the app and the .deb"),
        cwd=ROOT,
        context={},
        env=dict(os.environ),
    )
    build_s = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (deb,) = (ROOT / "dist").glob(f"{PACKAGE}_*.deb")
    return Built(deb, ROOT / "dist" / PACKAGE, build_s)
