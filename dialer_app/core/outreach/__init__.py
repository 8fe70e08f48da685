"""The one way the app talks to Outreach: a typed client, its error tree, its models.

The client (and httpx with it) loads when first asked for, so modules that only need the
models — the window, at start-up — do not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .client import OutreachClient
    from .errors import OutreachError

__all__ = ["OutreachClient", "OutreachError"]


def __getattr__(name: str) -> Any:
    if name == "OutreachClient":
        from .client import OutreachClient

        return OutreachClient
    if name == "OutreachError":
        from .errors import OutreachError

        return OutreachError
    raise AttributeError(name)
