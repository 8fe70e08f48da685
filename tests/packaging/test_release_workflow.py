"""The release workflow, read the way GitHub reads it, and its steps run where they can run here.

1. Every YAML file the project ships parses (YAML 1.2, no duplicate keys) and validates against
   its published JSON schema (`check-jsonschema`, whose schemas are vendored: no network).
2. The jobs' shape, checked on the parsed document: each platform tests, builds, smoke-tests the
   built app and uploads the installer its build script names; the release waits for all three.
3. Each shell step of the Linux and release jobs is run with `bash -e` as the job would run it,
   or is the very command another part of CI runs (the build step in tests/packaging, the package
   smoke test in a fresh Debian 12 root; the bootstrap and test commands are `.ci/run`'s).
   macOS steps are checked by `bash -n`. PowerShell steps are checked for balanced quoting,
   here-strings, subexpressions and brackets, and for native commands whose failure would go
   unnoticed; what they do is verified only on a Windows runner (README, "Building the
   installers").
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dialer_app import __version__
from tests.packaging import debian
from tests.packaging import workflow as wf

ROOT = wf.ROOT
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "packaging" / "linux"))

import system_packages  # noqa: E402

SCHEMAS = {  # where a YAML file lives → the schema GitHub (or the tool reading it) applies
    ".github/workflows/*.yml": "vendor.github-workflows",
    ".github/workflows/*.yaml": "vendor.github-workflows",
    ".github/dependabot.yml": "vendor.dependabot",
    ".github/ISSUE_TEMPLATE/config.yml": "vendor.github-issue-config",
    ".github/ISSUE_TEMPLATE/*.yml": "vendor.github-issue-forms",
    ".github/actions/*/action.yml": "vendor.github-actions",
}
CONTEXT = {  # the expressions the workflow may use, with stand-in values
    "github.ref": "refs/tags/v" + __version__,
    "github.token": "ghs_stand-in-token",
    "github.repository": "example/dialer-companion",
    **{
        f"secrets.{name}": f"stand-in-{name.lower()}"
        for name in (
            "MACOS_CERTIFICATE_P12",
            "MACOS_CERTIFICATE_PASSWORD",
            "MACOS_SIGNING_IDENTITY",
            "APPLE_ID",
            "APPLE_TEAM_ID",
            "APPLE_APP_PASSWORD",
        )
    },
}
INSTALLERS = {  # job → the installer its build script writes, for this version
    "linux": f"dist/dialer-companion_{__version__}_amd64.deb",
    "windows": f"dist/dialer-companion-{__version__}-setup.exe",
    "macos": f"dist/dialer-companion-{__version__}.dmg",
}


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    return wf.load(wf.RELEASE)  # type: ignore[no-any-return]


def _schema_for(path: Path) -> str | None:
    relative = path.relative_to(ROOT).as_posix()
    return next((s for pattern, s in SCHEMAS.items() if fnmatch.fnmatch(relative, pattern)), None)


# -- 1. parsed and valid ---------------------------------------------------------------------


def test_every_yaml_file_parses_and_has_a_schema_it_is_checked_against() -> None:
    files = wf.shipped_yaml_files()
    assert wf.RELEASE in files
    for path in files:
        wf.load(path)  # raises on a syntax error or a duplicate key, as GitHub refuses both
        assert _schema_for(path), f"{path}: no schema known; add it to SCHEMAS"


def test_every_yaml_file_validates_against_its_schema() -> None:
    by_schema: dict[str, list[str]] = {}
    for path in wf.shipped_yaml_files():
        by_schema.setdefault(_schema_for(path) or "", []).append(str(path))
    for schema, files in by_schema.items():
        result = subprocess.run(
            [str(BIN / "check-jsonschema"), "--builtin-schema", schema, *files],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_the_schema_check_refuses_what_github_refuses(tmp_path: Path) -> None:
    """The check is not a formality: a job without `runs-on`, or a step with both `run` and
    `uses`, is refused; so is the workflow as it was before it was fixed (a colon in a name)."""
    broken = {
        "no-runs-on": "on: push\njobs:\n  a:\n    steps:\n      - run: 'true'\n",
        "run-and-uses": (
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - run: 'true'\n        uses: actions/checkout@v4\n"
        ),
        "colon-in-name": (
            "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
            "      - name: Smoke test (windowed: the exit code tells)\n        run: 'true'\n"
        ),
    }
    for name, text in broken.items():
        path = tmp_path / f"{name}.yml"
        path.write_text(text)
        result = subprocess.run(
            [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", path],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 1, name


# -- 2. the shape of the release --------------------------------------------------------------


def test_the_workflow_runs_on_version_tags_only(workflow: dict[str, Any]) -> None:
    assert workflow["on"] == {"push": {"tags": ["v*"]}}
    assert workflow["permissions"] == {"contents": "read"}


def _index(steps: list[dict[str, Any]], predicate: Any, what: str) -> int:
    found = [i for i, s in enumerate(steps) if predicate(s)]
    assert found, what
    return found[0]


@pytest.mark.parametrize("job", ["linux", "windows", "macos"])
def test_each_platform_tests_builds_smoke_tests_and_uploads_its_installer(
    workflow: dict[str, Any], job: str
) -> None:
    steps = wf.steps(workflow, job)
    run = [str(s.get("run", "")) for s in steps]
    tested = _index(steps, lambda s: "-m pytest" in s.get("run", ""), f"{job}: no pytest step")
    built = _index(steps, lambda s: "packaging/build.py" in s.get("run", ""), f"{job}: no build")
    # The built app (or the installed one) is started with --self-test after the build…
    smoke = [
        i
        for i, text in enumerate(run)
        if i > built and "--self-test" in text and "-m dialer_app" not in text
    ]
    assert smoke, f"{job}: the built app is never smoke-tested"
    # … and the source was self-tested before it (in the suite on Linux, from source elsewhere).
    assert job == "linux" or any("-m dialer_app --self-test" in t for t in run[:built]), job
    upload = _index(
        steps,
        lambda s: str(s.get("uses", "")).startswith("actions/upload-artifact@"),
        f"{job}: nothing uploaded",
    )
    assert tested < built < smoke[0] < upload, job
    uploaded = steps[upload]["with"]
    assert uploaded["if-no-files-found"] == "error"
    assert uploaded["name"] == job
    assert fnmatch.fnmatch(INSTALLERS[job], uploaded["path"]), (job, uploaded["path"])
    # The installer is built from the script the README names, after the smoke-tested build.
    makes = {
        "linux": "packaging/linux/build_deb.py",
        "windows": "packaging/windows/build_installer.py",
        "macos": "packaging/macos/build_dmg.sh",
    }[job]
    assert _index(steps, lambda s: makes in s.get("run", ""), makes) < upload


def test_every_script_the_workflow_calls_exists(workflow: dict[str, Any]) -> None:
    called = set()
    for job in workflow["jobs"]:
        for s in wf.steps(workflow, job):
            for word in str(s.get("run", "")).replace("\\", "/").split():
                word = word.strip("\"'()")
                if word.startswith(("packaging/", ".ci/")):
                    called.add(word)
    assert len(called) >= 5
    for script in called:
        assert (ROOT / script).is_file(), script


def test_the_release_waits_for_every_platform_and_attaches_every_installer(
    workflow: dict[str, Any],
) -> None:
    release = workflow["jobs"]["release"]
    assert sorted(release["needs"]) == ["linux", "macos", "windows"]
    assert release["permissions"] == {"contents": "write"}  # only this job may write
    (download,) = [s for s in release["steps"] if "download-artifact" in s.get("uses", "")]
    assert download["with"] == {"path": "installers", "merge-multiple": True}
    for job in ("linux", "windows", "macos"):
        assert "permissions" not in workflow["jobs"][job], job


def test_secrets_reach_only_the_macos_signing_steps(workflow: dict[str, Any]) -> None:
    used: dict[str, set[str]] = {}
    for job in workflow["jobs"]:
        for s in wf.steps(workflow, job):
            secrets = {e for e in wf.expressions(s) if e.startswith("secrets.")}
            if secrets:
                used.setdefault(job, set()).update(secrets)
                assert "run" not in s or not wf.expressions(s["run"]), s["name"]  # env only
    assert set(used) == {"macos"}
    assert used["macos"] == {k for k in CONTEXT if k.startswith("secrets.")}
    # Every expression anywhere is one the steps below know how to stand in for.
    assert wf.expressions(workflow) <= set(CONTEXT)


# -- 3. the steps, run or parsed ---------------------------------------------------------------


def _ci_run_command() -> str:
    """The command `.ci/run` runs: the README's test command."""
    lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    return lines[-1].strip()


