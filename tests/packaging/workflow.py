"""The release workflow as GitHub reads it: parsed YAML, its jobs and steps, and their scripts.

GitHub parses workflows as YAML 1.2 (`on:` is the string "on", not the boolean YAML 1.1 makes
of it), so this reads them with ruamel.yaml, as `check-jsonschema` does. A `run:` script reaches
its shell after GitHub has replaced the `${{ … }}` expressions in it: `expand` does the same for
the contexts the workflow uses. On Linux and macOS an unspecified shell is `bash -e {0}`; on
Windows this workflow sets `pwsh`, which GitHub runs as a .ps1 file between
`$ErrorActionPreference = 'stop'` and a check of the last native command's `$LASTEXITCODE`.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
# Folders that hold no file the project ships (tools' caches, the virtualenv, build output).
NOT_SHIPPED = {".git", ".venv", "build", "dist", "node_modules"}
_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def load(path: Path) -> Any:
    """The document, parsed as YAML 1.2 with duplicate keys refused (as GitHub refuses them)."""
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml.load(path.read_text(encoding="utf-8"))


def shipped_yaml_files(root: Path = ROOT) -> list[Path]:
    """Every YAML file in the project (hidden folders such as .github included)."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in NOT_SHIPPED and not d.endswith("_cache")]
        found += [Path(folder) / f for f in files if f.endswith((".yml", ".yaml"))]
    return sorted(found)


def steps(workflow: Mapping[str, Any], job: str) -> list[dict[str, Any]]:
    return list(workflow["jobs"][job]["steps"])


def step(workflow: Mapping[str, Any], job: str, name: str) -> dict[str, Any]:
    (found,) = [s for s in steps(workflow, job) if s.get("name") == name]
    return found


def shell(workflow: Mapping[str, Any], job: str, the_step: Mapping[str, Any]) -> str:
    """The shell GitHub runs a `run:` step with: the step's, the job's or the workflow's default,
    else bash (`sh` only where no bash exists, which is not the case on any runner used here)."""
    defaults = [
        the_step.get("shell"),
        workflow["jobs"][job].get("defaults", {}).get("run", {}).get("shell"),
        workflow.get("defaults", {}).get("run", {}).get("shell"),
    ]
    return next((s for s in defaults if s), "bash")


def expand(text: str, context: Mapping[str, str]) -> str:
    """`text` with each `${{ name }}` replaced from `context`; an unknown name is an error."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in context:
            raise KeyError(f"the expression ${{{{ {name} }}}} is not known to the test")
        return context[name]

    return _EXPRESSION.sub(value, text)


def expressions(node: Any) -> set[str]:
    """Every `${{ … }}` expression anywhere in `node`."""
    if isinstance(node, str):
        return set(_EXPRESSION.findall(node))
    if isinstance(node, Mapping):
        return set().union(*(expressions(v) for v in node.values()), set())
    if isinstance(node, list):
        return set().union(*(expressions(v) for v in node), set())
    return set()


def run_bash_step(
    workflow: Mapping[str, Any],
    job: str,
    the_step: Mapping[str, Any],
    *,
    cwd: Path,
    context: Mapping[str, str],
    env: Mapping[str, str],
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a `run:` step as the job would: `bash -e` on the script file, with the workflow's,
    the job's and the step's `env` (expressions expanded) over `env`."""
    assert shell(workflow, job, the_step) == "bash", the_step
    merged = dict(env)
    for scope in (workflow, workflow["jobs"][job], the_step):
        merged |= {k: expand(str(v), context) for k, v in scope.get("env", {}).items()}
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "step.sh"
        script.write_text(expand(the_step["run"], context), encoding="utf-8")
        return subprocess.run(
            ["bash", "-e", str(script)],
            cwd=cwd,
            env=merged,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
        )


# -- PowerShell ------------------------------------------------------------------------------

# PowerShell takes the typographic quotes for quotes too: a pasted ’ ends a '…' string.
SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
_CLOSERS = {"(": ")", "{": "}", "[": "]"}
_COMMENT_AFTER = " \t\r\n;{}()|&,="


class PowerShellSyntaxError(ValueError):
    """A string, here-string, comment, subexpression or bracket that does not close."""


def _line_col(text: str, at: int) -> str:
    line = text.count("\n", 0, at) + 1
    return f"line {line}, column {at - (text.rfind(chr(10), 0, at) + 1) + 1}"


def check_powershell(script: str) -> None:
    """Raise `PowerShellSyntaxError` unless every quote, here-string, comment, `$( )`, `${ }`
    and bracket in `script` closes, tokenised the way PowerShell's parser does it."""
    end = _code(script, 0, None)
    assert end == len(script)


