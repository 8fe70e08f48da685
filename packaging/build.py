"""Build the one-folder frozen app with PyInstaller (packaging/dialer-companion.spec).

    python packaging/build.py [--dist DIR] [--work DIR]

Renders the icons (packaging/icons.py), then runs PyInstaller from a clean work folder. The
result is DIST/dialer-companion/ (default dist/), whose executable is `dialer-app`; on macOS
also "DIST/Dialer Companion.app". Prints the build time and the folder's size.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "packaging" / "dialer-companion.spec"
FOLDER = "dialer-companion"


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build(dist: Path, work: Path) -> Path:
    """Build into `dist`; returns the app folder."""
    icons = work / "icons"
    subprocess.run([sys.executable, str(ROOT / "packaging" / "icons.py"), str(icons)], check=True)
    env = {**os.environ, "DIALER_ICON_DIR": str(icons), "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--log-level",
            "WARN",
            "--distpath",
            str(dist),
            "--workpath",
            str(work / "pyinstaller"),
            str(SPEC),
        ],
        check=True,
        cwd=ROOT,
        env=env,
    )
    return dist / FOLDER


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python packaging/build.py", description=__doc__)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="default: dist/")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="default: build/")
    args = parser.parse_args(argv)
    started = time.monotonic()
    folder = build(args.dist.resolve(), args.work.resolve())
    print(
        f"built {folder} in {time.monotonic() - started:.0f} s:"
        f" {folder_size(folder) / 1_000_000:.0f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
