"""What Debian says about files and packages on this machine: who owns a library, what a package
pulls in, what an ELF file links (ldd: resolved; readelf: direct)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path


def is_elf(path: Path) -> bool:
    if path.is_symlink() or not path.is_file():
        return False
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def elf_files(folder: Path) -> list[Path]:
    return [p for p in sorted(folder.rglob("*")) if is_elf(p)]


def ldd(path: Path, env: Mapping[str, str] | None = None) -> tuple[dict[str, str], set[str]]:
    """The libraries `path` loads, resolved (name → path), and those found nowhere."""
    out = subprocess.run(
        ["ldd", str(path)],
        capture_output=True,
        text=True,
        check=False,
        env=dict(env or {"PATH": "/usr/bin:/bin"}),
    ).stdout
    found, missing = {}, set()
    for line in out.splitlines():
        if "not found" in line:
            missing.add(line.split()[0])
        elif " => /" in line:
            name, target = line.strip().split(" => ")
            found[name] = target.split(" (")[0]
    return found, missing


def _candidates(path: str) -> list[str]:
    """A path as dpkg may have recorded it: as given, resolved, and across the /usr merge."""
    paths = [path, os.path.realpath(path)]
    for p in list(paths):
        if p.startswith("/usr/lib/"):
            paths.append(p.removeprefix("/usr"))
        elif p.startswith("/lib/"):
            paths.append("/usr" + p)
    return list(dict.fromkeys(paths))


def owners(paths: Iterable[str]) -> dict[str, str]:
    """Each path → the Debian package that installed it; a path no package owns is left out."""
    paths = list(paths)
    candidates = {path: _candidates(path) for path in paths}
    everything = sorted({c for cs in candidates.values() for c in cs})
    if not everything:
        return {}
    out = subprocess.run(
        ["dpkg-query", "-S", *everything], capture_output=True, text=True, check=False
    ).stdout
    owner = {}
    for line in out.splitlines():
        if line.startswith("diversion ") or ": /" not in line:
            continue
        packages, path = line.split(": ", 1)
        owner.setdefault(path, packages.split(",")[0].split(":")[0].strip())
    return {
        path: next(owner[c] for c in cs if c in owner)
        for path, cs in candidates.items()
        if any(c in owner for c in cs)
    }


def known_to_apt(packages: Iterable[str]) -> set[str]:
    """Those of `packages` apt has a candidate for (from this machine's package lists)."""
    names = sorted(set(packages))
    out = subprocess.run(
        ["apt-cache", "show", "--no-all-versions", *names],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return set(re.findall(r"^Package: (\S+)$", out, re.M)) & set(names)


def closure(packages: Iterable[str]) -> set[str]:
    """`packages` and everything their Depends and Pre-Depends pull in, as installed here
    (every alternative counted; a virtual package counts as each installed provider)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\t${Depends},${Pre-Depends}\t${Provides}\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    depends: dict[str, set[str]] = {}
    for line in out.splitlines():
        name, deps, provides = line.split("\t")
        names = {d.strip().split(" ")[0].split(":")[0] for d in re.split(r"[,|]", deps)}
        depends.setdefault(name, set()).update(n for n in names if n)
        for virtual in provides.split(","):
            if virtual.strip():
                depends.setdefault(virtual.strip().split(" ")[0], set()).add(name)
    seen: set[str] = set()
    todo = set(packages)
    while todo:
        name = todo.pop()
        seen.add(name)
        todo |= depends.get(name, set()) - seen
    return seen


def installed(package: str) -> bool:
    status = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    ).stdout
    return status.endswith("install ok installed")


def library_index() -> dict[str, str]:
    """The system's shared libraries (ldconfig's cache): soname → path, x86-64 first."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True).stdout
    index: dict[str, str] = {}
    for line in out.splitlines()[1:]:
        if " => " not in line:
            continue
        name = line.strip().split(" ")[0]
        if "x86-64" in line:
            index.setdefault(name, line.split(" => ")[-1].strip())
    return index


def path_owner(path: Path) -> str | None:
    return owners([str(path)]).get(str(path))


def base_system() -> set[str]:
    """The packages every Debian system has (Essential, or of priority required)."""
    out = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package}\\t${Essential}\\t${Priority}\\n"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return {
        name
        for name, essential, priority in (line.split("\t") for line in out.splitlines())
        if essential == "yes" or priority == "required"
    }