def _bash_steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    return [s for s in wf.steps(workflow, job) if "run" in s]


def test_the_linux_job_bootstraps_and_tests_exactly_as_ci_does(workflow: dict[str, Any]) -> None:
    """`.ci/run` (the README's test command) runs the Linux job's install and test steps on every
    CI run; here it is checked that they are the same commands."""
    install = wf.step(
        workflow,
        "linux",
        "Install (.ci/bootstrap adds the rest of packaging/linux/debian-packages)",
    )
    test = wf.step(
        workflow,
        "linux",
        "Test (the whole suite, the .deb install + self-test and the NSIS compile included)",
    )
    assert f"{install['run'].strip()} && {test['run'].strip()}" == _ci_run_command()


def test_every_linux_and_release_shell_step_is_checked_here(workflow: dict[str, Any]) -> None:
    """A new step needs a check: running it, or naming the test that does."""
    checked = {
        "linux": {
            "What a new user's machine has (packaging/linux/debian-packages)": (
                "test_the_first_step_installs_what_a_new_user_has"
            ),
            "Install (.ci/bootstrap adds the rest of packaging/linux/debian-packages)": "ci/run",
            "The tag is the package's version": "test_the_version_step_accepts_only_its_own_tag",
            "Test (the whole suite, the .deb install + self-test and the NSIS compile included)": (
                "ci/run"
            ),
            "Build the app and the .deb": "tests/packaging/test_linux_package.py (built)",
            "Smoke test the installed package": (
                "tests/packaging/test_fresh_root.py, in a fresh Debian 12 root"
            ),
        },
        "release": {"Attach the installers to the release of this tag": "test_the_release_step"},
    }
    for job, names in checked.items():
        assert {s["name"] for s in _bash_steps(workflow, job)} == set(names), job
        for s in _bash_steps(workflow, job):
            assert wf.shell(workflow, job, s) == "bash", s["name"]


