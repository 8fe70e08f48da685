"""The PyInstaller spec, read as PyInstaller reads it, with its build steps recorded, not run.

The Linux build itself is tested end to end in test_linux_package.py; here: what the spec asks
for on each platform — above all the macOS bundle, which cannot be built on this machine.
"""

from __future__ import annotations

import plistlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dialer_app import APP_ID, APP_NAME, __version__
from dialer_app.core.handlers import macos_url_types

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "packaging" / "dialer-companion.spec"
SAMPLE_BINARIES = [
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/imageformats/libqsvg.so",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6\\Qt\\plugins\\imageformats\\qpdf.dll",
    "PySide6/Qt/lib/libQt6Widgets.so.6",
    "PySide6/Qt/lib/libQt6Network.so.6",
    "libcairo.so.2",
    "libglib-2.0.so.0",
]
SAMPLE_DATAS = ["PySide6/Qt/translations/qtbase_de.qm", "PySide6/Qt/translations/qtquick_de.qm"]


class _Recorded:
    calls: dict[str, dict[str, Any]]

    def __init__(self, name: str, calls: dict[str, dict[str, Any]]) -> None:
        self.name, self.calls = name, calls

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls[self.name] = {"args": args, **kwargs}
        if self.name == "Analysis":
            a = type("A", (), {})()
            a.binaries = [(dest, "src", "BINARY") for dest in SAMPLE_BINARIES]
            a.datas = [(dest, "src", "DATA") for dest in SAMPLE_DATAS]
            a.pure, a.scripts = [], []
            return a
        return object()


def _read_spec(monkeypatch: pytest.MonkeyPatch, platform: str) -> dict[str, dict[str, Any]]:
    import PyInstaller.utils.hooks  # noqa: F401 - imported for this machine, before the patch

    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(sys, "path", list(sys.path))
    calls: dict[str, dict[str, Any]] = {}
    namespace: dict[str, Any] = {"SPECPATH": str(SPEC.parent), "__file__": str(SPEC)}
    for name in ("Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"):
        namespace[name] = _Recorded(name, calls)
    exec(compile(SPEC.read_text(), str(SPEC), "exec"), namespace)
    calls["result"] = {"binaries": namespace["a"].binaries, "datas": namespace["a"].datas}
    return calls


def test_macos_bundle_registers_the_schemes_from_the_handlers_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _read_spec(monkeypatch, "darwin")
    bundle = calls["BUNDLE"]
    assert bundle["name"] == f"{APP_NAME}.app"
    assert bundle["bundle_identifier"] == APP_ID
    assert bundle["version"] == __version__
    plist = bundle["info_plist"]
    assert plist["CFBundleURLTypes"] == macos_url_types()
    assert plist["CFBundleShortVersionString"] == __version__
    assert plistlib.loads(plistlib.dumps(plist)) == plist  # a valid Info.plist
    assert calls["EXE"]["entitlements_file"].endswith("packaging/macos/entitlements.plist")
    assert Path(calls["EXE"]["entitlements_file"]).is_file()


def test_one_folder_build_named_after_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    linux = _read_spec(monkeypatch, "linux")
    assert "BUNDLE" not in linux
    assert linux["EXE"]["name"] == "dialer-app"
    assert linux["EXE"]["exclude_binaries"] is True  # one folder, not one file
    assert linux["COLLECT"]["name"] == "dialer-companion"
    assert linux["EXE"]["console"] is True
    assert _read_spec(monkeypatch, "win32")["EXE"]["console"] is False  # no console window
    assert _read_spec(monkeypatch, "darwin")["EXE"]["console"] is False  # else background-only


def test_unused_qt_plugins_their_libraries_and_translations_are_left_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    result = _read_spec(monkeypatch, "linux")["result"]
    kept = {dest for dest, _src, _kind in result["binaries"]}
    assert kept == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/lib/libQt6Widgets.so.6",
        "PySide6/Qt/lib/libQt6Network.so.6",  # the single-instance socket
        # libglib-2.0.so.0 is left out too: the .deb depends on libglib2.0-0 (the list), so the
        # system's is used, never the build machine's.
    }
    assert [d for d, _s, _k in result["datas"]] == ["PySide6/Qt/translations/qtbase_de.qm"]
    # Elsewhere the system libraries stay with PyInstaller's choice.
    windows = _read_spec(monkeypatch, "win32")["result"]
    assert "libglib-2.0.so.0" in {dest for dest, _src, _kind in windows["binaries"]}


def test_excluded_modules_are_not_imported_by_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    excludes = _read_spec(monkeypatch, "linux")["Analysis"]["excludes"]
    probe = (
        "import sys, dialer_app.cli, dialer_app.app, dialer_app.selftest, "
        "dialer_app.ui.main_window, dialer_app.sandbox.cli, dialer_app.sandbox.server; "
        f"print([m for m in {excludes!r} if m in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
