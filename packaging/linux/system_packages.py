"""The Debian packages of packaging/linux/debian-packages, and the shared libraries they hold.

    python packaging/linux/system_packages.py [GROUP …]     prints the groups' packages

The list is a plain sh file (`.ci/bootstrap` sources it); here it is read by sh too, so both see
the same words. The frozen Linux build (packaging/dialer-companion.spec) leaves out every
library of the packages the .deb depends on or recommends, so the package relies on what it
declares and never on what the build machine happened to have; and it leaves out the libraries
no bundled file links any more (what only the left-out ones needed).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

LIST = Path(__file__).resolve().parent / "debian-packages"
# Groups the .deb declares: Depends, then Recommends.
DEPENDS = ("qt_runtime",)
RECOMMENDS = ("qt_wayland", "desktop")
SYSTEM_LIBRARY_DIRS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")
_SONAME = re.compile(r"^lib.*\.so(\.\d+)*$")


def group_names(path: Path = LIST) -> list[str]:
    return re.findall(r"^([a-z_]+)=", path.read_text(encoding="utf-8"), re.M)


def groups(path: Path = LIST) -> dict[str, list[str]]:
    """Each group's packages, as `sh` reads the file."""
    result = {}
    for name in group_names(path):
        words = subprocess.run(
            ["sh", "-c", '. "$1" && eval "printf %s \\"\\$$2\\""', "sh", str(path), name],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        result[name] = words
    return result


def packages(*names: str, path: Path = LIST) -> list[str]:
    found = groups(path)
    return [package for name in names for package in found[name]]


def package_libraries(names: Iterable[str]) -> set[str]:
    """The file names of the shared libraries the installed packages `names` hold."""
    if shutil.which("dpkg-query") is None:
        return set()
    libraries = set()
    for name in names:
        listed = subprocess.run(
            ["dpkg-query", "-L", name], capture_output=True, text=True, check=False
        ).stdout
        libraries |= {Path(p).name for p in listed.split() if _SONAME.match(Path(p).name)}
    return libraries


def needed(path: str | Path) -> list[str]:
    """The libraries an ELF file links directly (its NEEDED entries)."""
    out = subprocess.run(
        ["readelf", "-d", "-W", str(path)], capture_output=True, text=True, check=False
    ).stdout
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.*?)\]", out)


GLIBC_LIBRARIES = (
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "libpthread.so.0",
    "librt.so.1",
    "libresolv.so.2",
    "libutil.so.1",
    "ld-linux-x86-64.so.2",
)


def glibc_needed(folder: Path) -> str:
    """The newest glibc symbol version any ELF file in `folder` requires (e.g. "2.36"): the
    package's `libc6 (>= …)`."""
    newest = (2, 0)
    for path in folder.rglob("*"):
        if path.is_symlink() or not path.is_file() or not _is_elf(str(path)):
            continue
        out = subprocess.run(
            ["readelf", "-V", "-W", str(path)], capture_output=True, text=True, check=False
        ).stdout
        current = ""
        for line in out.splitlines():
            if "File: " in line:
                current = line.split("File: ")[1].split()[0]
            elif current in GLIBC_LIBRARIES and (m := re.search(r"Name: GLIBC_(\d+)\.(\d+)", line)):
                newest = max(newest, (int(m.group(1)), int(m.group(2))))
    return f"{newest[0]}.{newest[1]}"


def _is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def without_declared_libraries(
    binaries: list[tuple[str, str, str]], libraries: set[str]
) -> list[tuple[str, str, str]]:
    """PyInstaller's binaries without the system libraries the .deb declares, and without the
    system libraries that then nothing bundled links any more (to a fixed point).

    A library is dropped only when it was copied from a system folder; those the wheels bring
    (Qt, ICU, Python's own) stay. Where a file cannot be read (not an ELF file here), nothing is
    pruned: what links what is then unknown.
    """
    kept = [b for b in binaries if Path(b[0]).name not in libraries]
    if not all(_is_elf(src) for _dest, src, kind in kept if kind in ("BINARY", "EXTENSION")):
        return kept
    links = {src: needed(src) for _dest, src, kind in kept if kind in ("BINARY", "EXTENSION")}
    while True:
        wanted = {name for _dest, src, _kind in kept for name in links.get(src, [])}
        orphans = [
            b
            for b in kept
            if b[2] == "BINARY"
            and "/" not in b[0].replace("\\", "/")
            and b[1].startswith(SYSTEM_LIBRARY_DIRS)
            and Path(b[0]).name not in wanted
        ]
        if not orphans:
            return kept
        kept = [b for b in kept if b not in orphans]


if __name__ == "__main__":
    print(" ".join(packages(*(sys.argv[1:] or group_names()))))
