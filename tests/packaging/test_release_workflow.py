"""The release workflow runs on GitHub only; here: it calls scripts that exist, on every OS."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = (ROOT / ".github" / "workflows" / "release.yml").read_text()


def _job(name: str) -> str:
    match = re.search(rf"^  {name}:\n(.*?)(?=^  \w[\w-]*:\n|\Z)", WORKFLOW, re.M | re.S)
    assert match, name
    return match.group(1)


def test_the_workflow_runs_on_version_tags_and_uses_scripts_that_exist() -> None:
    assert re.search(r'^on:\n  push:\n    tags: \["v\*"\]', WORKFLOW, re.M)
    scripts = set(re.findall(r"(?:packaging|\.ci)/[\w./-]+\.(?:py|sh)|\.ci/bootstrap", WORKFLOW))
    assert len(scripts) >= 5
    for script in scripts:
        assert (ROOT / script).is_file(), script


def test_each_platform_tests_builds_smoke_tests_and_uploads_its_installer() -> None:
    for job, installer in (
        ("linux", "dist/dialer-companion_*.deb"),
        ("windows", "dist/dialer-companion-*-setup.exe"),
        ("macos", "dist/dialer-companion-*.dmg"),
    ):
        text = _job(job)
        assert "pytest" in text, job
        assert "packaging/build.py" in text, job
        assert "--self-test" in text, job  # the built app smoke-tested
        assert text.count("self-test") >= 2, job  # and before: from source, or in the suite
        assert f"path: {installer}" in text, job
    release = _job("release")
    assert "needs: [linux, windows, macos]" in release
    assert "gh release" in release


def test_secrets_reach_only_the_macos_signing_steps() -> None:
    secrets = set(re.findall(r"secrets\.(\w+)", WORKFLOW))
    assert secrets == {
        "MACOS_CERTIFICATE_P12",
        "MACOS_CERTIFICATE_PASSWORD",
        "MACOS_SIGNING_IDENTITY",
        "APPLE_ID",
        "APPLE_TEAM_ID",
        "APPLE_APP_PASSWORD",
    }
    assert "secrets." not in _job("linux") + _job("windows") + _job("release")
