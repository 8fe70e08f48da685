"""Every Debian package is named once (packaging/linux/debian-packages), and the list is exactly
what the app links: readelf and ldd over the frozen folder and the project's PySide6, each
library mapped to its package with dpkg. The bootstrap, the .deb and the release workflow read
the same list."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.packaging import debian
from tests.packaging import workflow as wf
from tests.packaging.conftest import Built

ROOT = wf.ROOT
sys.path.insert(0, str(ROOT / "packaging" / "linux"))

import system_packages  # noqa: E402

pytestmark = pytest.mark.skipif(
    shutil.which("dpkg-query") is None, reason="needs dpkg (Debian or Ubuntu)"
)
GROUPS = system_packages.groups()
BOOTSTRAPPED = [g for g in GROUPS if g != "new_user"]
GLIBC = {"libc6"}
# Libraries of the toolchain that PyInstaller bundles (and the wheels assume).
TOOLCHAIN = {"libstdc++6", "libgcc-s1"}
QT = Path(__import__("PySide6").__file__).parent / "Qt"
# What the brief names: the xcb platform plugin, its platform library and Qt Gui.
QT_XCB = [
    QT / "plugins" / "platforms" / "libqxcb.so",
    QT / "lib" / "libQt6XcbQpa.so.6",
    QT / "lib" / "libQt6Gui.so.6",
]


def _wayland_only(relative: str) -> bool:
    """Files of the Wayland platform: without Wayland's libraries the app runs on X11."""
    return any(
        part in relative
        for part in ("libqwayland", "libQt6WaylandClient", "libQt6WlShell", "/wayland-")
    )


def test_every_package_is_named_once_and_is_a_real_debian_package() -> None:
    named = [p for packages in GROUPS.values() for p in packages]
    assert len(named) == len(set(named)), sorted(p for p in named if named.count(p) > 1)
    assert set(GROUPS) >= {"new_user", "qt_runtime", "qt_wayland", "desktop"}
    unknown = set(named) - debian.known_to_apt(named)
    assert unknown == set()
    # The list is plain sh: what sh reads is what a line-by-line look at the file shows.
    text = (ROOT / "packaging" / "linux" / "debian-packages").read_text()
    for name, packages in GROUPS.items():
        value = re.search(rf'^{name}="([^"]*)"', text, re.M)
        assert value is not None, name
        assert value.group(1).split() == packages, name


def _stub(folder: Path, name: str, body: str = "") -> None:
    path = folder / name
    path.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "with open(os.environ['STUB_LOG'], 'a') as f:\n"
        f"    f.write(json.dumps([{name!r}, *sys.argv[1:]]) + '\\n')\n" + body
    )
    path.chmod(0o755)


@dataclass
class _Bootstrap:
    """`.ci/bootstrap` in a project of its own, on a machine of stubs: dpkg-query (nothing or
    everything installed), apt-get and sudo, and the virtualenv's python and uv. Every stub
    writes its command line to `log`."""

    project: Path
    stubs: Path
    log: Path

    def run(self, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["sh", str(self.project / ".ci" / "bootstrap")],
            env={"PATH": f"{self.stubs}:/usr/bin:/bin", "STUB_LOG": str(self.log), **env},
            capture_output=True,
            text=True,
            check=False,
        )

    def calls(self) -> list[list[str]]:
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def installs(self) -> list[list[str]]:
        """The packages of each `apt-get install`."""
        return [
            [a for a in c[2:] if not a.startswith("-")]
            for c in self.calls()
            if c[:2] == ["apt-get", "install"]
        ]


