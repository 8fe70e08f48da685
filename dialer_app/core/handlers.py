"""The URL schemes the app handles, and how each OS is told so — defined once, here.

Linux reads a `.desktop` entry (`desktop_entry`), Windows per-user registry keys: the URL
protocols under `HKCU\\Software\\Classes\\<scheme>` (`windows_url_protocol_keys`) and the
registration Windows 10/11 offer in Default apps (`windows_default_app_keys`: a ProgID, the app's
`Capabilities\\URLAssociations` and its `RegisteredApplications` entry); macOS the app bundle's
`CFBundleURLTypes` (`macos_url_types`). The installers and `dialer-app --register-handlers` render
these; none of them lists the schemes itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import APP_ID, APP_NAME
from .uri import SCHEMES

COMMAND = "dialer-app"
ICON_NAME = "dialer-companion"
URL_SCHEMES: tuple[str, ...] = SCHEMES


def desktop_entry(exec_command: str = COMMAND, icon: str = ICON_NAME) -> str:
    """A freedesktop `.desktop` entry that opens `tel:`, `callto:`, `sip:` and `sips:` links."""
    mime = "".join(f"x-scheme-handler/{scheme};" for scheme in URL_SCHEMES)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.5\n"
        f"Name={APP_NAME}\n"
        "GenericName=Call logger for Outreach\n"
        "Comment=Find the prospect, time the call, log it to Outreach\n"
        f"Exec={exec_command} %u\n"
        f"Icon={icon}\n"
        "Terminal=false\n"
        "Categories=Office;Telephony;Network;\n"
        "Keywords=dialer;call;outreach;phone;\n"
        f"MimeType={mime}\n"
        f"StartupWMClass={APP_NAME}\n"
    )


@dataclass(frozen=True, slots=True)
class RegistryValue:
    """One value under `HKEY_CURRENT_USER`; `name` "" is the key's default value."""

    key: str
    name: str
    value: str


def windows_url_protocol_keys(exe_path: str) -> list[RegistryValue]:
    """The per-user keys that make Windows hand each scheme's links to `exe_path`."""
    values: list[RegistryValue] = []
    for scheme in URL_SCHEMES:
        root = f"Software\\Classes\\{scheme}"
        values += [
            RegistryValue(root, "", f"URL:{scheme} protocol ({APP_NAME})"),
            RegistryValue(root, "URL Protocol", ""),
            RegistryValue(f"{root}\\DefaultIcon", "", f'"{exe_path}",0'),
            RegistryValue(f"{root}\\shell\\open\\command", "", f'"{exe_path}" "%1"'),
        ]
    return values


# Per-user keys under HKEY_CURRENT_USER for Windows' Default apps. The ProgID and the app's own
# key are ours alone (the uninstaller deletes them whole); RegisteredApplications is shared by
# every app (only our value goes).
WINDOWS_PROG_ID = "DialerCompanion.Link"
WINDOWS_PROG_ID_KEY = f"Software\\Classes\\{WINDOWS_PROG_ID}"
WINDOWS_APP_KEY = f"Software\\{APP_NAME}"
WINDOWS_CAPABILITIES_KEY = f"{WINDOWS_APP_KEY}\\Capabilities"
WINDOWS_REGISTERED_APPLICATIONS_KEY = "Software\\RegisteredApplications"


def windows_default_app_keys(exe_path: str) -> list[RegistryValue]:
    """The keys that offer the app in Windows' Default apps for each scheme (per user): a ProgID
    that opens `exe_path`, the app's `Capabilities` with a `URLAssociations` entry per scheme,
    and its value under `RegisteredApplications` pointing there."""
    prog_id = WINDOWS_PROG_ID_KEY
    values = [
        RegistryValue(prog_id, "", f"{APP_NAME} link"),
        RegistryValue(f"{prog_id}\\DefaultIcon", "", f'"{exe_path}",0'),
        RegistryValue(f"{prog_id}\\shell\\open\\command", "", f'"{exe_path}" "%1"'),
        RegistryValue(WINDOWS_CAPABILITIES_KEY, "ApplicationName", APP_NAME),
        RegistryValue(
            WINDOWS_CAPABILITIES_KEY,
            "ApplicationDescription",
            "Find the prospect, time the call, log it to Outreach",
        ),
        RegistryValue(WINDOWS_CAPABILITIES_KEY, "ApplicationIcon", f'"{exe_path}",0'),
    ]
    values += [
        RegistryValue(f"{WINDOWS_CAPABILITIES_KEY}\\URLAssociations", scheme, WINDOWS_PROG_ID)
        for scheme in URL_SCHEMES
    ]
    values.append(
        RegistryValue(WINDOWS_REGISTERED_APPLICATIONS_KEY, APP_NAME, WINDOWS_CAPABILITIES_KEY)
    )
    return values


def macos_url_types() -> list[dict[str, object]]:
    """`CFBundleURLTypes` for the app bundle's Info.plist."""
    return [
        {
            "CFBundleURLName": f"{APP_ID}.{scheme}",
            "CFBundleURLSchemes": [scheme],
            "CFBundleTypeRole": "Viewer",
        }
        for scheme in URL_SCHEMES
    ]
