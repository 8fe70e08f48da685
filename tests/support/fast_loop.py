"""The developer's fast loop: `pytest -m "not slow"` runs on every core and measures no coverage.

Loaded before the command line is read (`-p tests.support.fast_loop` in the pytest options of
pyproject.toml). When the run selects exactly `-m "not slow"` and says nothing itself about
workers (`-n`) or coverage, it adds `-n auto` (pytest-xdist: one worker per core, each with its
own sandboxes and qasync loop) and `--no-cov`: the coverage tracer slows every test by up to a
half, and the client's coverage figure means something only for the whole suite, which keeps it.
Any other run (the whole suite, `.ci/run`, `-k`, …) and any run where `CI` is set (the release
workflow's jobs) is left exactly as asked.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest

FAST = "not slow"
# Options that say how to run: when the command line gives one, the run is left as asked.
SAID = ("-n", "--numprocesses", "--dist", "--cov", "--no-cov")


def wants_fast_loop(own_args: list[str], markexpr: str) -> bool:
    """Whether a run is the plain fast loop: `-m "not slow"`, nothing said of workers or
    coverage on the command line (`own_args`: its arguments, those of `addopts` left out)."""
    return markexpr.strip() == FAST and not any(a.startswith(SAID) for a in own_args)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(
    early_config: pytest.Config, parser: pytest.Parser, args: list[str]
) -> Generator[None, Any, Any]:
    known = early_config.known_args_namespace
    markexpr = getattr(known, "markexpr", "") or ""
    on_ci = bool(os.environ.get("CI"))  # CI jobs run exactly as their workflow says
    if (
        not on_ci
        and early_config.pluginmanager.has_plugin("xdist")
        and wants_fast_loop(_own_args(early_config, args), markexpr)
    ):
        known.no_cov = True  # read by pytest-cov as it starts, right after this
        args.append("--no-cov")
        if "PYTEST_XDIST_WORKER" not in os.environ:  # a worker runs the tests it is given
            args += ["-n", "auto"]
    return (yield)


def _own_args(config: pytest.Config, args: list[str]) -> list[str]:
    """The arguments of the command line, those that `addopts` put first left out."""
    given = [str(a) for a in args]
    added = [str(a) for a in config.getini("addopts")]
    return given[len(added) :] if given[: len(added)] == added else given
