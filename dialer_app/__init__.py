"""Dialer Companion: find the prospect, time the call, log it to Outreach without losing one."""

from __future__ import annotations

import sys

# The one place the version is written: pyproject.toml reads it from here (hatch's version
# source). A constant, because reading package metadata costs ~30 ms of every start.
__version__ = "0.1.0"
APP_NAME = "Dialer Companion"
APP_ID = "io.dialercompanion.DialerCompanion"

# WORKAROUND: httpx imports its optional command-line tool (click, rich, …) whenever click is
# installed — and uvicorn, which the sandbox needs, installs it. That costs ~100 ms of every
# start. A None entry makes that import fail, and httpx falls back as it does without click.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
