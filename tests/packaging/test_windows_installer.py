"""The NSIS script compiles here (Debian's makensis) against the Windows build's file layout,
and the 64-bit installer it makes installs, registers and uninstalls under Wine.

The payload is a placeholder with the layout PyInstaller gives on Windows (`dialer-app.exe`
beside `_internal\\`). makensis at verbosity 4 logs every instruction as it compiled it; the
fast tests read that log: what the installer writes, and that the uninstaller takes all of it
back. The slow test runs the installer silently under Wine (Debian's `wine64` runs 64-bit
Windows programs) and reads back the registry and the files it wrote, then uninstalls.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dialer_app import APP_ID
from dialer_app.core.handlers import (
    URL_SCHEMES,
    WINDOWS_REGISTERED_APPLICATIONS_KEY,
    windows_default_app_keys,
    windows_url_protocol_keys,
)

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
    # A 64-bit program (PE32+ for x86-64) for the 64-bit app.
    pe = int.from_bytes(data[0x3C:0x40], "little")
    assert data[pe : pe + 4] == b"PE\0\0"
    assert int.from_bytes(data[pe + 4 : pe + 6], "little") == 0x8664
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
        if line.startswith("WriteRegStr: HKCU\\Software\\") and "\\Uninstall\\" not in line
    }
    expected = {
        f"{v.key}\\{v.name}={v.value}"
        for v in [
            *windows_url_protocol_keys(INSTDIR_EXE),
            *windows_default_app_keys(INSTDIR_EXE),
        ]
    }
    assert written == expected
    protocols = {w.split("\\")[2] for w in written if w.startswith("Software\\Classes\\")}
    assert protocols == {*URL_SCHEMES, "DialerCompanion.Link"}
    associations = {w.split("\\")[-1].split("=")[0] for w in written if "\\URLAssociations\\" in w}
    assert associations == set(URL_SCHEMES)
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
    deleted_values = {
        line.removeprefix("DeleteRegValue: HKCU\\")
        for line in uninstall
        if line.startswith("DeleteRegValue: HKCU\\")
    }
    assert f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{APP_ID}" in deleted_keys
    for key in written_keys - {WINDOWS_REGISTERED_APPLICATIONS_KEY}:
        assert any(key == d or key.startswith(d + "\\") for d in deleted_keys), key
    # RegisteredApplications is every app's: only our value goes, never the key.
    assert WINDOWS_REGISTERED_APPLICATIONS_KEY not in deleted_keys
    assert deleted_values == {f"{WINDOWS_REGISTERED_APPLICATIONS_KEY}\\Dialer Companion"}
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


# -- under Wine ---------------------------------------------------------------------------------

WINE = shutil.which("wine")
OTHER = r"C:\Program Files\Other Phone\other.exe"
# What Wine itself keeps up to date in the registry while programs run (fonts, menus, …).
WINE_HOUSEKEEPING = ("Software\\Wine\\",)


def _unescape(text: str) -> str:
    """A string as Wine's registry files escape it."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            n = text[i + 1]
            if n == "x":
                digits = re.match(r"[0-9a-fA-F]{1,4}", text[i + 2 :])
                assert digits, text
                out.append(chr(int(digits.group(), 16)))
                i += 2 + len(digits.group())
                continue
            out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def read_wine_registry(path: Path) -> dict[str, dict[str, str]]:
    """HKEY_CURRENT_USER as Wine stores it (user.reg): key → {value name → value}, with
    "" for a key's default value; numbers as `dword:…`, binary data as `hex…:…`."""
    keys: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        while line.endswith("\\") and i + 1 < len(lines):  # hex data continues
            i += 1
            line = line[:-1] + lines[i].strip()
        i += 1
        if line.startswith("["):
            name = line[1 : line.rindex("]")]
            current = keys.setdefault(_unescape(name), {})
        elif current is not None and line[:1] in ('"', "@"):
            if line.startswith("@="):
                name, raw = "", line[2:]
            else:
                match = re.match(r'"((?:[^"\\]|\\.)*)"=(.*)', line)
                assert match, line
                name, raw = _unescape(match.group(1)), match.group(2)
            if raw.startswith('"'):
                value = _unescape(raw[1:-1])
            elif raw.startswith('str(2):"'):
                value = _unescape(raw[len('str(2):"') : -1])
            else:
                value = raw
            current[name] = value
    return keys


def _values(registry: dict[str, dict[str, str]]) -> set[tuple[str, str, str]]:
    return {
        (key, name, value)
        for key, values in registry.items()
        if not key.startswith(WINE_HOUSEKEEPING)
        for name, value in values.items()
    }


class Wine:
    """A throw-away Windows user profile under Wine, with no display and no host menus."""

    def __init__(self, root: Path) -> None:
        self.prefix = root / "prefix"
        home = root / "home"
        home.mkdir()
        self.env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
            "USER": "rep",
            "LANG": "C.UTF-8",
            "WINEPREFIX": str(self.prefix),
            "WINEDEBUG": "-all",
            # No Mono or Gecko download prompts, no menu entries on the host.
            "WINEDLLOVERRIDES": "mscoree,mshtml=;winemenubuilder.exe=d",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        assert WINE is not None
        result = subprocess.run(
            [WINE, *args], env=self.env, capture_output=True, text=True, timeout=300, check=False
        )
        self.wait()
        return result

    def wait(self) -> None:
        """Until every Wine process of this prefix has ended (the registry is then on disk)."""
        subprocess.run(["wineserver", "-w"], env=self.env, timeout=300, check=True)

    def reg_add(self, key: str, name: str, value: str) -> None:
        where = ["/ve"] if name == "" else ["/v", name]
        result = self.run("reg", "add", f"HKCU\\{key}", *where, "/d", value, "/f")
        assert result.returncode == 0, result.stderr

    def registry(self) -> dict[str, dict[str, str]]:
        return read_wine_registry(self.prefix / "user.reg")

    def path(self, windows_path: str) -> Path:
        assert windows_path[1:3] == ":\\", windows_path
        drive = self.prefix / "dosdevices" / windows_path[:2].lower()
        return drive.resolve().joinpath(*windows_path[3:].split("\\"))