def _code(s: str, i: int, closer: str | None) -> int:
    opened = i - 1
    while i < len(s):
        c = s[i]
        if c == "`":
            if i + 1 >= len(s):
                raise PowerShellSyntaxError(f"a backtick ends the script ({_line_col(s, i)})")
            i += 2
        elif c == "#" and (i == 0 or s[i - 1] in _COMMENT_AFTER):
            newline = s.find("\n", i)
            i = len(s) if newline < 0 else newline
        elif s.startswith("<#", i):
            end = s.find("#>", i + 2)
            if end < 0:
                raise PowerShellSyntaxError(f"<# is never closed ({_line_col(s, i)})")
            i = end + 2
        elif c == "@" and i + 1 < len(s) and s[i + 1] in SINGLE_QUOTES + DOUBLE_QUOTES:
            i = _here_string(s, i)
        elif c in SINGLE_QUOTES:
            i = _single(s, i + 1)
        elif c in DOUBLE_QUOTES:
            i = _double(s, i + 1)
        elif s.startswith("${", i):
            i = _braced_variable(s, i + 2)
        elif s.startswith("$(", i) or s.startswith("@(", i) or s.startswith("@{", i):
            i = _code(s, i + 2, _CLOSERS[s[i + 1]])
        elif c in _CLOSERS:
            i = _code(s, i + 1, _CLOSERS[c])
        elif c in ")}]":
            if c != closer:
                raise PowerShellSyntaxError(f"unexpected {c!r} ({_line_col(s, i)})")
            return i + 1
        else:
            i += 1
    if closer is not None:
        raise PowerShellSyntaxError(
            f"{s[opened]!r} at {_line_col(s, opened)} is never closed with {closer!r}"
        )
    return i


def _single(s: str, i: int) -> int:
    start = i - 1
    while i < len(s):
        if s[i] in SINGLE_QUOTES:
            if i + 1 < len(s) and s[i + 1] in SINGLE_QUOTES:
                i += 2  # '' is a quote inside the string
                continue
            return i + 1
        i += 1
    raise PowerShellSyntaxError(f"the string at {_line_col(s, start)} is never closed")


def _double(s: str, i: int) -> int:
    start = i - 1
    while i < len(s):
        c = s[i]
        if c == "`":
            i += 2
        elif c in DOUBLE_QUOTES:
            if i + 1 < len(s) and s[i + 1] in DOUBLE_QUOTES:
                i += 2  # "" is a quote inside the string
                continue
            return i + 1
        elif s.startswith("$(", i):
            i = _code(s, i + 2, ")")
        elif s.startswith("${", i):
            i = _braced_variable(s, i + 2)
        else:
            i += 1
    raise PowerShellSyntaxError(f"the string at {_line_col(s, start)} is never closed")


def _braced_variable(s: str, i: int) -> int:
    start = i - 2
    while i < len(s):
        if s[i] == "`":
            i += 2
        elif s[i] == "}":
            return i + 1
        else:
            i += 1
    raise PowerShellSyntaxError(f"${{ at {_line_col(s, start)} is never closed")


def _here_string(s: str, i: int) -> int:
    """@"…"@ / @'…'@: the opening ends its line; the closing starts one."""
    quote = s[i + 1]
    newline = s.find("\n", i)
    if newline < 0 or s[i + 2 : newline].strip():
        raise PowerShellSyntaxError(f"a here-string must start a line after @ ({_line_col(s, i)})")
    closing = re.compile(rf"\n[{re.escape(quote)}]@", re.M)
    match = closing.search(s, newline)
    if match is None:
        raise PowerShellSyntaxError(f"the here-string at {_line_col(s, i)} is never closed")
    if quote in DOUBLE_QUOTES:  # its subexpressions are code
        j = newline
        while j < match.start():
            if s.startswith("$(", j):
                j = _code(s, j + 2, ")")
                if j > match.start() + 1:
                    raise PowerShellSyntaxError(f"$( at {_line_col(s, j)} runs past the string")
            elif s[j] == "`":
                j += 2
            else:
                j += 1
    return match.end()


_NATIVE = re.compile(r"^\s*(?:&\s*)?(?:\.venv\\Scripts\\\S+|python|py|pip|uv|choco|makensis|git)\b")
_EXIT_CHECK = re.compile(r"^\s*if\s*\(\s*\$LASTEXITCODE\s*-ne\s*0\s*\)")


def unchecked_native_commands(script: str) -> list[str]:
    """Native commands whose failure the step would not notice.

    PowerShell does not stop on a native program's non-zero exit code (`$ErrorActionPreference`
    covers cmdlets only), and GitHub checks `$LASTEXITCODE` once, at the end: every native
    command but the last needs its own check on the next line.
    """
    lines = [line for line in script.splitlines() if line.strip() and line.strip()[0] != "#"]
    unchecked = []
    for at, line in enumerate(lines):
        if not _NATIVE.match(line):
            continue
        following = lines[at + 1 :]
        closing_only = all(x.strip() in ("}", "") for x in following)
        if following and not closing_only and not _EXIT_CHECK.match(following[0]):
            unchecked.append(line.strip())
    return unchecked
