"""Softphones the app listens to: call events in one shape, and the Baresip adapter."""