def _scheme_keys(exe: str, scheme: str, label: str) -> list[tuple[str, str, str]]:
    root = f"Software\\Classes\\{scheme}"
    return [
        (root, "", label),
        (root, "URL Protocol", ""),
        (f"{root}\\DefaultIcon", "", f'"{exe}",0'),
        (f"{root}\\shell\\open\\command", "", f'"{exe}" "%1"'),
    ]


@pytest.mark.slow
@pytest.mark.timeout(600)
@pytest.mark.skipif(WINE is None, reason="needs Wine (Debian's wine and wine64: .ci/bootstrap)")
def test_under_wine_the_installer_registers_the_app_and_the_uninstaller_takes_it_all_back(
    compiled: tuple[Path, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    installer, _log, app = compiled
    started = time.monotonic()
    wine = Wine(tmp_path)
    wine.run("wineboot", "--init")
    # Another phone app already opens tel: links, and registered itself for Default apps.
    other_tel = _scheme_keys(OTHER, "tel", "URL:tel (Other Phone)")
    for key, name, value in other_tel:
        wine.reg_add(key, name, value)
    wine.reg_add(WINDOWS_REGISTERED_APPLICATIONS_KEY, "Other Phone", r"Software\Other\Capabilities")
    before = _values(wine.registry())
    setup_s = time.monotonic() - started

    result = wine.run(str(installer), "/S")
    assert result.returncode == 0, result.stderr
    install_dir = f"C:\\users\\{wine.env['USER']}\\AppData\\Local\\Programs\\Dialer Companion"
    exe = f"{install_dir}\\dialer-app.exe"

    # Every key it wrote, read back: the free schemes and the Default-apps registration are
    # ours, the uninstall entry is there; tel: stays the other app's.
    installed = wine.registry()
    added = _values(installed) - before
    uninstall_key = f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{APP_ID}"
    ours = {
        (v.key, v.name, v.value)
        for v in [*windows_url_protocol_keys(exe), *windows_default_app_keys(exe)]
        if not v.key.startswith("Software\\Classes\\tel")
    }
    assert {a for a in added if a[0] != uninstall_key} == ours
    assert set(other_tel) <= _values(installed)
    entry = installed[uninstall_key]
    assert entry["DisplayName"] == "Dialer Companion"
    assert entry["InstallLocation"] == install_dir
    assert entry["UninstallString"] == f'"{install_dir}\\uninstall.exe"'
    assert entry["QuietUninstallString"] == f'"{install_dir}\\uninstall.exe" /S'
    assert entry["NoModify"] == entry["NoRepair"] == "dword:00000001"
    assert set(entry) == {
        "DisplayName", "DisplayVersion", "Publisher", "DisplayIcon", "InstallLocation",
        "UninstallString", "QuietUninstallString", "NoModify", "NoRepair", "EstimatedSize",
    }  # fmt: skip
    # Every file it wrote, read back: the payload byte for byte, the uninstaller, the shortcut.
    folder = wine.path(install_dir)
    payload = {p.relative_to(app): p.read_bytes() for p in app.rglob("*") if p.is_file()}
    files = {p.relative_to(folder): p for p in folder.rglob("*") if p.is_file()}
    assert set(files) == {*payload, Path("uninstall.exe")}
    assert all(files[p].read_bytes() == data for p, data in payload.items())
    assert files[Path("uninstall.exe")].read_bytes()[:2] == b"MZ"
    start_menu = wine.path(
        f"C:\\users\\{wine.env['USER']}\\AppData\\Roaming\\Microsoft\\Windows"
        "\\Start Menu\\Programs\\Dialer Companion.lnk"
    )
    assert start_menu.is_file()

    # Then the rep installs another softphone that takes sip: links over, and uninstalls us.
    other_sip = _scheme_keys(OTHER, "sip", "URL:sip (Other Phone)")
    for key, name, value in other_sip:
        wine.reg_add(key, name, value)
    result = wine.run(f"{install_dir}\\uninstall.exe", "/S")
    assert result.returncode == 0, result.stderr

    after = wine.registry()
    assert _values(after) == before | set(other_sip)  # nothing of ours, both others' kept
    leftovers = [
        (key, name, value)
        for key, name, value in _values(after)
        if "Dialer Companion" in f"{key}{name}{value}" or "DialerCompanion" in key
    ]
    assert leftovers == []
    assert not any(k.startswith(("Software\\Dialer Companion", uninstall_key)) for k in after)
    assert not folder.exists()
    assert not start_menu.exists()
    assert not (tmp_path / "home" / ".local" / "share" / "applications").exists()
    with capsys.disabled():
        print(
            f"\nWine: prefix {setup_s:.1f} s, install, read back and uninstall"
            f" {time.monotonic() - started - setup_s:.1f} s"
        )