def _stub(folder: Path, name: str, body: str) -> None:
    """A command that records its arguments in $STUB_LOG (one JSON list a line)."""
    path = folder / name
    path.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        "with open(os.environ['STUB_LOG'], 'a') as f:\n"
        f"    f.write(json.dumps([{name!r}, *sys.argv[1:]]) + '\\n')\n" + body
    )
    path.chmod(0o755)


def _calls(log: Path) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def _base_env(tmp_path: Path, stubs: Path | None = None) -> dict[str, str]:
    path = f"{stubs}:/usr/bin:/bin" if stubs else "/usr/bin:/bin"
    return {
        "PATH": path,
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "GITHUB_REF_NAME": "v" + __version__,
        "GITHUB_REF": "refs/tags/v" + __version__,
        "STUB_LOG": str(tmp_path / "calls.jsonl"),
    }


def test_the_first_step_installs_what_a_new_user_has(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    """Run with apt-get stubbed: the step installs the list's `new_user` group (what the README's
    quick start assumes), each a package apt knows; the checkout before it needs no git."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    _stub(stubs, "apt-get", "")
    the_step = wf.step(
        workflow, "linux", "What a new user's machine has (packaging/linux/debian-packages)"
    )
    steps = wf.steps(workflow, "linux")
    assert steps.index(the_step) == 1
    assert steps[0]["uses"].startswith("actions/checkout@")
    result = wf.run_bash_step(
        workflow, "linux", the_step, cwd=ROOT, context=CONTEXT, env=_base_env(tmp_path, stubs)
    )
    assert result.returncode == 0, result.stderr
    calls = _calls(tmp_path / "calls.jsonl")
    assert [c[:2] for c in calls] == [["apt-get", "update"], ["apt-get", "install"]]
    packages = [a for a in calls[1][2:] if not a.startswith("-")]
    assert packages == system_packages.packages("new_user")
    assert set(packages) >= {"git", "ca-certificates", "python3", "python3-venv"}
    assert debian.known_to_apt(packages) == set(packages)


def test_the_version_step_accepts_only_its_own_tag(
    workflow: dict[str, Any], tmp_path: Path
) -> None:
    the_step = wf.step(workflow, "linux", "The tag is the package's version")
    env = {**_base_env(tmp_path), "GITHUB_REF_NAME": "v" + __version__}
    ok = wf.run_bash_step(workflow, "linux", the_step, cwd=ROOT, context=CONTEXT, env=env)
    assert ok.returncode == 0, ok.stderr
    for wrong in ("v0.0.0-not-this", __version__, "v" + __version__ + ".1"):
        env["GITHUB_REF_NAME"] = wrong
        refused = wf.run_bash_step(workflow, "linux", the_step, cwd=ROOT, context=CONTEXT, env=env)
        assert refused.returncode != 0, wrong


@pytest.mark.parametrize("exists", [True, False])
def test_the_release_step(workflow: dict[str, Any], tmp_path: Path, exists: bool) -> None:
    """With `gh` stubbed: the three installers are uploaded to the tag's release, or a release
    is created for the tag with a title naming the version."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    _stub(
        stubs,
        "gh",
        "sys.exit(0 if sys.argv[1:3] != ['release', 'view'] or "
        "os.environ['RELEASE_EXISTS'] == '1' else 1)\n",
    )
    installers = tmp_path / "installers"
    installers.mkdir()
    for installer in INSTALLERS.values():
        (installers / Path(installer).name).write_bytes(b"stand-in")
    env = {**_base_env(tmp_path, stubs), "RELEASE_EXISTS": "1" if exists else "0"}
    the_step = wf.step(workflow, "release", "Attach the installers to the release of this tag")
    result = wf.run_bash_step(workflow, "release", the_step, cwd=tmp_path, context=CONTEXT, env=env)
    assert result.returncode == 0, result.stderr
    calls = _calls(tmp_path / "calls.jsonl")
    tag = "v" + __version__
    files = sorted(f"installers/{Path(i).name}" for i in INSTALLERS.values())
    assert calls[0] == ["gh", "release", "view", tag]
    if exists:
        assert calls[1] == ["gh", "release", "upload", tag, *files, "--clobber"]
    else:
        assert calls[1] == [
            "gh", "release", "create", tag, *files, "--verify-tag",
            "--title", f"Dialer Companion {__version__}", "--generate-notes",
        ]  # fmt: skip
    assert len(calls) == 2


