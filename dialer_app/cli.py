"""`dialer-app`: the window (demo mode unless told where Outreach is), `dialer-app sandbox`,
`dialer-app <tel:/callto:/sip: link>`, `dialer-app event …`, `dialer-app doctor` and
`dialer-app --register-handlers`.

A link or an event goes to the window already running for this user and data directory; when
none runs, this launch becomes the window and applies it once connected.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import APP_NAME, __version__

if TYPE_CHECKING:
    from .core.settings import Settings

TOKEN_ENV = "DIALER_ACCESS_TOKEN"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dialer-app",
        description=f"{APP_NAME}: find the prospect, time the call, log it to Outreach.",
        epilog=(
            "Without --api-base-url the app runs in demo mode against a local Outreach sandbox. "
            "'dialer-app sandbox --help' describes the sandbox server; 'dialer-app event --help' "
            "the softphone event hooks; 'dialer-app doctor --help' the checks of an org."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "link",
        nargs="?",
        help="a tel:, callto:, sip: or sips: link to look up (handed to the running window)",
    )
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
    parser.add_argument(
        "--baresip",
        metavar="HOST:PORT",
        help="follow the calls of the Baresip softphone whose ctrl_tcp module listens here "
        "(saved as the 'baresip' setting; '' turns it off)",
    )
    parser.add_argument(
        "--diagnostics",
        nargs="?",
        const="",
        metavar="FILE",
        help="save a zip for your helpdesk — versions, OS and Qt platform, settings, profile "
        "names and API addresses, outbox counts and the last errors, the last log lines; no "
        "token, secret, note or full phone number — after listing what it holds (default "
        "FILE: dialer-companion-diagnostics-<date>-<time>.zip in the current folder)",
    )
    parser.add_argument(
        "--register-handlers",
        action="store_true",
        help="make this app the desktop's handler for tel:, callto:, sip: and sips: links "
        "(Linux: a .desktop file and xdg-mime), then exit",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "sandbox":
        from .sandbox.cli import main as sandbox_main

        return sandbox_main(args_list[1:])
    if args_list and args_list[0] == "doctor":
        from .cli_doctor import main as doctor_main

        return doctor_main(args_list[1:])
    from .core.remote import Request, RequestError, event_parser, parse_request

    if not args_list:  # the usual launch: nothing to parse (argparse's set-up alone costs ~4 ms)
        return _hand_over(Request("show"), None, None)

    def settings() -> Settings:  # read for a link, an event or --baresip only
        from .core import paths
        from .core.settings import Settings

        return Settings(paths.config_dir() / "settings.json")

    if args_list and args_list[0] == "event":
        from .core.settings import REGION

        region = settings().get(REGION)
        if any(a in ("-h", "--help") for a in args_list[1:]):
            event_parser().print_help()
            return 0
        try:
            request = parse_request(args_list, region=region)
        except RequestError as exc:
            print(f"dialer-app event: {exc}", file=sys.stderr)
            return 2
        return _hand_over(request, None, None)

    parser = build_parser()
    args = parser.parse_args(args_list)
    if args.self_test:  # before anything reads settings: it keeps to data of its own
        from .selftest import run_self_test

        return run_self_test()
    if args.register_handlers:
        return _register()
    if args.diagnostics is not None:
        from .ui.diagnostics import write_from_cli

        return write_from_cli(args.diagnostics)
    request = Request("show")
    if args.link is not None:
        from .core.settings import REGION

        region = settings().get(REGION)
        try:
            request = parse_request([args.link], region=region)
        except RequestError as exc:
            print(f"dialer-app: not opened: {exc}", file=sys.stderr)
            return 2
    if args.baresip is not None:
        from .core.settings import BARESIP
        from .core.softphone.baresip import Endpoint

        if args.baresip:
            try:
                Endpoint.parse(args.baresip)
            except ValueError as exc:
                parser.error(f"--baresip: {exc}")
        settings().set(BARESIP, args.baresip)
    token = None
    if args.api_base_url:
        token = os.environ.get(TOKEN_ENV, "").strip()
        if not token:
            parser.error(
                f"--api-base-url needs an access token in the environment variable {TOKEN_ENV}"
            )
    return _hand_over(request, args.api_base_url, token)


def _hand_over(request: object, api_base_url: str | None, token: str | None) -> int:
    """Forward to the running window, or become it (holding the data folder's lock)."""
    import logging

    from .core import logfile, paths
    from .core.remote import Request
    from .services.instance import hand_over

    assert isinstance(request, Request)
    logfile.setup(console=False)  # a softphone's hook prints nothing when all goes well
    log = logging.getLogger(__name__)
    found = hand_over(paths.data_dir(), request.argv)
    if found.refusal is not None:
        log.warning("not handed over: %s", found.refusal)
        print(f"dialer-app: {found.refusal}", file=sys.stderr)
        return 1
    if found.answer is not None:
        if found.answer == "ok":
            log.info("handed %s to the running window", request.kind)
            return 0
        log.info("the running window refused %s: %s", request.kind, found.answer)
        print(f"dialer-app: the running window refused: {found.answer}", file=sys.stderr)
        return 1
    assert found.lock is not None
    logfile.setup()  # the window now: its warnings go to stderr as well as to the file
    if not sys.platform.startswith("win"):
        os.umask(0o077)  # whatever the window creates is the user's own
    from .app import AppConfig, run_app

    with found.lock:  # the window listens for the next launches once painted (`app._Sessions`)
        config = AppConfig(api_base_url=api_base_url, access_token=token, instance=found.lock)
        return run_app(config, first_request=request)


def _register() -> int:
    if not sys.platform.startswith("linux"):
        print(
            "dialer-app: the installer registers the link handlers on this system.",
            file=sys.stderr,
        )
        return 1
    from .core.register import RegisterError, register_linux

    try:
        path = register_linux()
    except (RegisterError, OSError) as exc:
        print(f"dialer-app: {exc}", file=sys.stderr)
        return 1
    print(f"Registered {path} for tel:, callto:, sip: and sips: links.")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
