"""Fresh Debian 12 machines, made with mmdebstrap, holding only what a new user has.

(a) The README's quick start, run as the README writes it from the project's files, installs
    everything and opens the window on X11 — Qt's xcb platform, on an Xvfb outside the root —
    connected to the demo sandbox; a screenshot and `xwininfo` prove it. The bootstrap then has
    installed every package the tests need (so `.ci/run` works on such a machine).
(b) In a second fresh root, `apt-get install ./the.deb` (without Recommends) pulls every
    dependency; the installed `dialer-app --self-test` passes and the installed app opens its
    window under xcb too; then the release workflow's own smoke-test step runs there.

Each command runs as `chroot` in a private mount namespace (`unshare -m`) that mounts /proc,
/sys, /dev, /dev/pts and a fresh /dev/shm for it: the mounts vanish with the command, so the
host never sees them and deleting a root can never reach into the host's /dev. pip and uv inside
reach PyPI through this machine's network settings: its extra CA certificates are installed in
the root, and its proxy and certificate variables passed on.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.packaging import workflow as wf
from tests.packaging import xdisplay
from tests.packaging.conftest import Built

ROOT = wf.ROOT
sys.path.insert(0, str(ROOT / "packaging" / "linux"))

import system_packages  # noqa: E402

MMDEBSTRAP = shutil.which("mmdebstrap")
SUITE = "bookworm"
SCREENSHOTS = ROOT / "build" / "screenshots"
PROJECT = "/home/rep/dialer-companion"  # where the new user cloned it
# Passed on from this machine: how it reaches the network (proxies, a private CA).
NETWORK_ENV = (
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "PIP_CERT",
    "CURL_CA_BUNDLE",
    "UV_NATIVE_TLS",
)
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
WINDOW_TIMEOUT_S = 120


def _can_make_mount_namespaces() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "true"], capture_output=True, check=False)
    return probe.returncode == 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(2700),
    pytest.mark.skipif(
        os.geteuid() != 0, reason="needs root: mmdebstrap builds the root and chroot enters it"
    ),
    pytest.mark.skipif(
        not _can_make_mount_namespaces(),
        reason="cannot make a mount namespace here (an unprivileged container?): the fresh"
        " roots need /proc, /sys and /dev mounted inside them",
    ),
    pytest.mark.skipif(MMDEBSTRAP is None, reason="needs mmdebstrap (.ci/bootstrap installs it)"),
    pytest.mark.skipif(
        xdisplay.XVFB is None or xdisplay.XWININFO is None,
        reason="needs Xvfb and xwininfo (.ci/bootstrap installs xvfb and x11-utils)",
    ),
]


def _timed(what: str, started: float, times: dict[str, float]) -> None:
    times[what] = time.monotonic() - started


@pytest.fixture(scope="module")
def timings() -> Iterator[dict[str, float]]:
    times: dict[str, float] = {}
    yield times
    print("\nfresh roots: " + ", ".join(f"{k} {v:.0f} s" for k, v in times.items()))


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory, timings: dict[str, float]) -> Iterator[Path]:
    """A minimal Debian 12 with only what a new user has (the list's `new_user` group); the
    tarball (≈300 MB) is deleted after the module."""
    tarball = tmp_path_factory.mktemp("debian") / f"{SUITE}.tar"
    started = time.monotonic()
    result = subprocess.run(
        [
            str(MMDEBSTRAP),
            "--quiet",
            "--variant=minbase",
            "--include=" + ",".join(system_packages.packages("new_user")),
            SUITE,
            str(tarball),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    _timed("mmdebstrap", started, timings)
    yield tarball
    tarball.unlink()


def _mounted_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4] for line in f]
    return [p for p in points if p.startswith(prefix) or p == prefix[:-1]]


class FreshRoot:
    """An unpacked copy of the base; commands run in it as root, each in its own namespace."""

    def __init__(self, tarball: Path, path: Path) -> None:
        self.path = path
        path.mkdir()
        subprocess.run(["tar", "-xf", str(tarball), "-C", str(path)], check=True)
        shutil.copy("/etc/resolv.conf", path / "etc" / "resolv.conf")
        extra = Path("/usr/local/share/ca-certificates")
        if extra.is_dir() and any(extra.glob("*.crt")):
            target = path / "usr" / "local" / "share" / "ca-certificates"
            target.mkdir(parents=True, exist_ok=True)
            for crt in extra.glob("*.crt"):
                shutil.copy(crt, target / crt.name)
            self.run("update-ca-certificates --fresh >/dev/null")

    def _argv(self, command: str, cwd: str) -> list[str]:
        root = str(self.path)
        mounts = (
            f"mount -t proc proc {root}/proc && "
            f"mount --rbind /sys {root}/sys && "
            f"mount --rbind /dev {root}/dev && "
            f"mount -t tmpfs -o mode=1777 tmpfs {root}/dev/shm && "
            f'exec chroot {root} /bin/sh -c "$1"'
        )
        inner = f"cd {cwd} && {command}"
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", mounts, "sh", inner]

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "DEBIAN_FRONTEND": "noninteractive",
        }
        env |= {k: os.environ[k] for k in NETWORK_ENV if k in os.environ}
        for k in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "CURL_CA_BUNDLE"):
            if k in env:
                env[k] = CA_BUNDLE  # the root's own bundle, with this machine's CAs added
        return env | extra

    def run(
        self,
        command: str,
        *,
        cwd: str = "/",
        env: Mapping[str, str] | None = None,
        timeout: float = 900,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            self._argv(command, cwd),
            env=dict(env or self.env()),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, (
            f"{command}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
        return result

    def start(self, command: str, *, cwd: str, env: Mapping[str, str]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self._argv(command, cwd),
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def installed(self) -> set[str]:
        out = self.run("dpkg-query -W -f='${Package} ${Status}\\n'").stdout
        return {
            line.split()[0] for line in out.splitlines() if line.endswith("install ok installed")
        }

    def remove(self) -> None:
        """Delete the tree: only once nothing runs in it and nothing is mounted under it."""
        for pid in os.listdir("/proc"):
            if pid.isdigit():
                try:
                    inside = os.readlink(f"/proc/{pid}/root") == str(self.path)
                except OSError:
                    continue
                if inside:  # a process this test started in the root (the demo sandbox…)
                    os.kill(int(pid), signal.SIGKILL)
        assert _mounted_under(self.path) == [], "still mounted: not deleting"
        shutil.rmtree(self.path)


@pytest.fixture
def fresh_root(base: Path, tmp_path: Path) -> Iterator[FreshRoot]:
    root = FreshRoot(base, tmp_path / "root")
    try:
        yield root
    finally:
        root.remove()


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with xdisplay.xvfb() as value:
        yield value


def _quick_start_command() -> str:
    """The README's first quick-start command, exactly as written there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    (line,) = [x.strip() for x in block.splitlines() if x.strip().endswith("dialer-app")]
    assert line == "sh .ci/bootstrap && .venv/bin/dialer-app"
    return line


def _project_files() -> list[str]:
    """What a clone holds: the tracked files and new ones not ignored (none of .venv, build…)."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [f for f in out.split("\0") if f and (ROOT / f).is_file()]


def _wait_for_line(
    process: subprocess.Popen[str], pattern: str, timeout: float, seen: list[str]
) -> str:
    """Read the process's output until a line matches (or it ends, or time runs out)."""
    assert process.stdout is not None
    regex = re.compile(pattern)
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(timeout=left):
                break
            line = process.stdout.readline()
            if not line:
                break  # the process ended
            seen.append(line.rstrip("\n"))
            if regex.search(line):
                return line
    tail = "\n".join(seen[-60:])
    raise AssertionError(f"no line matching {pattern!r} within {timeout:.0f} s:\n{tail}")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
    if process.stdout is not None:
        process.stdout.close()


def _window_up(
    display: str, process: subprocess.Popen[str], seen: list[str], shot: str
) -> xdisplay.Window:
    """The app's window is up on the X server and painted: found by xwininfo, captured."""
    _wait_for_line(process, r"connected to Demo as user", WINDOW_TIMEOUT_S, seen)
    assert any(" starting (" in line for line in seen), "\n".join(seen[-40:])
    assert any(line.endswith("Qt platform: xcb") for line in seen), "\n".join(seen[-40:])
    # Qt also makes a 1×1 unmapped leader window with the app's name: the shown one is ours.
    ours = [
        w
        for w in xdisplay.windows(display)
        if w.title.startswith("Dialer Companion") and w.viewable
    ]
    assert len(ours) == 1, xdisplay.windows(display)
    (window,) = ours
    assert window.title == "Dialer Companion — Demo"
    assert "Dialer Companion" in window.wm_class
    assert window.width >= 300
    assert window.height >= 300
    picture = xdisplay.capture(display, SCREENSHOTS / shot, window)
    assert (picture["width"], picture["height"]) == xdisplay.SCREEN
    assert picture["colours"] > 20, picture  # painted widgets, not an empty frame
    return window


def test_the_readme_quick_start_opens_the_window_on_x11_on_a_fresh_debian(
    fresh_root: FreshRoot, display: str, timings: dict[str, float]
) -> None:
    root = fresh_root
    before = root.installed()
    assert "libxcb-icccm4" not in before  # a truly fresh machine: nothing of Qt's there
    assert not {"xvfb", "wine64", "mmdebstrap"} & before
    project = root.path / PROJECT.lstrip("/")
    for name in _project_files():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, project / name)

    started = time.monotonic()
    seen: list[str] = []
    app = root.start(
        _quick_start_command(),
        cwd=PROJECT,
        env=root.env(DISPLAY=display, DIALER_LOG_LEVEL="INFO"),
    )
    try:
        _wait_for_line(app, r" starting \(", 1800, seen)  # bootstrap done, the app starting
        _timed("quick start: bootstrap", started, timings)
        painted = time.monotonic()
        _window_up(display, app, seen, "fresh-root-quick-start.png")
        _timed("quick start: window connected", painted, timings)
    finally:
        _stop(app)
    assert not [line for line in seen if "Could not load the Qt platform plugin" in line]

    # The bootstrap installed everything the app, the tests and the slow tests need.
    after = root.installed()
    wanted = system_packages.packages(
        *(g for g in system_packages.group_names() if g != "new_user")
    )
    assert sorted(set(wanted) - after) == []


