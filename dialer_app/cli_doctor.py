"""`dialer-app doctor`: check an org for an admin (read-only), as a table or as JSON.

Uses `DIALER_ACCESS_TOKEN` with `--api-base-url` (as the app does), else the tokens of the
signed-in profile (`--profile`, or the active one) from the keychain. Exit status: 0 when no
check found a problem, 1 when one did, 2 when there is nothing to check with.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

PROFILES_FILE = "profiles.json"
PLAIN_FILE_SECRETS = "secrets-NOT-SECURE.json"


def build_parser() -> argparse.ArgumentParser:
    from .cli import TOKEN_ENV

    parser = argparse.ArgumentParser(
        prog="dialer-app doctor",
        description=(
            "Check what an Outreach org allows and how it answers — sign-in and scopes, who is "
            "signed in, name search, phone lookup, dispositions' outcome words, task filters, "
            "the rate limit, the clock, TLS — and say what the app will do about each. "
            "Read-only: nothing is written to the org, and the token is never refreshed."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--api-base-url",
        metavar="URL",
        help=f"check this API with the access token in ${TOKEN_ENV} (else a signed-in profile)",
    )
    parser.add_argument(
        "--profile", metavar="ID", help="the signed-in profile to check (default: the active one)"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    from .cli import TOKEN_ENV

    parser = build_parser()
    args = parser.parse_args(list(argv))
    if args.api_base_url:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            parser.error(f"--api-base-url needs an access token in {TOKEN_ENV}")
        target: tuple[str, str, float | None, str] = (args.api_base_url, token, None, "")
    else:
        found = _signed_in(args.profile)
        if isinstance(found, str):
            print(f"dialer-app doctor: {found}", file=sys.stderr)
            return 2
        target = found
    from .core.doctor import run_doctor_sync

    url, token, expires_at, scope = target
    report = run_doctor_sync(url, token, expires_at=expires_at, granted_scope=scope)
    print(report.dumps() if args.json else report.table())
    return 0 if report.ok else 1


def _signed_in(profile_id: str | None) -> tuple[str, str, float | None, str] | str:
    """(API, access token, its expiry, granted scope) of a signed-in profile, or why not."""
    from .core import paths
    from .core import settings as setting
    from .core.auth.profiles import ProfileStore, admin_profiles_path
    from .core.auth.secrets import open_secret_store
    from .core.auth.tokens import TokenSet

    plain = setting.Settings(paths.config_dir() / "settings.json").get(setting.PLAIN_FILE_SECRETS)
    opened = open_secret_store(paths.config_dir() / PLAIN_FILE_SECRETS, allow_plain_file=plain)
    store = ProfileStore(paths.config_dir() / PROFILES_FILE, admin_profiles_path(), opened.store)
    profile = store.get(profile_id) if profile_id else store.active()
    if profile is None:
        return (
            f"no profile {profile_id!r}" if profile_id else "no profile is active"
        ) + ": sign in from the app's Accounts, or use --api-base-url with a token"
    saved = opened.store.get(profile.tokens_key)
    tokens = TokenSet.loads(saved) if saved else None
    if tokens is None:
        return f"{profile.name} is not signed in ({opened.message}): sign in from Accounts first"
    return profile.api_base_url, tokens.access_token, tokens.expires_at, tokens.scope
