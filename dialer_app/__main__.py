"""`python -m dialer_app` is `dialer-app`."""

import sys

from .cli import main

sys.exit(main())