def test_the_deb_installs_with_its_dependencies_and_opens_its_window_on_x11(
    fresh_root: FreshRoot, built: Built, display: str, timings: dict[str, float]
) -> None:
    root = fresh_root
    dist = root.path / "root" / "dist"
    dist.mkdir(parents=True)
    shutil.copy(built.deb, dist / built.deb.name)
    before = root.installed()
    assert not set(system_packages.packages("qt_runtime")) <= before

    started = time.monotonic()
    root.run(
        "apt-get update -qq && apt-get install -y -qq --no-install-recommends"
        f" ./dist/{built.deb.name}",
        cwd="/root",
    )
    _timed("deb: apt install", started, timings)
    pulled = root.installed() - before
    assert "dialer-companion" in pulled
    assert set(system_packages.packages("qt_runtime")) <= root.installed()

    started = time.monotonic()
    result = root.run("dialer-app --self-test", cwd="/root", timeout=300)
    assert result.stdout.startswith("self-test passed"), result.stdout + result.stderr
    _timed("deb: self-test", started, timings)

    seen: list[str] = []
    app = root.start(
        "exec dialer-app", cwd="/root", env=root.env(DISPLAY=display, DIALER_LOG_LEVEL="INFO")
    )
    try:
        _window_up(display, app, seen, "fresh-root-deb.png")
    finally:
        _stop(app)

    # The release workflow's smoke-test step, as its Linux job runs it, in this root.
    root.run("apt-get purge -y -qq dialer-companion", cwd="/root")
    release = wf.load(wf.RELEASE)
    the_step = wf.step(release, "linux", "Smoke test the installed package")
    (root.path / "root" / "step.sh").write_text(the_step["run"])
    result = root.run("bash -e /root/step.sh", cwd="/root", timeout=600)
    assert "self-test passed" in result.stdout
    assert "dialer-companion" not in root.installed()
