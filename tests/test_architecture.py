"""The layers hold: every "never imports" between the app's parts is a row of `RULES`, checked on
the source (AST), and each row also proves it can fail (a planted import is caught).

The parts: `core` (no Qt), `services` (Qt-aware glue, no widgets), `ui` (widgets), `sandbox`
(the local Outreach), and the root — the composition root and the entry points
(`dialer_app/app.py`, `selftest.py`, `cli.py`, `cli_doctor.py`, `__main__.py`); the package's
`__init__` (name and version) is everyone's.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import pkgutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import dialer_app
import dialer_app.core

PACKAGE = Path(dialer_app.__file__).parent
CORE = Path(dialer_app.core.__file__).parent
QT = ("PySide6", "qasync", "shiboken6")
ROOT = tuple(f"dialer_app.{p.stem}" for p in sorted(PACKAGE.glob("*.py")) if p.stem != "__init__")
SERVICES, UI, SANDBOX = "dialer_app.services", "dialer_app.ui", "dialer_app.sandbox"


@dataclass(frozen=True)
class Rule:
    """Modules of `layer` never import any module under `never` (`runtime`: outside
    `if TYPE_CHECKING:` blocks only — a type named in an annotation is not a dependency)."""

    layer: str
    never: tuple[str, ...]
    why: str
    runtime: bool = False

    @property
    def id(self) -> str:
        return f"{self.layer}-never-{self.never[0].removeprefix('dialer_app.')}"


RULES = (
    Rule("core", QT, "core is Qt-free: it runs in scripts, the sender and the doctor alike"),
    Rule("core", (SERVICES,), "dependencies point down: services are built on core"),
    Rule("core", (UI,), "dependencies point down: core never knows the widgets"),
    Rule("core", (SANDBOX,), "the app never runs on the sandbox's code, only talks to it"),
    Rule("core", ROOT, "the composition root builds core, never the other way round"),
    Rule("services", (UI,), "services report by signals; widgets render"),
    Rule("services", (SANDBOX,), "services talk to a backend over HTTP only"),
    Rule("services", ROOT, "the composition root builds the services"),
    Rule(
        "services",
        ("PySide6.QtWidgets", "PySide6.QtGui"),
        "services are Qt-aware glue (QtCore, QtNetwork), never widgets or painting",
    ),
    Rule("ui", (SANDBOX,), "the window talks to Outreach (or the sandbox) through services"),
    Rule("ui", ROOT, "the composition root builds the window"),
    Rule(
        "ui",
        ("dialer_app.core.outbox", "dialer_app.core.sync"),
        "dialogs and the tray take the logbook, never the outbox or its sender",
        runtime=True,
    ),
    Rule(
        "ui",
        ("dialer_app.core.index", "dialer_app.core.index_sync", "dialer_app.core.recent"),
        "the window takes the lookup, never its stores",
        runtime=True,
    ),
    Rule("sandbox", QT, "the sandbox is a server: no Qt"),
    Rule("sandbox", (SERVICES, UI), "the sandbox knows nothing of the app"),
    Rule("sandbox", ROOT, "the sandbox knows nothing of the app"),
    Rule(
        "sandbox",
        ("dialer_app.core.outbox", "dialer_app.core.sync", "dialer_app.core.outreach"),
        "the sandbox shares the call's contract (core.calls, core.terms), not the client",
    ),
)


@dataclass(frozen=True)
class Import:
    module: str
    where: str
    type_only: bool


def layer_files(package: Path, layer: str) -> list[Path]:
    if layer == "root":
        return [p for p in sorted(package.glob("*.py")) if p.stem != "__init__"]
    return sorted((package / layer).rglob("*.py"))


def imports_of(path: Path, package: Path) -> tuple[Import, ...]:
    """Every module `path` imports, made absolute (`from ..ui import x` in `dialer_app/core/a.py`
    gives `dialer_app.ui` and `dialer_app.ui.x`); each file is parsed once while unchanged."""
    return _imports_of(path, package, path.read_text(encoding="utf-8"))


@functools.cache
def _imports_of(path: Path, package: Path, source: str) -> tuple[Import, ...]:
    return tuple(_parse_imports(path, package, source))


def _parse_imports(path: Path, package: Path, source: str) -> Iterator[Import]:
    parts = ("dialer_app", *path.relative_to(package).with_suffix("").parts)
    here = parts[:-1]  # the package the module is in (an `__init__` is its package)
    tree = ast.parse(source)
    type_only_lines = {
        line
        for node in ast.walk(tree)
        if isinstance(node, ast.If)
        and (
            (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
            or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")
        )
        for inner in node.body
        for line in range(inner.lineno, (inner.end_lineno or inner.lineno) + 1)
    }
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - node.level + 1])
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = [module, *(f"{module}.{a.name}" for a in node.names)]
        where = f"{path.relative_to(package.parent)}:{getattr(node, 'lineno', 0)}"
        for name in names:
            yield Import(name, where, getattr(node, "lineno", 0) in type_only_lines)


def violations(rule: Rule, package: Path = PACKAGE) -> list[str]:
    found = []
    for path in layer_files(package, rule.layer):
        for imp in imports_of(path, package):
            if rule.runtime and imp.type_only:
                continue
            if any(imp.module == n or imp.module.startswith(n + ".") for n in rule.never):
                found.append(f"{imp.where}: {imp.module}")
    return sorted(set(found))


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_the_rule_holds(rule: Rule) -> None:
    assert violations(rule) == [], rule.why


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_the_rule_catches_a_planted_import(rule: Rule, tmp_path: Path) -> None:
    """Each row can fail: a module of its layer importing what it forbids is reported, written
    the way the code base writes imports (absolute, and relative where it can be)."""
    package = tmp_path / "dialer_app"
    target = rule.never[0]
    if rule.layer == "root":
        planted = package / "planted.py"
    else:
        planted = package / rule.layer / "deep" / "planted.py"
    planted.parent.mkdir(parents=True)
    ways = [f"import {target}\n"]
    if target.startswith("dialer_app."):
        depth = len(planted.relative_to(package).parts)
        head, _, tail = target.removeprefix("dialer_app.").rpartition(".")
        dots = "." * depth
        ways.append(
            f"from {dots}{head} import {tail}\n" if head else f"from {dots} import {tail}\n"
        )
    if rule.runtime:
        ways.append(
            f"from typing import TYPE_CHECKING\nif not TYPE_CHECKING:\n    import {target}\n"
        )
    for way in ways:
        planted.write_text(way, encoding="utf-8")
        assert violations(rule, package), f"{rule.id} missed: {way!r}"
    if rule.runtime:  # and only the runtime ones: a type named in an annotation is allowed
        planted.write_text(
            f"from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import {target}\n",
            encoding="utf-8",
        )
        assert violations(rule, package) == []


def test_every_part_of_the_package_is_covered_by_the_table() -> None:
    layers = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert layers == {"core", "services", "ui", "sandbox"}
    assert {r.layer for r in RULES} == {"core", "services", "ui", "sandbox"}
    assert "dialer_app.app" in ROOT
    assert "dialer_app.selftest" in ROOT


def test_importing_all_of_core_loads_no_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages([str(CORE)], "dialer_app.core.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(k for k in sys.modules if k.split('.')[0] in {QT!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert len(modules) > 5
    assert out.strip() == "[]"


# -- the first paint ---------------------------------------------------------------------------
# A cold start paints the window's frame — its title and search box, where it was left — before
# anything else loads: the budget is 1.3 × a bare PySide6 window (tests/benchmarks/startup.py),
# some 35 ms over that window for everything the app does first. `tests/support/first_paint.py`
# reports what a real start has loaded at that paint.

# The app's own modules a start may load before its first paint: each new one needs a reason.
OWN_BEFORE_FIRST_PAINT = frozenset(
    {
        "dialer_app",
        "dialer_app.__main__",
        "dialer_app.app",
        "dialer_app.cli",
        "dialer_app.core",
        "dialer_app.core.files",
        "dialer_app.core.logfile",
        "dialer_app.core.logsafe",
        "dialer_app.core.paths",
        "dialer_app.core.phone",
        "dialer_app.core.remote",
        "dialer_app.core.text",
        "dialer_app.services",
        "dialer_app.services.instance",
        "dialer_app.ui",
        "dialer_app.ui.keyed",
        "dialer_app.ui.main_window",
        "dialer_app.ui.probe",
        "dialer_app.ui.resources",
        "dialer_app.ui.search_panel",
        "dialer_app.ui.text",
    }
)
# Libraries that load only after it, and why they can wait.
NOT_BEFORE_FIRST_PAINT = {
    "asyncio": "qasync's loop starts after the paint",
    "qasync": "its loop starts after the paint",
    "httpx": "the network stack connects after the paint",
    "pydantic": "Outreach's answers are parsed after the paint",
    "sqlite3": "the outbox opens after the paint",
    "ssl": "the network stack connects after the paint",
    "phonenumbers": "numbers are read once the rep types one",
    "keyring": "the keychain is asked after the paint",
    "json": "settings, profiles and the lock file's socket are read after the paint",
    "hashlib": "the single-instance socket is named after the paint",
    "platformdirs": "DIALER_HOME names every folder (as in the benchmark)",
    "datetime": "nothing is timed or moved aside before the paint",
    "platform": "the start-up line takes the system's release and machine from os.uname",
    "dataclasses": "the records made first are named tuples: a dataclass compiles its methods",
    "zoneinfo": "the prospects' time zones come with the card",
    "PySide6.QtNetwork": "the single-instance socket listens after the paint",
}
# Qt classes whose Python side (every enum they hold) is made on first use, and can wait.
QT_CLASSES_NOT_BEFORE_FIRST_PAINT = {
    ("PySide6.QtCore", "Qt"): "Qt's namespace: ~100 enums, 1,200 members, made at once",
    ("PySide6.QtWidgets", "QStyle"): "the style's enums (the matches' painter uses them)",
    ("PySide6.QtWidgets", "QMessageBox"): "questions come later",
    ("PySide6.QtWidgets", "QListView"): "the list of matches is added after the paint",
    ("PySide6.QtGui", "QIcon"): "the icon (its class, ~150 theme names, the svg plugin) follows",
}


def first_paint_state(home: Path, *pre: str) -> dict[str, object]:
    """What a demo-mode start on `home` has loaded at its window's first paint (`pre`: Python
    statements run before the app starts, to plant what must be caught)."""
    setup = "; ".join([*pre, "from tests.support.first_paint import main", "main()"])
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "DIALER_HOME": str(home),
        "DIALER_STARTUP_PROBE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", setup],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=PACKAGE.parent,
        timeout=120,
    ).stdout
    from tests.support.first_paint import MARK

    (line,) = [x for x in out.splitlines() if x.startswith(MARK)]
    state: dict[str, object] = json.loads(line[len(MARK) :])
    return state


def too_early(state: dict[str, object]) -> list[str]:
    """What the start loaded before its first paint that it must not have, with why not."""
    modules = set(state["modules"])  # type: ignore[call-overload]
    classes: dict[str, list[str]] = state["qt_classes"]  # type: ignore[assignment]
    found = [
        f"{m}: not one of the modules the frame needs"
        for m in sorted(modules)
        if m.startswith("dialer_app.") and m not in OWN_BEFORE_FIRST_PAINT
    ]
    found += [
        f"{name}: {why}"
        for name, why in NOT_BEFORE_FIRST_PAINT.items()
        if name in modules or any(m.startswith(name + ".") for m in modules)
    ]
    found += [
        f"{module}.{name}: {why}"
        for (module, name), why in QT_CLASSES_NOT_BEFORE_FIRST_PAINT.items()
        if name in classes.get(module, [])
    ]
    return found


def test_the_first_paint_waits_for_nothing_heavy(tmp_path: Path) -> None:
    """A cold start paints the window — titled, the search box in sight with the keys in it —
    having loaded only what that frame needs."""
    state = first_paint_state(tmp_path)
    assert too_early(state) == []
    assert state["title"] == dialer_app.APP_NAME
    assert "Prospect search" in state["shown"]  # type: ignore[operator]
    assert state["focus"] == "Prospect search"


def test_the_first_paint_rule_catches_what_loads_too_early(tmp_path: Path) -> None:
    planted = (
        "import json, sqlite3",
        "import dialer_app.core.desk",
        "from PySide6.QtCore import Qt",
    )
    found = too_early(first_paint_state(tmp_path, *planted))
    for name in ("json:", "sqlite3:", "dialer_app.core.desk:", "PySide6.QtCore.Qt:"):
        assert any(f.startswith(name) for f in found), (name, found)


def test_the_ui_holds_only_widgets() -> None:
    """No store or service is built in `ui/`: the composition root does that."""
    builders = {
        "Outbox",
        "Queue",
        "ProspectIndex",
        "RecentProspects",
        "Connection",
        "Lookup",
        "Logbook",
        "build_services",
        "QApplication",
    }
    built = [
        f"{path.name}:{node.lineno}: {node.func.id}"
        for path in layer_files(PACKAGE, "ui")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in builders
    ]
    assert built == []
