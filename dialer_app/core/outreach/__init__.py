"""The one way the app talks to Outreach: a typed client, its error tree, its models."""

from .client import OutreachClient
from .errors import OutreachError

__all__ = ["OutreachClient", "OutreachError"]
