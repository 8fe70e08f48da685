"""Build the Debian package from the one-folder build (packaging/build.py).

    python packaging/linux/build_deb.py [--app dist/dialer-companion] [--out dist]
                                        [--work build/deb]

Lays out the package root — the app under /opt/dialer-companion, `dialer-app` on PATH, the
hicolor icon, and the .desktop entry rendered by `dialer_app.core.handlers.desktop_entry`, which
registers the app for tel:, callto: and sip: links — and builds it with `dpkg-deb` (zstd: fast,
and within the size budget). Depends and Recommends come from packaging/linux/debian-packages.
Prints the path of the .deb and its size.
"""

from __future__ import annotations

import argparse
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dialer_app import APP_ID, APP_NAME, __version__  # noqa: E402
from dialer_app.core.handlers import COMMAND, ICON_NAME, desktop_entry  # noqa: E402

PACKAGE = "dialer-companion"
PREFIX = Path("opt") / PACKAGE
# What the frozen app takes from the system instead of bundling: the packages of
# packaging/linux/debian-packages (the Qt libraries' and plugins' system libraries, X11's xcb
# family included; Wayland's client libraries and xdg-utils recommended), and the glibc the
# bundled files need (read from them).
sys.path.insert(0, str(Path(__file__).resolve().parent))
import system_packages  # noqa: E402


def depends(app: Path) -> str:
    libc = f"libc6 (>= {system_packages.glibc_needed(app)})"
    return ", ".join([libc, *system_packages.packages(*system_packages.DEPENDS)])


def recommends() -> str:
    return ", ".join(system_packages.packages(*system_packages.RECOMMENDS))


POSTRM = """#!/bin/sh
# Remove what the app folder may hold beyond the packaged files, so nothing is left behind.
# (The desktop database and icon cache are refreshed by their own dpkg triggers.)
set -e
case "$1" in
    remove|purge)
        rm -rf "${DPKG_ROOT:-}/opt/dialer-companion"
        ;;
esac
exit 0
"""


def architecture() -> str:
    return subprocess.run(
        ["dpkg", "--print-architecture"], capture_output=True, text=True, check=True
    ).stdout.strip()


def control(installed_kb: int, app: Path) -> str:
    return (
        f"Package: {PACKAGE}\n"
        f"Version: {__version__}\n"
        f"Architecture: {architecture()}\n"
        "Maintainer: Dialer Companion maintainers <maintainers@dialercompanion.io>\n"
        f"Installed-Size: {installed_kb}\n"
        f"Depends: {depends(app)}\n"
        f"Recommends: {recommends()}\n"
        "Section: net\n"
        "Priority: optional\n"
        f"Description: {APP_NAME}: log softphone calls to Outreach\n"
        " A desktop app a sales rep keeps open beside the softphone: it finds the\n"
        " prospect, times the call, takes the wrap-up and logs the call to Outreach\n"
        " without losing one. It opens tel:, callto: and sip: links.\n"
    )


def _normalise_modes(root: Path) -> None:
    """0755 for folders and executables, 0644 for everything else (the umask plays no part)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        executable = path.is_dir() or bool(mode & stat.S_IXUSR)
        path.chmod(0o755 if executable else 0o644)


def lay_out(app: Path, root: Path) -> None:
    """The package's file tree under `root` (emptied first)."""
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(app, root / PREFIX, symlinks=True)
    bin_dir = root / "usr" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / COMMAND).symlink_to(Path("/") / PREFIX / COMMAND)
    applications = root / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    (applications / f"{APP_ID}.desktop").write_text(desktop_entry(COMMAND, ICON_NAME))
    icons = root / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    icons.mkdir(parents=True)
    shutil.copy(ROOT / "resources" / "icons" / f"{ICON_NAME}.svg", icons / f"{ICON_NAME}.svg")
    doc = root / "usr" / "share" / "doc" / PACKAGE
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        f"{APP_NAME}\nCopyright: the Dialer Companion authors. All rights reserved.\n"
        "The bundled Qt libraries are under the LGPL-3.0; Python under the PSF License.\n"
    )
    _normalise_modes(root)
    debian = root / "DEBIAN"
    debian.mkdir()
    installed_kb = sum(
        (f.lstat().st_size + 1023) // 1024 for f in root.rglob("*") if not f.is_dir()
    )
    (debian / "control").write_text(control(installed_kb, app))
    (debian / "postrm").write_text(POSTRM)
    (debian / "postrm").chmod(0o755)
    (debian / "control").chmod(0o644)


def build(app: Path, out: Path, work: Path) -> Path:
    """Build the .deb from the app folder `app` into `out`; returns its path."""
    if not (app / COMMAND).is_file():
        raise SystemExit(f"{app / COMMAND} is missing: run packaging/build.py first")
    root = work / "root"
    lay_out(app, root)
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"{PACKAGE}_{__version__}_{architecture()}.deb"
    env = {**os.environ, "SOURCE_DATE_EPOCH": os.environ.get("SOURCE_DATE_EPOCH", "0")}
    subprocess.run(
        ["dpkg-deb", "--build", "--root-owner-group", "-Zzstd", "-z9", str(root), str(deb)],
        check=True,
        stdout=subprocess.DEVNULL,
        env=env,
    )
    return deb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python packaging/linux/build_deb.py", description=__doc__
    )
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / PACKAGE)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "deb")
    args = parser.parse_args(argv)
    started = time.monotonic()
    deb = build(args.app.resolve(), args.out.resolve(), args.work.resolve())
    print(
        f"built {deb} in {time.monotonic() - started:.1f} s:"
        f" {deb.stat().st_size / 1_000_000:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
