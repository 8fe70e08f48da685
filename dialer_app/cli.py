"""`dialer-app`: the window (demo mode unless told where Outreach is), or `dialer-app sandbox`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import APP_NAME, __version__

TOKEN_ENV = "DIALER_ACCESS_TOKEN"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dialer-app",
        description=f"{APP_NAME}: find the prospect, time the call, log it to Outreach.",
        epilog=(
            "Without --api-base-url the app runs in demo mode against a local Outreach sandbox. "
            "'dialer-app sandbox --help' describes the sandbox server."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offscreen: show the window, start the demo sandbox in a "
        "temporary directory, look up a prospect, log a call and wait until it is sent; "
        "exit 0, or 1 with one line saying what failed",
    )
    parser.add_argument(
        "--api-base-url",
        metavar="URL",
        help=f"talk to this Outreach-compatible API (e.g. https://api.outreach.io/api/v2) "
        f"with the access token in ${TOKEN_ENV}, skipping sign-in",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "sandbox":
        from .sandbox.cli import main as sandbox_main

        return sandbox_main(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.self_test:
        from .ui.selftest import run_self_test

        return run_self_test()
    token = None
    if args.api_base_url:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            parser.error(
                f"--api-base-url needs an access token in the environment variable {TOKEN_ENV}"
            )
    from .ui.app import AppConfig, run_app

    return run_app(AppConfig(api_base_url=args.api_base_url, access_token=token))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
