"""A local Outreach-compatible HTTP server: the app's demo backend and every network test's peer.

Start it with `dialer-app sandbox` (see `dialer_app.sandbox.cli`); the API it serves is described
in `dialer_app.sandbox.app`.
"""
