"""The Linux package from a clean build: install it, run the installed app's self-test, remove it.

As root (CI) the .deb is installed for real with `dpkg -i` and purged afterwards; otherwise (or
with DIALER_PACKAGING_SCRATCH_ROOT=1) into a scratch root with `dpkg --root`. The build goes to
build/ and dist/ (the benchmark runner reads the package size from dist/). Prints the figures:
package and folder size, build time, the installed app's first start and its cold start to the
first painted window.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dialer_app import APP_ID
from dialer_app.core.handlers import desktop_entry
from tests.packaging.conftest import Built

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging" / "linux"))

import system_packages  # noqa: E402

PACKAGE = "dialer-companion"
BUDGET_MB = 80
SCRATCH_ENV = "DIALER_PACKAGING_SCRATCH_ROOT"  # set: a scratch root even as root
WAYLAND_LIBRARIES = ("libwayland-client.so.0", "libwayland-cursor.so.0", "libwayland-egl.so.1")
# Lines the installed app may print on stderr without failing the test (Qt's messages reach
# stderr through the app's log, as "WARNING qt: …").
# WORKAROUND: the offscreen platform plugin warns on every top-level show(); it says nothing
# about the app, only that this plugin has no window manager to pass size hints to.
EXPECTED_STDERR = ("This plugin does not support propagateSizeHints()",)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="needs dpkg-deb (Debian)"),
]


def _run(*cmd: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        **kwargs,  # type: ignore[call-overload]
    )
    assert result.returncode == 0, f"{cmd}:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result  # type: ignore[no-any-return]


@dataclass
class Installed:
    """Where the package went: `root` is "/" for a real install, else the scratch root."""

    root: Path
    dpkg: list[str]
    paths: list[str]  # every path in the package, as installed ("/opt/…")
    existed: set[str]  # those that were there before (shared folders such as /usr/bin)

    def path(self, installed: str) -> Path:
        return self.root / installed.lstrip("/")


@pytest.fixture(scope="module")
def installed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    names = _run("dpkg-deb", "-c", built.deb).stdout.splitlines()
    paths = [line.split(maxsplit=5)[5].split(" -> ")[0].lstrip(".") for line in names]
    paths = [p.rstrip("/") for p in paths if p.rstrip("/")]
    if os.geteuid() == 0 and not os.environ.get(SCRATCH_ENV):
        status = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", PACKAGE], capture_output=True, text=True
        )
        assert "installed" not in status.stdout.split(), f"{PACKAGE} is already installed here"
        root, dpkg = Path("/"), ["dpkg"]
    else:
        root = tmp_path_factory.mktemp("scratch-root")
        for folder in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/log"):
            (root / folder).mkdir(parents=True)
        for file in ("var/lib/dpkg/status", "var/lib/dpkg/available"):
            (root / file).touch()
        dpkg = [
            "dpkg",
            f"--root={root}",
            "--force-not-root",
            "--force-script-chrootless",
            "--force-depends",  # checked against this machine in the test instead
            "--log=/dev/null",
        ]
    place = Installed(root, dpkg, paths, set())
    place.existed = {p for p in paths if os.path.lexists(place.path(p))}
    _run(*dpkg, "--install", built.deb)
    try:
        yield place
    finally:
        subprocess.run([*dpkg, "--purge", PACKAGE], capture_output=True, check=False)


def _app(place: Installed) -> Path:
    if place.root == Path("/"):
        found = shutil.which("dialer-app", path="/usr/local/bin:/usr/bin:/bin")
        assert found == "/usr/bin/dialer-app"
        return Path(found)
    link = place.path("/usr/bin/dialer-app")
    assert os.readlink(link) == f"/opt/{PACKAGE}/dialer-app"
    return place.path(f"/opt/{PACKAGE}/dialer-app")


def _env(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "TMPDIR": str(tmp_path / "tmp"),
        "DIALER_HOME": str(tmp_path / "dialer-home"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def _unexpected(stderr: str) -> list[str]:
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(ok in line for ok in EXPECTED_STDERR)
    ]


def _linked_libraries(folder: Path) -> tuple[dict[str, set[str]], set[str]]:
    """What the bundled ELF files link to: per file, the libraries found nowhere; and the paths
    of those the system provides."""
    folder = folder.resolve()
    search = f"{folder / '_internal'}:{folder / '_internal' / 'PySide6' / 'Qt' / 'lib'}"
    missing: dict[str, set[str]] = {}
    from_system: set[str] = set()
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.is_file():
            continue
        with path.open("rb") as f:
            if f.read(4) != b"\x7fELF":
                continue
        out = subprocess.run(
            ["ldd", str(path)],
            capture_output=True,
            text=True,
            check=False,
            env={"LD_LIBRARY_PATH": search, "PATH": "/usr/bin:/bin"},
        ).stdout
        for line in out.splitlines():
            if "not found" in line:
                missing.setdefault(str(path.relative_to(folder)), set()).add(line.split()[0])
            elif " => /" in line:
                target = line.split(" => ")[1].split(" (")[0]
                if not os.path.realpath(target).startswith(f"{folder}/"):
                    from_system.add(target)
    return missing, from_system


def _owners(paths: set[str]) -> set[str]:
    """The Debian packages that installed these files (by their path, or the path resolved)."""
    queries = paths | {os.path.realpath(p) for p in paths}
    out = subprocess.run(
        ["dpkg-query", "-S", *sorted(queries)], capture_output=True, text=True, check=False
    ).stdout
    owners = {line.split(":")[0] for line in out.splitlines() if ": /" in line}
    found = {line.split(": ", 1)[1] for line in out.splitlines() if ": /" in line}
    unowned = {p for p in paths if p not in found and os.path.realpath(p) not in found}
    assert unowned == set(), f"system libraries no package provides: {unowned}"
    return owners


def _closure(packages: set[str]) -> set[str]:
    """`packages` and everything their Depends pull in, as installed here."""
    seen: set[str] = set()
    todo = set(packages)
    while todo:
        name = todo.pop()
        seen.add(name)
        out = subprocess.run(
            ["dpkg-query", "-W", "-f=${Depends},${Pre-Depends}", name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        for alternatives in out.split(","):
            for dependency in alternatives.split("|"):
                dep = dependency.strip().split(" ")[0].split(":")[0]
                if dep and dep not in seen:
                    todo.add(dep)
    return seen


def _declared(deb: Path) -> set[str]:
    fields = _run("dpkg-deb", "-f", deb, "Depends", "Recommends").stdout
    return {
        dependency.strip().split(" ")[0]
        for line in fields.splitlines()
        for dependency in line.split(":", 1)[1].split(",")
    }


def _first_paint_s(app: Path, env: dict[str, str]) -> float:
    started = time.monotonic()
    result = _run(app, env={**env, "DIALER_STARTUP_PROBE": "1"})
    assert _unexpected(result.stderr) == [], result.stderr
    (line,) = [x for x in result.stdout.splitlines() if x.startswith("first-paint ")]
    return float(line.split()[1]) - started


def test_installed_app_passes_its_self_test_and_removal_leaves_nothing(
    built: Built, installed: Installed, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    place = installed
    for dependency in system_packages.packages(*system_packages.DEPENDS):
        _run("dpkg-query", "-W", dependency)
    desktop = place.path(f"/usr/share/applications/{APP_ID}.desktop")
    assert desktop.read_text() == desktop_entry("dialer-app", "dialer-companion")
    assert place.path("/usr/share/icons/hicolor/scalable/apps/dialer-companion.svg").is_file()

    # Every bundled library finds what it links to; only the Wayland client libraries may be
    # absent (Recommends: without them the app runs through X11). What comes from the system
    # comes with the declared Depends and Recommends.
    missing, from_system = _linked_libraries(place.path(f"/opt/{PACKAGE}"))
    assert set().union(*missing.values()) <= set(WAYLAND_LIBRARIES), missing
    undeclared = _owners(from_system) - _closure(_declared(built.deb))
    assert undeclared == set(), f"the package needs, but does not declare: {undeclared}"

    app = _app(place)
    env = _env(tmp_path)
    started = time.monotonic()
    result = _run(app, "--self-test", env=env)
    self_test_s = time.monotonic() - started
    assert _unexpected(result.stderr) == [], result.stderr
    assert result.stdout.startswith("self-test passed"), result.stdout
    assert not Path(env["DIALER_HOME"]).exists()  # the self-test kept to its own data
    version = _run(app, "--version", env=env).stdout.strip()

    first_start_s = _first_paint_s(app, env)  # seeds the demo sandbox: not a cold start
    cold_s = statistics.median(_first_paint_s(app, env) for _ in range(3))

    _run(*place.dpkg, "--purge", PACKAGE)
    left = [p for p in place.paths if p not in place.existed and os.path.lexists(place.path(p))]
    assert left == []
    assert not place.path(f"/opt/{PACKAGE}").exists()
    assert not place.path(f"/var/lib/dpkg/info/{PACKAGE}.list").exists()

    size_mb = built.deb.stat().st_size / 1_000_000
    folder_mb = (
        sum(f.stat().st_size for f in built.folder.rglob("*") if f.is_file() and not f.is_symlink())
        / 1e6
    )
    with capsys.disabled():
        print(
            f"\n{version}: {built.deb.name} {size_mb:.1f} MB (budget {BUDGET_MB} MB),"
            f" folder {folder_mb:.0f} MB, built in {built.build_s:.0f} s;"
            f" installed as {'root' if place.root == Path('/') else 'a scratch root'};"
            f" self-test {self_test_s:.1f} s; first start {first_start_s:.2f} s,"
            f" cold start to first paint {cold_s:.2f} s (median of 3)"
        )
    assert size_mb < BUDGET_MB
