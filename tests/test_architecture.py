"""The layers hold: core never imports Qt."""

from __future__ import annotations

import ast
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import dialer_app.core

CORE = Path(dialer_app.core.__file__).parent
QT_MODULES = ("PySide6", "qasync", "shiboken6")


def test_no_core_module_imports_qt_in_its_source() -> None:
    offenders = []
    for path in CORE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT_MODULES]
    assert offenders == []


def test_importing_all_of_core_loads_no_qt() -> None:
    modules = [m.name for m in pkgutil.walk_packages([str(CORE)], "dialer_app.core.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(k for k in sys.modules if k.split('.')[0] in {QT_MODULES!r}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert len(modules) > 5
    assert out.strip() == "[]"


def test_the_window_paints_before_the_network_stack_loads() -> None:
    """`ui.app` builds and paints the window first; what it imports for that must stay light."""
    heavy = ("pydantic", "httpx", "qasync", "phonenumbers", "sqlite3", "asyncio")
    code = (
        "import sys, dialer_app.cli, dialer_app.app\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[]"
