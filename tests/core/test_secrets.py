"""Secrets: the keychain when a real save/read/delete works, else nothing stored unless opted in."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from keyring.backends.fail import Keyring as NoKeyring

from dialer_app.core.auth.secrets import (
    KeyringStore,
    Kind,
    MemoryStore,
    PlainFileStore,
    SecretStoreError,
    open_secret_store,
)
from dialer_app.core.files import notices
from tests.support.keychain import MemoryKeyring


def test_a_working_keychain_is_used_and_the_probe_leaves_nothing(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    opened = open_secret_store(
        tmp_path / "secrets.json", allow_plain_file=True, keychain=KeyringStore(backend)
    )
    assert opened.kind is Kind.KEYCHAIN
    assert opened.persistent
    assert backend.passwords == {}  # the probe cleaned up
    opened.store.set("profile/a/tokens", "t0ps3cret")
    assert opened.store.get("profile/a/tokens") == "t0ps3cret"
    assert backend.passwords == {("dialer-companion", "profile/a/tokens"): "t0ps3cret"}
    opened.store.delete("profile/a/tokens")
    opened.store.delete("profile/a/tokens")  # deleting what is gone is fine
    assert opened.store.get("profile/a/tokens") is None
    assert not (tmp_path / "secrets.json").exists()


def test_no_keychain_means_memory_only_and_says_so(tmp_path: Path) -> None:
    opened = open_secret_store(
        tmp_path / "secrets.json", allow_plain_file=False, keychain=KeyringStore(NoKeyring())
    )
    assert opened.kind is Kind.MEMORY_ONLY
    assert not opened.persistent
    assert "nothing is stored" in opened.message
    opened.store.set("k", "v")
    assert opened.store.get("k") == "v"
    assert list(tmp_path.iterdir()) == []


def test_a_locked_keychain_fails_the_probe(tmp_path: Path) -> None:
    backend = MemoryKeyring()
    backend.locked = True  # detection succeeds, the first save fails
    store = KeyringStore(backend)
    assert store.probe() is not None
    opened = open_secret_store(tmp_path / "s.json", allow_plain_file=False, keychain=store)
    assert opened.kind is Kind.MEMORY_ONLY
    with pytest.raises(SecretStoreError, match="refused to save") as info:
        store.set("k", "the-value")
    assert "the-value" not in str(info.value)
    with pytest.raises(SecretStoreError):
        store.get("k")
    with pytest.raises(SecretStoreError):
        store.delete("k")


def test_the_plain_file_fallback_only_when_opted_in_and_private(tmp_path: Path) -> None:
    path = tmp_path / "dir" / "secrets.json"
    opened = open_secret_store(path, allow_plain_file=True, keychain=KeyringStore(NoKeyring()))
    assert opened.kind is Kind.PLAIN_FILE
    assert "not secure" in opened.kind.value
    assert "plain file" in opened.message
    opened.store.set("a", "1")
    opened.store.set("b", "2")
    opened.store.delete("a")
    opened.store.delete("missing")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert PlainFileStore(path).get("b") == "2"
    assert PlainFileStore(path).get("a") is None


def test_an_unreadable_fallback_file_is_set_aside_and_the_rep_told(tmp_path: Path) -> None:
    notices.take()
    path = tmp_path / "secrets.json"
    path.write_text("{not json", encoding="utf-8")
    store = PlainFileStore(path)
    assert store.get("a") is None  # signed out, not stopped
    assert not path.exists()
    (aside,) = tmp_path.glob("secrets.json.unreadable-*")
    assert aside.read_text(encoding="utf-8") == "{not json"  # kept for a helpdesk
    (told,) = notices.take()
    assert "saved sign-ins" in told
    assert "sign in again" in told
    store.set("a", "1")  # and the store works again
    assert PlainFileStore(path).get("a") == "1"
    path.write_text("[1, 2]", encoding="utf-8")
    assert PlainFileStore(path).get("a") is None
    assert len(notices.take()) == 1


def test_memory_store_lists_its_keys() -> None:
    store = MemoryStore()
    store.set("b", "1")
    store.set("a", "2")
    assert store.keys() == ["a", "b"]


def test_the_default_keychain_is_keyrings_choice_here_the_tests_memory_one() -> None:
    store = KeyringStore()
    assert store.probe() is None
    assert "MemoryKeyring" in store.name()


def test_a_keychain_that_gives_back_something_else_is_not_trusted() -> None:
    class Forgetful(MemoryKeyring):
        def get_password(self, service: str, username: str) -> str | None:
            return "something else"

    assert "did not give back" in (KeyringStore(Forgetful()).probe() or "")


def test_an_unwritable_fallback_file_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(SecretStoreError, match="cannot be written"):
        PlainFileStore(blocker / "secrets.json")._save({"k": "v"})
    directory = tmp_path / "ro"
    directory.mkdir()
    (directory / "secrets.json").mkdir()  # replacing a directory fails after the temp file
    with pytest.raises(SecretStoreError, match="cannot be written"):
        PlainFileStore(directory / "secrets.json")._save({"k": "v"})
    assert [p.name for p in directory.iterdir()] == ["secrets.json"]  # no temp file left
