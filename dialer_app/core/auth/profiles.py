"""Org profiles: where an org's Outreach is and which OAuth client signs in to it.

A profile is `name`, `api_base_url`, `client_id` and `redirect_port` (0: any free port); its
client secret lives in the secret store, never in these files. The rep's profiles and the
active one are in `profiles.json` in the config directory. An administrator may deploy
profiles in a read-only file (`admin_profiles_path()`, or `$DIALER_PROFILES_FILE`) of the same
shape; those are marked `managed` and cannot be edited or removed in the app.

    {"active": "acme",
     "profiles": [{"id": "acme", "name": "Acme Inc.",
                   "api_base_url": "https://api.outreach.io/api/v2",
                   "client_id": "…", "redirect_port": 51789}]}
"""

from __future__ import annotations

import ipaddress
import os
import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from .. import files
from ..paths import APP_DIR_NAME
from .secrets import SecretStore

ADMIN_ENV = "DIALER_PROFILES_FILE"
DEFAULT_API = "https://api.outreach.io/api/v2"
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


def admin_profiles_path() -> Path:
    """Where an administrator deploys profiles (`$DIALER_PROFILES_FILE` overrides)."""
    given = os.environ.get(ADMIN_ENV)
    if given:
        return Path(given)
    return Path(platformdirs.site_config_dir(APP_DIR_NAME, appauthor=False)) / "profiles.json"


