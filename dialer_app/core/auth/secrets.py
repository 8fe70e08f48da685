"""Secrets (client secrets, tokens) behind a small interface: the OS keychain, or nothing.

`open_secret_store()` probes the keychain with a real save, read and delete before trusting it:
a headless machine has no backend, and a locked keychain passes detection but fails the first
save. Without a working keychain nothing is stored (secrets live in memory for this run only)
unless the rep opts in to the clearly labelled plain-file fallback. Values are never logged.
"""

from __future__ import annotations

import logging
import secrets as random_secrets
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from .. import files

log = logging.getLogger(__name__)
SERVICE = "dialer-companion"


class SecretStoreError(Exception):
    """A secret could not be saved, read or deleted; the message says why (never the value)."""


class SecretStore(Protocol):
    """Where secrets live. Keys are plain names (`profile/<id>/tokens`)."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str) -> None: ...

    def delete(self, key: str) -> None: ...


class MemoryStore:
    """Secrets for this run only (tests; and the app when no keychain works)."""

    def __init__(self) -> None:
        self._values: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self._values.get(key)

    def set(self, key: str, value: str) -> None:
        self._values[key] = value

    def delete(self, key: str) -> None:
        self._values.pop(key, None)

    def keys(self) -> list[str]:
        return sorted(self._values)


class KeyringStore:
    """The OS keychain through `keyring` (macOS Keychain, Windows Credential Locker, libsecret).

    `backend` is a keyring backend object; None means keyring's own choice for this machine.
    """

    def __init__(self, backend: Any = None, service: str = SERVICE) -> None:
        self._backend = backend
        self._service = service

    def _keyring(self) -> Any:
        if self._backend is None:
            import keyring  # first use costs ~0.2 s: only after the window is shown

            self._backend = keyring.get_keyring()
        return self._backend

    def get(self, key: str) -> str | None:
        try:
            value = self._keyring().get_password(self._service, key)
        except Exception as exc:
            raise SecretStoreError(
                f"The keychain could not be read ({type(exc).__name__})."
            ) from None
        return value if isinstance(value, str) else None

    def set(self, key: str, value: str) -> None:
        try:
            self._keyring().set_password(self._service, key, value)
        except Exception as exc:
            raise SecretStoreError(
                f"The keychain refused to save ({type(exc).__name__})."
            ) from None

    def delete(self, key: str) -> None:
        try:
            if self._keyring().get_password(self._service, key) is not None:
                self._keyring().delete_password(self._service, key)
        except Exception as exc:
            raise SecretStoreError(
                f"The keychain refused to delete ({type(exc).__name__})."
            ) from None

    def name(self) -> str:
        backend = self._keyring()
        return str(getattr(backend, "name", type(backend).__name__))

    def probe(self) -> str | None:
        """None when a real save, read and delete work; else why not (for the rep)."""
        key = f"probe/{random_secrets.token_hex(8)}"
        value = random_secrets.token_hex(8)
        try:
            self.set(key, value)
            read = self.get(key)
            self.delete(key)
        except SecretStoreError as exc:
            return str(exc)
        if read != value:
            return "The keychain did not give back what was saved."
        return None


class PlainFileStore:
    """FALLBACK, NOT SECURE: secrets in a JSON file readable by this OS user (mode 0600).

    Used only when there is no working keychain and the rep opted in, knowing the risk.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        """What the file holds; a file that cannot be read is moved aside (the rep is told and
        signs in again), never an error that stops the app."""

        def shape(doc: object) -> dict[str, str]:
            loaded = files.expect_object(doc)
            return {k: v for k, v in loaded.items() if isinstance(v, str)}

        return (
            files.load_json(
                self.path,
                shape,
                what="The plain file of saved sign-ins",
                outcome="sign in again in Accounts",
            )
            or {}
        )

    def _save(self, values: dict[str, str]) -> None:
        try:
            files.write_json(self.path, values, indent=1, sort_keys=True)
        except OSError as exc:
            raise SecretStoreError(
                f"The secrets file cannot be written ({exc.strerror or type(exc).__name__})."
            ) from None

    def get(self, key: str) -> str | None:
        return self._load().get(key)

    def set(self, key: str, value: str) -> None:
        values = self._load()
        values[key] = value
        self._save(values)

    def delete(self, key: str) -> None:
        values = self._load()
        if values.pop(key, None) is not None:
            self._save(values)


class Kind(Enum):
    KEYCHAIN = "keychain"
    MEMORY_ONLY = "memory only"
    PLAIN_FILE = "plain file (not secure)"


@dataclass(frozen=True, slots=True)
class OpenedStore:
    """The store the app uses, what kind it is, and a sentence for the rep."""

    store: SecretStore
    kind: Kind
    message: str

    @property
    def persistent(self) -> bool:
        return self.kind is not Kind.MEMORY_ONLY


def open_secret_store(
    fallback_file: Path, *, allow_plain_file: bool, keychain: KeyringStore | None = None
) -> OpenedStore:
    """The keychain when it works; else the opted-in plain file; else memory only."""
    keychain = keychain or KeyringStore()
    problem = keychain.probe()
    if problem is None:
        return OpenedStore(keychain, Kind.KEYCHAIN, f"Secrets are kept in {keychain.name()}.")
    log.warning("no usable keychain: %s", problem)
    if allow_plain_file:
        return OpenedStore(
            PlainFileStore(fallback_file),
            Kind.PLAIN_FILE,
            f"No keychain works here ({problem}) — secrets are kept in a plain file you opted "
            f"in to: {fallback_file}. Anyone who can read your files can read them.",
        )
    return OpenedStore(
        MemoryStore(),
        Kind.MEMORY_ONLY,
        f"No keychain works here ({problem}) — nothing is stored: you will sign in again "
        "after each restart.",
    )
