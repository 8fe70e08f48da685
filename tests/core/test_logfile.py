"""The log file a helpdesk reads: INFO and up, redacted, private, rotated within its cap."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer_app.core import logfile

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def _fresh_root() -> Iterator[None]:
    """The root logger as a fresh process has it (no handlers), and everything `setup` touches
    restored afterwards."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, logfile._handlers[:]
    chatty = {name: logging.getLogger(name).level for name in logfile.CHATTY}
    root.handlers[:] = []
    root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:], level, logfile._handlers[:] = saved
        root.setLevel(level)
        for name, was in chatty.items():
            logging.getLogger(name).setLevel(was)


@pytest.fixture
def clean_root(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(logfile.LEVEL_ENV, raising=False)
    with _fresh_root():
        yield


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_info_goes_to_the_file_warnings_also_to_stderr(
    clean_root: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger().handlers[:] = []  # as in a fresh process (pytest adds its own)
    folder = tmp_path / "logs"
    path = logfile.setup(folder)
    assert path == folder / "dialer-app.log"
    log = logging.getLogger("dialer_app.test")
    log.debug("a debug detail")
    log.info("connected to Demo as user 7")
    log.warning("not connected: the sandbox did not answer")
    logging.getLogger("httpx").info('HTTP Request: GET https://x/api/v2/prospects "200 OK"')
    text = path.read_text()
    assert "INFO dialer_app.test: connected to Demo as user 7" in text
    assert "WARNING dialer_app.test: not connected" in text
    assert "a debug detail" not in text
    assert "HTTP Request" not in text  # one line per request: only when asked (DEBUG)
    err = capsys.readouterr().err
    assert err == "WARNING dialer_app.test: not connected: the sandbox did not answer\n"
    assert _mode(folder) == 0o700
    assert _mode(path) == 0o600
    assert logfile.setup(folder) == path  # again: nothing added
    assert (
        sum(isinstance(h, logfile.PrivateRotatingFileHandler) for h in logging.getLogger().handlers)
        == 1
    )


@pytest.mark.parametrize("level", ["debug", "INFO"])
def test_a_level_asked_for_lets_every_logger_in(
    clean_root: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, level: str
) -> None:
    monkeypatch.setenv(logfile.LEVEL_ENV, level)
    path = logfile.setup(tmp_path)
    assert path is not None
    logging.getLogger("dialer_app.x").debug("a debug detail")
    logging.getLogger("httpx").info("HTTP Request: GET https://x/ 200")
    text = path.read_text()
    assert ("a debug detail" in text) == (level == "debug")
    assert "HTTP Request" in text


def test_secrets_and_numbers_never_reach_the_file(clean_root: None, tmp_path: Path) -> None:
    path = logfile.setup(tmp_path)
    assert path is not None
    log = logging.getLogger("dialer_app.test")
    log.info("Authorization: Bearer sbx_at_abc123secret")
    log.info("POST /oauth/token refresh_token=rt-very-secret-value&client_secret=cs-hush")
    log.info("looking up +1 415 555 0123 and +14155550199")
    try:
        raise ValueError("token=tok-in-a-traceback")
    except ValueError:
        log.exception("it failed")
    text = path.read_text()
    for secret in ("sbx_at_abc123secret", "rt-very-secret-value", "cs-hush", "tok-in-a-traceback"):
        assert secret not in text
    assert "415 555 0123" not in text
    assert "4155550199" not in text
    assert "+1********99" in text


def test_a_file_an_older_version_left_readable_is_narrowed(
    clean_root: None, tmp_path: Path
) -> None:
    old = tmp_path / "dialer-app.log"
    old.write_text("an old line\n")
    old.chmod(0o644)
    tmp_path.chmod(0o755)
    logfile.setup(tmp_path)
    assert _mode(old) == 0o600
    assert _mode(tmp_path) == 0o700
    assert old.read_text().startswith("an old line\n")  # appended to, not replaced


def test_an_unwritable_log_folder_leaves_stderr_and_says_why(
    clean_root: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger().handlers[:] = []  # as in a fresh process (pytest adds its own)
    folder = tmp_path / "logs"
    folder.write_text("a file where the folder should be")
    assert logfile.setup(folder) is None
    logging.getLogger("dialer_app.test").warning("still shown")
    err = capsys.readouterr().err
    assert "no log file:" in err
    assert "still shown" in err


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=120))
def test_rotation_keeps_a_few_private_generations_within_the_cap(sizes: list[int]) -> None:
    """Whatever is logged, the folder holds at most the file and four older ones, each within
    the cap (plus the one record that crossed it), all 0600; the newest lines are in the file."""
    cap = 2_000
    with (
        _fresh_root(),
        tempfile.TemporaryDirectory() as folder,
        pytest.MonkeyPatch.context() as mp,
    ):
        logging.getLogger().addHandler(logging.NullHandler())  # no stderr handler
        mp.setattr(logfile, "MAX_BYTES", cap)
        path = logfile.setup(Path(folder))
        assert path is not None
        log = logging.getLogger("dialer_app.rotation")
        for n, size in enumerate(sizes):
            log.info("line %d %s", n, "x" * size)
        files = sorted(Path(folder).iterdir())
        names = {f.name for f in files}
        assert names <= {"dialer-app.log", *(f"dialer-app.log.{i}" for i in range(1, 5))}
        assert all(_mode(f) == 0o600 for f in files)
        assert all(f.stat().st_size <= cap + 800 for f in files)
        assert f"line {len(sizes) - 1} " in path.read_text()
        assert logfile.generations(Path(folder))[0] == path


def test_the_window_logs_its_start_with_versions_and_the_qt_platform(tmp_path: Path) -> None:
    """The real app, started and closed at its first paint: the log file says what started."""
    env = {
        **os.environ,
        "DIALER_HOME": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "DIALER_STARTUP_PROBE": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "dialer_app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "logs" / "dialer-app.log").read_text()
    (line,) = [x for x in text.splitlines() if " starting (" in x]
    assert " INFO dialer_app.app: Dialer Companion " in line
    assert " INFO dialer_app.app: Qt platform: offscreen" in text
    assert "Python 3." in line
    assert "PySide6 6." in line
    assert _mode(tmp_path / "logs") == 0o700


def test_when_qt_cannot_start_the_log_says_why(tmp_path: Path) -> None:
    """No platform plugin loads (as on a machine missing xcb's libraries): Qt aborts the app,
    and the log file — all an installed app on Windows leaves — holds Qt's reason."""
    env = {**os.environ, "DIALER_HOME": str(tmp_path), "QT_QPA_PLATFORM": "no-such-platform"}
    result = subprocess.run(
        [sys.executable, "-m", "dialer_app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    text = (tmp_path / "logs" / "dialer-app.log").read_text()
    assert " starting (" in text
    assert 'WARNING qt: qt.qpa.plugin: Could not find the Qt platform plugin "no-such' in text
    assert "CRITICAL qt: This application failed to start" in text


def test_a_launcher_logs_to_the_file_only_until_it_becomes_the_window(
    clean_root: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger().handlers[:] = []  # as in a fresh process (pytest adds its own)
    path = logfile.setup(tmp_path, console=False)
    assert path is not None
    logging.getLogger("dialer_app.cli").warning("handed over, quietly")
    assert capsys.readouterr().err == ""
    assert logfile.setup(tmp_path) == path  # it became the window: stderr too, once
    assert logfile.setup(tmp_path) == path
    logging.getLogger("dialer_app.ui").warning("shown")
    assert capsys.readouterr().err == "WARNING dialer_app.ui: shown\n"
    assert path.read_text().count("\n") == 2
