"""The developer's fast loop: `pytest -m "not slow"` runs on every core, measures no coverage
and runs a fifth of each property test's examples.

Loaded before the command line is read (`-p tests.support.fast_loop` in the pytest options of
pyproject.toml). When the run selects exactly `-m "not slow"` and says nothing itself about
workers (`-n`) or coverage, it adds `-n auto` (pytest-xdist: one worker per core, each with its
own sandboxes and qasync loop) and `--no-cov`: the coverage tracer slows every test by up to a
half, and the client's coverage figure means something only for the whole suite, which keeps it.
Each hypothesis test then runs `fast_examples(n)` of the `n` examples it runs in the whole suite
(its own `@settings` count, or hypothesis' default): every property is still tried on every
change, and the whole suite keeps every example count.
Where the environment says not to write compiled bytecode (`PYTHONDONTWRITEBYTECODE`), every
process would compile the app, the tests and what they import again at each start — each
worker, each sandbox, each app started by a test: the fast loop writes it instead, outside the
source tree, under pytest's cache folder (`bytecode_folder`).
Any other run (the whole suite, `.ci/run`, `-k`, …) and any run where `CI` is set (the release
workflow's jobs) is left exactly as asked.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

FAST = "not slow"
# Options that say how to run: when the command line gives one, the run is left as asked.
SAID = ("-n", "--numprocesses", "--dist", "--cov", "--no-cov")
# The fast loop runs a fifth of a property test's examples, never fewer than FLOOR of them.
SHARE = 5
FLOOR = 10
IS_FAST_LOOP = pytest.StashKey[bool]()


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
        early_config.stash[IS_FAST_LOOP] = True
        _keep_bytecode(_cache_dir(early_config) / "bytecode")
        known.no_cov = True  # read by pytest-cov as it starts, right after this
        args.append("--no-cov")
        if "PYTEST_XDIST_WORKER" not in os.environ:  # a worker runs the tests it is given
            args += ["-n", "auto"]
    return (yield)


def bytecode_folder(environ: Mapping[str, str], ours: Path) -> str | None:
    """Where the fast loop's processes write the bytecode they compile, to read it back next
    time: `ours`, or the PYTHONPYCACHEPREFIX the user chose; None where bytecode is written
    already (nothing to change)."""
    if not environ.get("PYTHONDONTWRITEBYTECODE"):
        return None
    return environ.get("PYTHONPYCACHEPREFIX") or str(ours)


def _keep_bytecode(ours: Path) -> None:
    """This process and those it starts (workers, sandboxes, apps) keep their bytecode."""
    folder = bytecode_folder(os.environ, ours)
    if folder is not None:
        del os.environ["PYTHONDONTWRITEBYTECODE"]
        os.environ["PYTHONPYCACHEPREFIX"] = sys.pycache_prefix = folder
        sys.dont_write_bytecode = False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash.get(IS_FAST_LOOP, False):
        fewer_examples(items)


def fast_examples(full: int) -> int:
    """How many of a property test's `full` examples the fast loop runs."""
    return min(full, max(FLOOR, full // SHARE))


def fewer_examples(items: list[Any]) -> None:
    """Give each hypothesis test among `items` its fast-loop example count.

    A test's own `@settings(max_examples=…)` wins over any settings profile, so the count is
    changed where hypothesis reads it when the test runs: the settings `@given` keeps on the
    test function, and the `settings` of a state machine's `TestCase`. Each test function or
    class is changed once, however many parametrised items share it.
    """
    done: set[int] = set()
    for item in items:
        test = getattr(item, "obj", None)
        owner = getattr(item, "cls", None)
        if getattr(test, "_hypothesis_state_machine_class", None) is not None and owner:
            if id(owner) not in done:
                done.add(id(owner))
                owner.settings = _fewer(owner.settings)
        elif getattr(test, "is_hypothesis_test", False):
            function = getattr(test, "__func__", test)
            if id(function) not in done:
                done.add(id(function))
                function._hypothesis_internal_use_settings = _fewer(
                    function._hypothesis_internal_use_settings
                )


def _fewer(full: settings) -> settings:
    return settings(full, max_examples=fast_examples(full.max_examples))


def _cache_dir(config: pytest.Config) -> Path:
    try:
        name = str(config.getini("cache_dir"))
    except ValueError:  # -p no:cacheprovider
        name = ".pytest_cache"
    return config.rootpath / name


def _own_args(config: pytest.Config, args: list[str]) -> list[str]:
    """The arguments of the command line, those that `addopts` put first left out."""
    given = [str(a) for a in args]
    added = [str(a) for a in config.getini("addopts")]
    return given[len(added) :] if given[: len(added)] == added else given
