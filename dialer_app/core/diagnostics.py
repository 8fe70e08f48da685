"""A diagnostics bundle for a helpdesk: what runs where and what went wrong — nothing secret.

`collect()` gathers, as text, each item of the zip:

    about.txt              the app, Python, Qt and OS versions, the Qt platform, the folders
    settings.json          the declared settings and their values (anything else is left out)
    profiles.json          each org profile's id, name and API address; which is active
    outbox.json            per outbox: counts (all and today), the oldest unsent, the last errors
    logs/dialer-app.log    the last lines of the app's log (across its rotated generations)
    logs/demo-sandbox.log  the last lines of the demo sandbox's log
    manifest.txt           the list of the above, as the rep saw it before saving

Every item passes `Scrubber`: the log filter's redaction (`logsafe.redact`: tokens, secrets,
E.164 numbers), then the values this installation knows to be secret or private — the access
token in the environment, what the plain-file secret store holds, secrets the caller passes
(the open keychain's), and the note, recording link, numbers and prospect name of every call
in the outbox and the draft — and phone numbers in any format of the rep's region. The home
folder is shown as `~`. Nothing is read from the keychain here.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import logfile, logsafe
from . import settings as setting

HIDDEN = logsafe.HIDDEN
LOG_LINES = 400
LAST_ERRORS = 20
TOKEN_ENV = "DIALER_ACCESS_TOKEN"
PLAIN_FILE_SECRETS = "secrets-NOT-SECURE.json"
MIN_SCRUBBED = 4  # shorter private values (a one-letter note) would blank out ordinary words


@dataclass(frozen=True, slots=True)
class Item:
    """One file of the bundle."""

    name: str
    description: str
    text: str

    @property
    def size(self) -> int:
        return len(self.text.encode("utf-8"))


@dataclass
class Bundle:
    items: list[Item] = field(default_factory=list)

    def listing(self) -> str:
        """What the bundle holds, one line a file: shown to the rep before anything is saved."""
        width = max((len(i.name) for i in self.items), default=0)
        return "\n".join(
            f"{i.name:<{width}}  {size_text(i.size):>8}  {i.description}" for i in self.items
        )

    def write(self, path: Path) -> Path:
        """The zip at `path` (0600 where the OS has modes); returns it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as z:
                for item in [*self.items, self._manifest()]:
                    z.writestr(item.name, item.text)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return path

    def _manifest(self) -> Item:
        return Item("manifest.txt", "this list", self.listing() + "\n")