def _bootstrap(tmp_path: Path, *, installed: bool, venv: bool = True) -> _Bootstrap:
    project = tmp_path / "project"
    (project / ".ci").mkdir(parents=True)
    (project / "packaging" / "linux").mkdir(parents=True)
    shutil.copy(ROOT / ".ci" / "bootstrap", project / ".ci" / "bootstrap")
    shutil.copy(system_packages.LIST, project / "packaging" / "linux" / "debian-packages")
    stubs = tmp_path / "bin"
    stubs.mkdir()
    answer = "echo 'install ok installed'" if installed else "exit 1"
    (stubs / "dpkg-query").write_text(f"#!/bin/sh\n{answer}\n")
    (stubs / "dpkg-query").chmod(0o755)
    _stub(stubs, "apt-get")
    _stub(stubs, "sudo", "os.execvp(sys.argv[1], sys.argv[1:])\n")
    if venv:
        tools = project / ".venv" / "bin"
        tools.mkdir(parents=True)
        _stub(tools, "python")
        _stub(tools, "uv")
    return _Bootstrap(project, stubs, tmp_path / "calls.jsonl")


def test_the_bootstrap_installs_every_group_but_what_a_new_user_has(tmp_path: Path) -> None:
    """`.ci/bootstrap` run on a machine where no package is installed (dpkg-query and apt-get
    stubbed, the virtualenv's tools too): it asks apt for every listed package once, and for
    nothing a new user already has."""
    boot = _bootstrap(tmp_path, installed=False)
    result = boot.run(PYTHON=sys.executable)
    assert result.returncode == 0, result.stdout + result.stderr
    installs = boot.installs()
    assert len(installs) == 1
    assert sorted(installs[0]) == sorted(p for g in BOOTSTRAPPED for p in GROUPS[g])
    assert [
        "uv",
        "sync",
        "--quiet",
        "--frozen",
        "--inexact",
        "--compile-bytecode",
        "--python",
        ".venv/bin/python",
    ] in boot.calls()


def test_the_bootstrap_refuses_a_python_older_than_3_11_before_installing_anything(
    tmp_path: Path,
) -> None:
    """Ubuntu 22.04's python3 is 3.10: the bootstrap says which Python it needs and how to name
    one, and installs nothing, makes no .venv."""
    boot = _bootstrap(tmp_path, installed=False, venv=False)
    _stub(
        boot.stubs,
        "python3",
        "if sys.argv[1:] == ['-V']:\n    print('Python 3.10.12')\n    sys.exit(0)\nsys.exit(1)\n",
    )
    result = boot.run()
    assert result.returncode == 1
    assert "needs Python 3.11 or newer; python3 is: Python 3.10.12" in result.stderr
    assert "PYTHON=python3.11 sh .ci/bootstrap" in result.stderr
    assert [c[0] for c in boot.calls()] == ["python3", "python3"]  # the check and -V: nothing else
    assert not (boot.project / ".venv").exists()


