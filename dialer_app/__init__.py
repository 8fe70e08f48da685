"""Dialer Companion: find the prospect, time the call, log it to Outreach without losing one."""

from importlib.metadata import PackageNotFoundError, version

APP_NAME = "Dialer Companion"
APP_ID = "io.dialercompanion.DialerCompanion"

try:
    __version__ = version("dialer-companion")
except PackageNotFoundError:  # running from a source tree without an install
    __version__ = "0.0.0"
