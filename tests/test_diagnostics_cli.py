"""`dialer-app --diagnostics [FILE]`: the list first, then the zip; nothing private in it."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DIALER_HOME": str(tmp_path / "home"), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("DIALER_ACCESS_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "dialer_app", "--diagnostics", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_it_lists_the_bundle_then_saves_it_without_the_numbers(tmp_path: Path) -> None:
    logs = tmp_path / "home" / "logs"
    logs.mkdir(parents=True)
    (logs / "dialer-app.log").write_text(
        "2026-11-29 10:00:00,000 1 WARNING dialer_app.x: no answer from (415) 555-0123\n"
    )
    target = tmp_path / "out" / "for-helpdesk.zip"
    result = _run(tmp_path, str(target))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    names = ["about.txt", "settings.json", "profiles.json", "outbox.json", "logs/dialer-app.log"]
    assert all(name in out for name in names)
    assert out.index("about.txt") < out.index(f"Saved {target}")
    with zipfile.ZipFile(target) as z:
        log = z.read("logs/dialer-app.log").decode()
        about = z.read("about.txt").decode()
    assert "no answer from " in log
    assert "**23" in log  # masked, the last two digits kept
    assert "555-0123" not in log
    assert "415" not in log
    assert "Qt platform:" in about
    assert target.stat().st_mode & 0o777 == 0o600


def test_without_a_file_it_saves_in_the_current_folder(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert result.returncode == 0, result.stderr
    (saved,) = tmp_path.glob("dialer-companion-diagnostics-*.zip")
    assert f"Saved {saved}" in result.stdout


def test_a_place_it_cannot_write_is_refused_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    result = _run(tmp_path, str(tmp_path / "a-file" / "x.zip"))
    assert result.returncode == 1
    assert result.stderr.startswith("dialer-app: could not save ")
    assert "about.txt" in result.stdout  # the list was shown all the same
