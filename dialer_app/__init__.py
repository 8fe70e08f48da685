"""Dialer Companion: find the prospect, time the call, log it to Outreach without losing one."""

from __future__ import annotations

import sys

APP_NAME = "Dialer Companion"
APP_ID = "io.dialercompanion.DialerCompanion"

# WORKAROUND: httpx imports its optional command-line tool (click, rich, …) whenever click is
# installed — and uvicorn, which the sandbox needs, installs it. That costs ~100 ms of every
# start. A None entry makes that import fail, and httpx falls back as it does without click.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]


def __getattr__(name: str) -> str:
    if name == "__version__":  # read lazily: package metadata costs start-up time
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("dialer-companion")
        except PackageNotFoundError:  # running from a source tree without an install
            return "0.0.0"
    raise AttributeError(name)