def size_text(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB"


def default_name(now: datetime | None = None) -> str:
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"dialer-companion-diagnostics-{stamp}.zip"


# -- what must not leave the machine -------------------------------------------------------------


class Scrubber:
    """Text with secrets, private values and phone numbers taken out."""

    def __init__(
        self, secrets: Iterable[str] = (), private: Iterable[str] = (), region: str = "US"
    ) -> None:
        values = {v for v in (*secrets, *private) if isinstance(v, str)}
        parts = {line.strip() for v in values for line in v.splitlines()}
        known = {v.strip() for v in values} | parts
        self._known = sorted((v for v in known if len(v) >= MIN_SCRUBBED), key=len, reverse=True)
        self._region = region
        self._home = str(Path.home())

    def __call__(self, text: str) -> str:
        for value in self._known:  # before redaction, which may reshape them
            text = text.replace(value, HIDDEN)
        text = logsafe.redact(text)
        text = self._numbers(text)
        if len(self._home) > 1:
            text = text.replace(self._home, "~")
        return text

    def json(self, value: Any) -> str:
        """`value` as JSON text, every string in it (keys too) scrubbed on its own: the text
        stays valid JSON whatever a private value spells ("null", a quote, a brace)."""

        def walk(item: Any) -> Any:
            if isinstance(item, str):
                return self(item)
            if isinstance(item, datetime):
                return self(item.isoformat(timespec="seconds"))
            if isinstance(item, dict):
                return {self(str(k)): walk(v) for k, v in item.items()}
            if isinstance(item, list | tuple):
                return [walk(v) for v in item]
            return item

        return json.dumps(walk(value), indent=2, sort_keys=True) + "\n"

    def _numbers(self, text: str) -> str:
        """Phone numbers written any way the rep's region writes them, masked but their last two."""
        import phonenumbers

        from .phone import mask

        try:
            found = list(
                phonenumbers.PhoneNumberMatcher(text, self._region, phonenumbers.Leniency.VALID)
            )
        except Exception:  # a matcher failure must not let the text out unscrubbed
            return re.sub(r"\d", "#", text)
        for match in reversed(found):
            e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
            text = text[: match.start] + mask(e164) + text[match.end :]
        return text


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a JSON value (a token set stored as JSON holds several)."""
    if isinstance(value, str):
        yield value
        try:
            inner = json.loads(value)
        except ValueError:
            return
        if not isinstance(inner, str):
            yield from _strings(inner)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def known_secrets(config_dir: Path, extra: Iterable[str] = ()) -> set[str]:
    """Secrets this installation holds without asking the keychain."""
    found = set(_strings(list(extra)))
    if token := os.environ.get(TOKEN_ENV, "").strip():
        found.add(token)
    try:
        stored = json.loads((config_dir / PLAIN_FILE_SECRETS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        stored = None
    found |= set(_strings(stored))
    return found


# -- the items ---------------------------------------------------------------------------------


def outbox_files(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("outbox-*.sqlite3"))


def _private_of_outbox(path: Path, errors: list[str]) -> set[str]:
    """Note, recording link, numbers and prospect name of every call in an outbox, and every
    text of its other operations (names, numbers, notes)."""
    values: set[str] = set()
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            rows = [
                (str(kind), body, summary)
                for kind, body, summary in db.execute(
                    "SELECT kind, body, summary FROM operations"
                    if "operations" in tables
                    else "SELECT 'call', body, summary FROM outbox"  # not yet migrated
                ).fetchall()
            ]
        finally:
            db.close()
    except sqlite3.Error as exc:
        errors.append(f"{path.name}: {exc}")
        return values
    for kind, body, summary in rows:
        values.add(summary or "")
        try:
            doc = json.loads(body)
            attributes = doc["data"]["attributes"] if kind == "call" else doc
        except (ValueError, KeyError, TypeError):
            values.add(body)  # unreadable: all of it is private
            continue
        if kind != "call":
            values |= set(_strings(attributes))
        elif isinstance(attributes, dict):
            for key in ("note", "recordingUrl", "to", "from"):
                values |= set(_strings(attributes.get(key)))
    return values


def _private_of_drafts(data_dir: Path) -> set[str]:
    values: set[str] = set()
    for path in data_dir.glob("*.draft.json"):
        try:
            draft = json.loads(path.read_text(encoding="utf-8")).get("draft", {})
        except (OSError, ValueError, AttributeError):
            continue
        if not isinstance(draft, dict):
            continue
        form = draft.get("form")
        if not isinstance(form, dict):
            form = {}
        values |= set(_strings(draft.get("prospect_name")))
        values |= set(_strings([form.get("note"), form.get("recording_url")]))
    return values


def _about(qt: dict[str, str], folders: dict[str, Path]) -> str:
    about = logfile.about()
    lines = [
        f"Dialer Companion {about['version']} ({about['build']})",
        f"written {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"OS: {about['os']} {about['machine']}",
        f"Python: {about['python']}",
        *(f"{key}: {value}" for key, value in qt.items()),
        *(f"{name} folder: {path}" for name, path in folders.items()),
        "environment: "
        + ", ".join(
            f"{k}={os.environ[k]}"
            for k in (
                "QT_QPA_PLATFORM",
                "XDG_SESSION_TYPE",
                "WAYLAND_DISPLAY",
                "DISPLAY",
                "DIALER_HOME",
                "DIALER_LOG_LEVEL",
                "DIALER_PROFILES_FILE",
            )
            if k in os.environ
        ),
        f"automation token set: {'yes' if os.environ.get(TOKEN_ENV) else 'no'}",
    ]
    return "\n".join(lines) + "\n"


def _settings(config_dir: Path) -> dict[str, Any]:
    values = setting.Settings(config_dir / "settings.json")
    return {s.key: values.get(s) for s in setting.ALL}


def _profiles(config_dir: Path) -> dict[str, Any]:
    from .auth.profiles import ProfileStore, admin_profiles_path
    from .auth.secrets import MemoryStore

    try:
        store = ProfileStore(config_dir / "profiles.json", admin_profiles_path(), MemoryStore())
        active = store.active()
        profiles = [
            {
                "id": p.id,
                "name": p.name,
                "api_base_url": p.api_base_url,
                "managed": p.managed,
                "active": active is not None and p.id == active.id,
            }
            for p in store.all()
        ]
    except Exception as exc:  # a damaged file is what a helpdesk wants to hear about
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"profiles": profiles}


def _outboxes(data_dir: Path) -> dict[str, Any]:
    from .outbox import Outbox, OutboxError

    report: dict[str, Any] = {}
    for path in outbox_files(data_dir):
        try:
            outbox = Outbox(path)
        except OutboxError as exc:
            report[path.name] = {"error": str(exc)}
            continue
        try:
            counts, today = outbox.counts(), outbox.today()
            unsent = outbox.entries(states=("waiting", "sending"), limit=100_000)
            errors = [
                e
                for e in outbox.entries(states=("waiting", "sending", "attention"), limit=2_000)
                if e.last_error or e.field_errors
            ][:LAST_ERRORS]
            report[path.name] = {
                "counts": _counts(counts),
                "today": _counts(today),
                "oldest_unsent": min((e.created_at for e in unsent), default=None),
                "last_errors": [
                    {
                        "kind": e.kind,
                        "ref": e.ref,
                        "status": e.state,  # ("state" reads as OAuth's to the redaction)
                        "attempts": e.attempts,
                        "uncertain": e.uncertain,
                        "logged_at": e.created_at,
                        "updated_at": e.updated_at,
                        "error": e.last_error,
                        "fields": [
                            {"field": f.field, "message": f.message} for f in e.field_errors
                        ],
                        "waits_for": [f"{link.role} {link.id}" for link in e.waiting_for],
                    }
                    for e in errors
                ],
            }
        except Exception as exc:  # a damaged row: say so, keep the rest of the bundle
            report[path.name] = {"error": f"{type(exc).__name__}: {exc}"}
        finally:
            outbox.close()
    return report


def _counts(counts: Any) -> dict[str, int]:
    return {
        "waiting": counts.waiting,
        "sending": counts.sending,
        "sent": counts.sent,
        "attention": counts.attention,
    }


def tail(files: list[Path], lines: int) -> str:
    """The last `lines` lines across `files` (newest first in the list, as log generations are)."""
    kept: list[str] = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        kept = text.splitlines()[-(lines - len(kept)) :] + kept
        if len(kept) >= lines:
            break
    return "\n".join(kept[-lines:]) + ("\n" if kept else "")


def collect(
    *,
    data_dir: Path,
    config_dir: Path,
    log_dir: Path,
    qt: dict[str, str] | None = None,
    secrets: Iterable[str] = (),
    log_lines: int = LOG_LINES,
) -> Bundle:
    """Everything for the bundle, scrubbed. `qt` describes the Qt side (platform, versions)
    where the caller knows it; `secrets` are values to hide that only the caller holds."""
    problems: list[str] = []
    private: set[str] = set()
    for path in outbox_files(data_dir):
        private |= _private_of_outbox(path, problems)
    private |= _private_of_drafts(data_dir)
    region = setting.Settings(config_dir / "settings.json").get(setting.REGION)
    scrub = Scrubber(known_secrets(config_dir, secrets), private, region)
    folders = {"data": data_dir, "settings": config_dir, "logs": log_dir}
    about = _about(qt or {}, folders)
    if problems:
        about += "".join(f"could not read: {p}\n" for p in problems)
    raw = [
        Item("about.txt", "versions, OS, Qt platform, folders", about),
        Item(
            f"logs/{logfile.LOG_NAME}",
            f"the last {log_lines} lines of the app's log",
            tail(logfile.generations(log_dir), log_lines),
        ),
        Item(
            "logs/demo-sandbox.log",
            f"the last {log_lines} lines of the demo sandbox's log",
            tail([log_dir / "demo-sandbox.log"], log_lines),
        ),
    ]
    structured = [  # scrubbed value by value, so each stays valid JSON
        Item("settings.json", "settings (no secrets)", scrub.json(_settings(config_dir))),
        Item(
            "profiles.json",
            "org profiles: names and API addresses",
            scrub.json(_profiles(config_dir)),
        ),
        Item(
            "outbox.json",
            "calls waiting and sent, the last errors",
            scrub.json(_outboxes(data_dir)),
        ),
    ]
    scrubbed = [Item(i.name, i.description, scrub(i.text)) for i in raw]
    return Bundle([scrubbed[0], *structured, *scrubbed[1:]])