def test_macos_shell_steps_are_valid_bash(workflow: dict[str, Any]) -> None:
    for s in _bash_steps(workflow, "macos"):
        assert wf.shell(workflow, "macos", s) == "bash"
        script = wf.expand(s["run"], CONTEXT)
        result = subprocess.run(
            ["bash", "-n", "-c", script], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, (s["name"], result.stderr)


def test_windows_steps_parse_as_powershell_and_check_each_native_command(
    workflow: dict[str, Any],
) -> None:
    steps = _bash_steps(workflow, "windows")
    assert steps
    for s in steps:
        assert wf.shell(workflow, "windows", s) == "pwsh", s["name"]
        script = wf.expand(s["run"], CONTEXT)
        # As GitHub writes the .ps1 file it runs: its prologue and epilogue around the script.
        wf.check_powershell(
            "$ErrorActionPreference = 'stop'\n"
            + script
            + "\nif ((Test-Path -LiteralPath variable:\\LASTEXITCODE)) { exit $LASTEXITCODE }\n"
        )
        assert wf.unchecked_native_commands(script) == [], s["name"]


def test_the_workflow_as_it_was_is_refused_by_these_checks() -> None:
    """The file before the fix: YAML refuses it (a colon in a plain-scalar step name)."""
    before = "      - name: Smoke test the frozen app (windowed: the exit code tells)\n"
    text = wf.RELEASE.read_text().replace(
        '      - name: "Smoke test the frozen app (windowed: the exit code tells)"\n', before
    )
    assert before in text
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    with pytest.raises(YAMLError):
        YAML(typ="safe", pure=True).load(text)


# -- the PowerShell check itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        "'it''s'",
        '"say ""hi"""',
        '"a `"quoted`" word"',
        '"${env:ProgramFiles(x86)}\\NSIS;$env:PATH"',
        'throw "exited $($p.ExitCode)"',
        '"$( "nested $( \'deep\' )" )"',
        "# it's a comment\n$x = 1",
        "<# it's\n a block #> $x",
        '@"\nit\'s "here" $(1 + 1)\n"@',
        "@'\n\"free\" text\n'@",
        "if ($a -ne 0) { exit $a }",
        "$h = @{ a = @(1, 2); b = [int]'3' }",
        "a#b 'c'",
    ],
)
def test_balanced_powershell_passes(script: str) -> None:
    wf.check_powershell(script)