class ProfileError(ValueError):
    """A profile is not valid; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class Profile:
    """One org the app can sign in to."""

    id: str
    name: str
    api_base_url: str = DEFAULT_API
    client_id: str = ""
    redirect_port: int = 0
    managed: bool = False

    @property
    def origin(self) -> str:
        """`https://api.outreach.io` for `https://api.outreach.io/api/v2`: where OAuth lives."""
        parts = urlsplit(self.api_base_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def secret_key(self) -> str:
        return f"profile/{self.id}/client-secret"

    @property
    def tokens_key(self) -> str:
        return f"profile/{self.id}/tokens"

    def problems(self) -> dict[str, str]:
        """Each field that is wrong, with what to do; empty when the profile is valid."""
        out: dict[str, str] = {}
        if not _ID.match(self.id):
            out["id"] = "Use lower-case letters, digits, - or _ (at most 63)."
        if not self.name.strip():
            out["name"] = "Give the org a name."
        try:
            parts = urlsplit(self.api_base_url.strip())
            host = parts.hostname or ""
        except ValueError:
            parts, host = None, ""
        if parts is None or not host or parts.scheme not in ("https", "http"):
            out["api_base_url"] = "Enter the API address, e.g. https://api.outreach.io/api/v2."
        elif parts.scheme == "http" and not _is_loopback(host):
            out["api_base_url"] = "Use https:// (plain http only for 127.0.0.1 or localhost)."
        elif parts.query or parts.fragment or parts.username:
            out["api_base_url"] = "The API address takes no query, fragment or user name."
        if not self.client_id.strip():
            out["client_id"] = "Enter the OAuth client id of your org's Outreach app."
        elif len(self.client_id) > 256 or any(c.isspace() for c in self.client_id):
            out["client_id"] = "A client id has no spaces and at most 256 characters."
        if not (self.redirect_port == 0 or 1024 <= self.redirect_port <= 65535):
            out["redirect_port"] = "Use 0 (any free port) or a port from 1024 to 65535."
        return out

    def validated(self) -> Profile:
        if problems := self.problems():
            raise ProfileError(problems)
        return replace(
            self,
            name=self.name.strip(),
            api_base_url=self.api_base_url.strip().rstrip("/"),
            client_id=self.client_id.strip(),
        )

    def as_json(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("managed")
        return out


def _read_profiles(path: Path, *, managed: bool) -> tuple[list[Profile], str | None, list[str]]:
    """Profiles, the active id and problems found (bad entries are skipped, not fatal).

    The rep's file, when it cannot be read at all, is moved aside and the rep told
    (`files.load_json`); an administrator's is only reported, never touched.
    """
    problems: list[str] = []

    def shape(doc: object) -> dict[str, object]:
        doc = files.expect_object(doc)
        if not isinstance(doc.get("profiles", []), list):
            raise TypeError("profiles is not a list")
        return doc

    if managed:
        try:
            loaded = files.read_json(path)
            doc = shape(loaded) if loaded is not None else None
        except files.Unreadable as exc:
            return [], None, [f"{path}: cannot be read ({exc.reason})"]
        except TypeError:
            return [], None, [f"{path}: expected an object with a list of profiles"]
    else:
        told: list[files.SetAside] = []
        doc = files.load_json(
            path,
            shape,
            what="Your org profiles",
            outcome="add your org again in Accounts (the keychain still holds its secrets)",
            told=told,
        )
        problems += [record.sentence() for record in told]
    if doc is None:
        return [], None, problems
    profiles: list[Profile] = []
    entries = doc.get("profiles", [])
    assert isinstance(entries, list)
    for i, entry in enumerate(entries):
        try:
            if not isinstance(entry, dict):
                raise ProfileError({"entry": "not an object"})
            port = entry.get("redirect_port", 0)
            profile = Profile(
                id=str(entry.get("id", "")),
                name=str(entry.get("name", "")),
                api_base_url=str(entry.get("api_base_url", DEFAULT_API)),
                client_id=str(entry.get("client_id", "")),
                redirect_port=port if isinstance(port, int) and not isinstance(port, bool) else -1,
                managed=managed,
            ).validated()
        except ProfileError as exc:
            problems.append(f"{path}: profile {i + 1}: {exc}")
            continue
        profiles.append(profile)
    active = doc.get("active")
    return profiles, active if isinstance(active, str) else None, problems


class ProfileStore:
    """The rep's profiles (`user_file`) over the administrator's (`admin_file`), one active."""

    def __init__(self, user_file: Path, admin_file: Path | None, secrets: SecretStore) -> None:
        self.user_file = user_file
        self.admin_file = admin_file
        self.secrets = secrets
        self.problems: list[str] = []
        self._admin: list[Profile] = []
        self._own: list[Profile] = []
        self.active_id: str | None = None
        self.reload()

    def reload(self) -> None:
        admin_active = None
        self.problems = []
        if self.admin_file is not None:
            self._admin, admin_active, found = _read_profiles(self.admin_file, managed=True)
            self.problems += found
        self._own, own_active, found = _read_profiles(self.user_file, managed=False)
        self.problems += found
        admin_ids = {p.id for p in self._admin}
        self._own = [p for p in self._own if p.id not in admin_ids]
        self.active_id = own_active or admin_active
        if self.active_id is not None and self.get(self.active_id) is None:
            self.active_id = None

    def all(self) -> list[Profile]:
        return [*self._admin, *self._own]

    def get(self, profile_id: str) -> Profile | None:
        return next((p for p in self.all() if p.id == profile_id), None)

    def active(self) -> Profile | None:
        return self.get(self.active_id) if self.active_id else None

    def new_id(self, name: str) -> str:
        base = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "org"
        taken = {p.id for p in self.all()}
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def save(self, profile: Profile, client_secret: str | None = None) -> Profile:
        """Add or replace one of the rep's profiles; a new `client_secret` goes to the store."""
        existing = self.get(profile.id)
        if existing is not None and existing.managed:
            raise ProfileError({"id": "This profile is managed by your administrator."})
        profile = replace(profile, managed=False).validated()
        if client_secret is not None:
            if not client_secret.strip():
                raise ProfileError({"client_secret": "Enter the OAuth client secret."})
            self.secrets.set(profile.secret_key, client_secret.strip())
        self._own = [p for p in self._own if p.id != profile.id] + [profile]
        self._write()
        return profile

    def remove(self, profile_id: str) -> None:
        """Forget one of the rep's profiles, its client secret and its tokens."""
        profile = self.get(profile_id)
        if profile is None:
            return
        if profile.managed:
            raise ProfileError({"id": "This profile is managed by your administrator."})
        self.forget_tokens(profile)
        self.secrets.delete(profile.secret_key)
        self._own = [p for p in self._own if p.id != profile_id]
        if self.active_id == profile_id:
            self.active_id = None
        self._write()

    def set_active(self, profile_id: str | None) -> None:
        if profile_id is not None and self.get(profile_id) is None:
            raise ProfileError({"id": f"No profile {profile_id!r}."})
        self.active_id = profile_id
        self._write()

    def client_secret(self, profile: Profile) -> str | None:
        return self.secrets.get(profile.secret_key)

    def forget_tokens(self, profile: Profile) -> None:
        self.secrets.delete(profile.tokens_key)

    def has_tokens(self, profile: Profile) -> bool:
        return self.secrets.get(profile.tokens_key) is not None

    def _write(self) -> None:
        doc = {"active": self.active_id, "profiles": [p.as_json() for p in self._own]}
        files.write_json(self.user_file, doc, indent=2)
