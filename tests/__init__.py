"""Tests and benchmarks of Dialer Companion.

The app's package comes first, as it does when the app starts: its start-up workarounds (httpx
without its command-line tool, see `dialer_app/__init__.py`) hold for the test modules too, and
a benchmark measures the memory of what the app loads, not of what only the harness would.
"""

import dialer_app  # noqa: F401