@pytest.mark.parametrize(
    "script",
    [
        "'it's'",
        '"unclosed',
        "'it’s'",  # a typographic quote closes the string in PowerShell
        '"a `" b',
        "$($x",
        "${env:PATH",
        "if ($a) { exit 1",
        "exit 1 }",
        "<# open",
        '@"\nnever closed\n',
        '@"\n$(\n"@',
        "x `",
    ],
)
def test_unbalanced_powershell_fails(script: str) -> None:
    with pytest.raises(wf.PowerShellSyntaxError):
        wf.check_powershell(script)


_text = st.text(
    st.characters(
        codec="utf-8",
        exclude_characters="'\"`$#@<>(){}[]\u2018\u2019\u201a\u201b\u201c\u201d\u201e\r\n",
    ),
    max_size=8,
)


def _powershell(depth: int) -> st.SearchStrategy[str]:
    """Balanced PowerShell fragments: strings with their escapes, subexpressions, brackets."""
    single = st.lists(st.one_of(_text, st.just("''")), max_size=4).map(
        lambda p: "'" + "".join(p) + "'"
    )
    inner = _powershell(depth - 1) if depth else st.just("$x")
    double = st.lists(
        st.one_of(
            _text, st.just('""'), st.just('`"'), st.just("$name"), inner.map(lambda c: f"$({c})")
        ),
        max_size=4,
    ).map(lambda p: '"' + "".join(p) + '"')
    group = st.tuples(st.sampled_from(["()", "{}", "[]", "$()", "@()", "@{}"]), inner).map(
        lambda t: f"{t[0][:-1]}{t[1]}{t[0][-1]}"
    )
    atom = st.one_of(single, double, group, _text.map(lambda t: t.strip() or "x"))
    return st.lists(atom, min_size=1, max_size=4).map(" ".join)


@given(_powershell(2), st.sampled_from(["'x'", '"x"', "(x)", "{x}", '"$(x)"', "'a''b'", '"a""b"']))
def test_generated_powershell_passes_until_its_last_closing_character_is_cut(
    code: str, last: str
) -> None:
    script = f"{code} {last}"
    wf.check_powershell(script)
    with pytest.raises(wf.PowerShellSyntaxError):
        wf.check_powershell(script[:-1])


def test_the_step_runner_runs_steps_with_bash_e(tmp_path: Path) -> None:
    """A failing command in the middle of a step fails it, as `bash -e` on GitHub does."""
    workflow: dict[str, Any] = {"jobs": {"j": {"steps": []}}}
    the_step = {"name": "x", "run": "false\necho reached > reached.txt\n"}
    result = wf.run_bash_step(workflow, "j", the_step, cwd=tmp_path, context={}, env={})
    assert result.returncode != 0
    assert not (tmp_path / "reached.txt").exists()
