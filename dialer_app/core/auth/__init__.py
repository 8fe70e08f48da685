"""Signing in to an Outreach org: profiles, the OAuth flow, tokens, and the keychain."""
