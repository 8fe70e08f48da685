"""`python -m dialer_app.sandbox`: the same as `dialer-app sandbox`."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
