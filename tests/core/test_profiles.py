"""Org profiles: validated per field, the secret in the store, admin-deployed ones read-only."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dialer_app.core.auth.profiles import (
    ADMIN_ENV,
    Profile,
    ProfileError,
    ProfileStore,
    admin_profiles_path,
)
from dialer_app.core.auth.secrets import MemoryStore

ACME = Profile(
    id="acme",
    name="Acme",
    api_base_url="https://api.outreach.io/api/v2/",
    client_id="acme-client",
    redirect_port=51789,
)


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"id": "Has Spaces"}, "id", "lower-case"),
        ({"name": "  "}, "name", "name"),
        ({"api_base_url": "api.outreach.io"}, "api_base_url", "e.g. https://"),
        ({"api_base_url": "http://api.outreach.io/api/v2"}, "api_base_url", "Use https://"),
        ({"api_base_url": "https://x.test/api?x=1"}, "api_base_url", "no query"),
        ({"api_base_url": "https://[::1/api"}, "api_base_url", "e.g. https://"),
        ({"client_id": ""}, "client_id", "client id"),
        ({"client_id": "a b"}, "client_id", "no spaces"),
        ({"redirect_port": 80}, "redirect_port", "1024"),
        ({"redirect_port": 70000}, "redirect_port", "1024"),
    ],
)
def test_each_bad_field_is_named_with_what_to_do(
    change: dict[str, object], field: str, words: str
) -> None:
    bad = Profile(**{**ACME.as_json(), **change})  # type: ignore[arg-type]
    with pytest.raises(ProfileError) as info:
        bad.validated()
    assert list(info.value.problems) == [field]
    assert words in info.value.problems[field]


def test_loopback_http_is_fine_and_the_oauth_origin_follows_the_api() -> None:
    local = Profile("sbx", "Sandbox", "http://127.0.0.1:8765/api/v2", "c", 0).validated()
    assert local.origin == "http://127.0.0.1:8765"
    assert ACME.validated().api_base_url == "https://api.outreach.io/api/v2"
    assert ACME.origin == "https://api.outreach.io"


def test_profiles_persist_without_their_secret(tmp_path: Path) -> None:
    secrets = MemoryStore()
    store = ProfileStore(tmp_path / "profiles.json", None, secrets)
    saved = store.save(ACME, client_secret="s3cret-value ")
    store.set_active("acme")
    assert "s3cret-value" not in (tmp_path / "profiles.json").read_text(encoding="utf-8")
    assert secrets.get(saved.secret_key) == "s3cret-value"
    again = ProfileStore(tmp_path / "profiles.json", None, secrets)
    assert again.active() == saved
    assert again.client_secret(saved) == "s3cret-value"
    with pytest.raises(ProfileError) as info:
        again.save(ACME, client_secret=" ")
    assert "client_secret" in info.value.problems
    with pytest.raises(ProfileError):
        again.set_active("nope")


def test_removing_a_profile_forgets_its_secret_and_tokens(tmp_path: Path) -> None:
    secrets = MemoryStore()
    store = ProfileStore(tmp_path / "profiles.json", None, secrets)
    saved = store.save(ACME, client_secret="x")
    store.set_active("acme")
    secrets.set(saved.tokens_key, "{}")
    assert store.has_tokens(saved)
    store.remove("acme")
    store.remove("acme")
    assert secrets.keys() == []
    assert store.active() is None
    assert store.all() == []


def test_new_ids_are_unique(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "profiles.json", None, MemoryStore())
    store.save(ACME)
    assert store.new_id("ACME") == "acme-2"
    assert store.new_id("!!!") == "org"


def test_an_admin_file_deploys_read_only_profiles(tmp_path: Path) -> None:
    admin = tmp_path / "admin.json"
    admin.write_text(
        json.dumps(
            {
                "active": "corp",
                "profiles": [
                    {
                        "id": "corp",
                        "name": "Corp",
                        "api_base_url": "https://api.outreach.io/api/v2",
                        "client_id": "corp-client",
                        "redirect_port": 51790,
                    },
                    {"id": "broken", "name": "", "client_id": "x"},
                    "not an object",
                    {"id": "badport", "name": "B", "client_id": "x", "redirect_port": True},
                ],
            }
        ),
        encoding="utf-8",
    )
    store = ProfileStore(tmp_path / "profiles.json", admin, MemoryStore())
    [corp] = store.all()
    assert corp.managed
    assert store.active() == corp
    assert len(store.problems) == 3
    assert "profile 2" in store.problems[0]
    assert "name" in store.problems[0]
    with pytest.raises(ProfileError, match="administrator"):
        store.save(corp)
    with pytest.raises(ProfileError, match="administrator"):
        store.remove("corp")
    store.save(ACME)
    store.set_active("acme")  # the rep's choice wins over the admin's default
    assert ProfileStore(tmp_path / "profiles.json", admin, MemoryStore()).active_id == "acme"


@pytest.mark.parametrize("content", ["{broken", '{"profiles": 3}', "[]"])
def test_an_unreadable_profiles_file_is_reported_not_fatal(tmp_path: Path, content: str) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(content, encoding="utf-8")
    store = ProfileStore(path, None, MemoryStore())
    assert store.all() == []
    assert store.problems


def test_the_admin_file_location_can_be_overridden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(ADMIN_ENV, raising=False)
    assert admin_profiles_path().name == "profiles.json"
    monkeypatch.setenv(ADMIN_ENV, str(tmp_path / "x.json"))
    assert admin_profiles_path() == tmp_path / "x.json"


def test_an_active_id_without_its_profile_is_no_active_profile(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps({"active": "gone", "profiles": []}), encoding="utf-8")
    assert ProfileStore(path, None, MemoryStore()).active() is None
