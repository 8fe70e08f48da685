"""The frozen build's entry point: the same as the `dialer-app` command."""

import sys

from dialer_app.cli import main

sys.exit(main())
