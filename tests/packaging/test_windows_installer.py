"""The NSIS script compiles here (Debian's makensis) against the Windows build's file layout.

The payload is a placeholder with the layout PyInstaller gives on Windows (`dialer-app.exe`
beside `_internal\\`). makensis at verbosity 4 logs every instruction as it compiled it; the
tests read that log: what the installer writes, and that the uninstaller takes all of it back.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from dialer_app import APP_ID
from dialer_app.core.handlers import URL_SCHEMES, windows_url_protocol_keys

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging" / "windows"))

import build_installer  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("makensis") is None, reason="needs makensis (Debian's nsis)"
)
INSTDIR_EXE = "$INSTDIR\\dialer-app.exe"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Path]:
    tmp = tmp_path_factory.mktemp("nsis")
    app = tmp / "dialer-companion"
    for placeholder in (
        "dialer-app.exe",
        "_internal/python311.dll",
        "_internal/base_library.zip",
        "_internal/PySide6/Qt6Core.dll",
        "_internal/PySide6/plugins/platforms/qwindows.dll",
        "_internal/resources/icons/dialer-companion.svg",
    ):
        (app / placeholder).parent.mkdir(parents=True, exist_ok=True)
        (app / placeholder).write_bytes(b"placeholder " + placeholder.encode())
    installer, log = build_installer.build(app, tmp / "out", tmp / "work", verbosity=4)
    return installer, log, app


def _section(log: str, name: str) -> list[str]:
    lines = log.splitlines()
    start = lines.index(f'Section: "{name}"')
    end = lines.index("SectionEnd", start)
    return lines[start + 1 : end]


def test_the_installer_compiles_into_a_per_user_windows_program(
    compiled: tuple[Path, str, Path],
) -> None:
    installer, log, _app = compiled
    data = installer.read_bytes()
    assert data[:2] == b"MZ"
    # No admin rights: the manifest asks to run as the invoking user, and nothing is machine-wide.
    assert b'requestedExecutionLevel level="asInvoker"' in data
    assert "HKLM" not in log
    assert 'InstallDir: "$LOCALAPPDATA\\Programs\\Dialer Companion"' in log
    assert "SetShellVarContext: current" in log


def test_the_installer_registers_each_scheme_from_the_handlers_module(
    compiled: tuple[Path, str, Path],
) -> None:
    _installer, log, _app = compiled
    written = {
        line.removeprefix("WriteRegStr: HKCU\\")
        for line in _section(log, "Install")
        if line.startswith("WriteRegStr: HKCU\\Software\\Classes\\")
    }
    expected = {f"{v.key}\\{v.name}={v.value}" for v in windows_url_protocol_keys(INSTDIR_EXE)}
    assert written == expected
    assert {w.split("\\")[2] for w in written} == set(URL_SCHEMES)
    shortcut = [x for x in _section(log, "Install") if x.startswith("CreateShortcut:")]
    assert shortcut == [
        f'CreateShortcut: "$SMPROGRAMS\\Dialer Companion.lnk"->"{INSTDIR_EXE}"'
        f"  icon:{INSTDIR_EXE},0, nwd=0, showmode=0x0, hotkey=0x0, comment="
    ]


def test_the_uninstaller_removes_everything_the_installer_added(
    compiled: tuple[Path, str, Path],
) -> None:
    _installer, log, app = compiled
    install, uninstall = _section(log, "Install"), _section(log, "Uninstall")
    written_keys = {
        re.match(r"WriteReg\w+: HKCU\\(.*)\\[^\\]*=", line).group(1)  # type: ignore[union-attr]
        for line in install
        if line.startswith("WriteReg")
    }
    deleted_keys = {
        line.removeprefix("DeleteRegKey: HKCU\\")
        for line in uninstall
        if line.startswith("DeleteRegKey: HKCU\\")
    }
    assert f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{APP_ID}" in deleted_keys
    for key in written_keys:
        assert any(key == d or key.startswith(d + "\\") for d in deleted_keys), key
    # A scheme key goes only while it still opens this installation.
    for scheme in URL_SCHEMES:
        at = uninstall.index(f"DeleteRegKey: HKCU\\Software\\Classes\\{scheme}")
        assert (
            uninstall[at - 2]
            == f"ReadRegStr $0 HKCU\\Software\\Classes\\{scheme}\\shell\\open\\command\\"
        )
        assert uninstall[at - 1].startswith(f'StrCmp "$0" ""{INSTDIR_EXE}" "%1"" ')

    removed = {line for line in uninstall if line.startswith(("Delete: ", "RMDir: "))}
    for entry in app.iterdir():
        if entry.is_dir():
            assert f'RMDir: /r "$INSTDIR\\{entry.name}"' in removed
        else:
            assert f'Delete: "$INSTDIR\\{entry.name}"' in removed
    assert 'Delete: "$INSTDIR\\uninstall.exe"' in removed
    assert 'Delete: "$SMPROGRAMS\\Dialer Companion.lnk"' in removed
    assert 'RMDir: "$INSTDIR"' in removed  # not /r: whatever else the folder holds stays
    assert uninstall[-1] == 'RMDir: "$INSTDIR"'


def test_payload_names_and_values_are_escaped_for_nsis() -> None:
    assert build_installer.nsis_string('say "$1"') == '"say $\\"$$1$\\""'
    assert build_installer.vi_version("1.2.3") == "1.2.3.0"
    assert build_installer.vi_version("2.0.0rc1") == "2.0.0.0"
