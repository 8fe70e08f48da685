"""Every OS registration names the same schemes, taken from the URI parser's list."""

from __future__ import annotations

from configparser import ConfigParser

from dialer_app.core.handlers import (
    WINDOWS_CAPABILITIES_KEY,
    WINDOWS_PROG_ID,
    WINDOWS_PROG_ID_KEY,
    desktop_entry,
    macos_url_types,
    windows_default_app_keys,
    windows_url_protocol_keys,
)
from dialer_app.core.uri import SCHEMES


def test_the_desktop_entry_registers_every_scheme_and_passes_the_link() -> None:
    entry = ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read_string(desktop_entry("/opt/dialer-companion/dialer-app"))
    section = entry["Desktop Entry"]
    assert section["Exec"] == "/opt/dialer-companion/dialer-app %u"
    assert section["MimeType"] == (
        "x-scheme-handler/tel;x-scheme-handler/callto;x-scheme-handler/sip;x-scheme-handler/sips;"
    )
    assert section["Type"] == "Application"


def test_windows_keys_are_per_user_url_protocols_for_every_scheme() -> None:
    keys = windows_url_protocol_keys(r"C:\Users\rep\AppData\Local\Dialer Companion\dialer-app.exe")
    protocols = {v.key.rsplit("\\", 1)[1] for v in keys if v.name == "URL Protocol"}
    assert protocols == set(SCHEMES)
    commands = [v for v in keys if v.key.endswith(r"shell\open\command")]
    assert len(commands) == len(SCHEMES)
    assert all(v.value.endswith('.exe" "%1"') for v in commands)
    assert all(v.key.startswith("Software\\Classes\\") for v in keys)


def test_macos_url_types_cover_every_scheme_once() -> None:
    schemes = [s for t in macos_url_types() for s in t["CFBundleURLSchemes"]]  # type: ignore[attr-defined]
    assert schemes == list(SCHEMES)


def test_windows_default_apps_registration_offers_every_scheme_through_one_prog_id() -> None:
    exe = r"C:\Users\rep\AppData\Local\Programs\Dialer Companion\dialer-app.exe"
    values = windows_default_app_keys(exe)
    associations = {v.name: v.value for v in values if v.key.endswith("\\URLAssociations")}
    assert associations == dict.fromkeys(SCHEMES, WINDOWS_PROG_ID)
    (registered,) = [v for v in values if v.key == "Software\\RegisteredApplications"]
    assert registered.value == WINDOWS_CAPABILITIES_KEY
    assert {v.key for v in values if v.key.endswith("\\URLAssociations")} == {
        f"{WINDOWS_CAPABILITIES_KEY}\\URLAssociations"
    }
    (command,) = [v for v in values if v.key == f"{WINDOWS_PROG_ID_KEY}\\shell\\open\\command"]
    assert command.value == f'"{exe}" "%1"'
    assert all(v.key.startswith("Software\\") for v in values)  # per user: under HKCU