@pytest.mark.parametrize("name", ["python", "python3", "python3.11"])
def test_the_bootstrap_installs_the_venv_of_the_python_it_uses(tmp_path: Path, name: str) -> None:
    """A Python without its venv module (Debian splits it out) gets the package of its own
    version, whatever the command is called (`python` on python-is-python3, `python3.11`)."""
    boot = _bootstrap(tmp_path, installed=True)  # every listed package is there
    _stub(  # Python 3.11 without ensurepip
        boot.stubs,
        name,
        "code = sys.argv[2] if sys.argv[1:2] == ['-c'] else ''\n"
        "if 'ensurepip' in code:\n    sys.exit(1)\n"
        "if 'venv' in code:\n    print('python3.11-venv')\n",
    )
    result = boot.run(PYTHON=name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert boot.installs() == [["python3.11-venv"]]


def test_the_project_qt_finds_every_library_it_links_in_a_listed_package() -> None:
    """Running from source (the quick start) uses the project's PySide6: the xcb platform plugin,
    its library and Qt Gui load with what the bootstrap installs, nothing else."""
    wanted = debian.closure(p for g in BOOTSTRAPPED for p in GROUPS[g])
    for library in QT_XCB:
        found, missing = debian.ldd(library)
        assert missing == set(), f"{library.name} misses {missing}: add their package"
        system = {path for path in found.values() if not path.startswith(str(QT))}
        owners = debian.owners(system)
        assert set(owners) == system, f"no package owns {system - set(owners)}"
        outside = set(owners.values()) - wanted
        assert outside == set(), f"{library.name} needs {outside}, which the list does not pull"


@pytest.mark.slow
def test_the_list_is_exactly_what_the_frozen_app_links_and_nothing_declared_is_bundled(
    built: Built,
) -> None:
    """readelf over every file of the frozen folder: each library it links and does not bundle
    belongs to a package of qt_runtime (or qt_wayland, when only the Wayland platform needs it),
    every package there is needed, and no bundled library belongs to a declared package."""
    internal = built.folder / "_internal"
    bundled = {p.name for p in internal.rglob("*.so*")}
    index = debian.library_index()
    users: dict[str, set[str]] = {}
    for path in debian.elf_files(built.folder):
        relative = str(path.relative_to(built.folder))
        for name in system_packages.needed(path):
            if name not in bundled:
                users.setdefault(name, set()).add(relative)
    not_installed = sorted(name for name in users if name not in index)
    assert not_installed == [], f"linked but not on this machine: {not_installed}"
    owner = debian.owners(index[name] for name in users)
    unowned = sorted(name for name in users if index[name] not in owner)
    assert unowned == [], f"no package owns {unowned}"
    runtime: dict[str, set[str]] = {}
    wayland: dict[str, set[str]] = {}
    for name, files in users.items():
        package = owner[index[name]]
        if package in GLIBC:
            continue
        into = wayland if all(_wayland_only(f) for f in files) else runtime
        into.setdefault(package, set()).update(files)
    assert set(runtime) == set(GROUPS["qt_runtime"]), {
        "needed, not listed": {
            p: sorted(runtime[p])[:3] for p in set(runtime) - set(GROUPS["qt_runtime"])
        },
        "listed, not needed": sorted(set(GROUPS["qt_runtime"]) - set(runtime)),
    }
    assert set(wayland) == set(GROUPS["qt_wayland"])
    # No hidden gap: what the package declares is never also bundled from the build machine.
    declared = system_packages.package_libraries(
        system_packages.packages(*system_packages.DEPENDS, *system_packages.RECOMMENDS)
    )
    assert sorted(bundled & declared) == []
    bundled_owners = debian.owners(
        index[p.name] for p in internal.glob("lib*.so*") if p.name in index
    )
    assert not set(bundled_owners.values()) & set(GROUPS["qt_runtime"])
    # The toolchain's libraries are bundled (PyInstaller's choice), glibc never.
    assert not GLIBC & set(bundled_owners.values())


@pytest.mark.slow
def test_the_deb_declares_the_list(built: Built) -> None:
    fields = subprocess.run(
        ["dpkg-deb", "-f", str(built.deb), "Depends", "Recommends"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    declared = dict(line.split(": ", 1) for line in fields.splitlines())
    glibc = system_packages.glibc_needed(built.folder)
    assert declared["Depends"].split(", ") == [
        f"libc6 (>= {glibc})",
        *GROUPS["qt_runtime"],
    ]
    assert declared["Recommends"].split(", ") == [*GROUPS["qt_wayland"], *GROUPS["desktop"]]
    assert tuple(int(n) for n in glibc.split(".")) <= (2, 36)  # Debian 12 runs it


def test_every_program_the_tests_and_the_app_look_for_comes_from_the_list() -> None:
    """`shutil.which("…")` in the tests and the app: each program is installed by a listed
    package (or is part of every Debian system), so the bootstrap gives CI everything a test
    would skip without."""
    sources = [*ROOT.joinpath("tests").rglob("*.py"), *ROOT.joinpath("dialer_app").rglob("*.py")]
    programs = {
        match
        for path in sources
        for match in re.findall(r'shutil\.which\(\s*"([\w.+-]+)"', path.read_text())
    }
    assert {"wine", "makensis", "baresip", "xdg-mime"} <= programs
    wanted = debian.closure(p for g in BOOTSTRAPPED for p in GROUPS[g]) | debian.base_system()
    for program in sorted(programs - {"dialer-app"}):
        path = shutil.which(program)
        assert path is not None, f"{program}: not installed; which package has it?"
        package = debian.path_owner(Path(path))
        assert package in wanted, f"{program} comes from {package}, which is not in the list"
