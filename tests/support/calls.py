"""A call as the app logs it, for tests that need one: linked to a prospect, its own
`vendorCallId` (a fresh UUID unless given), and whatever attributes the test names."""

from __future__ import annotations

import uuid
from typing import Any

from dialer_app.core.calls import CallAttributes, CallRelationships, NewCall


def new_call(
    prospect: int = 2,
    *,
    vendor_call_id: str | None = None,
    task: int | None = None,
    **attributes: Any,
) -> NewCall:
    """`new_call(5, outcome="Answered", note="n")`: a call to prospect 5 (and its call `task`,
    when given)."""
    links: dict[str, int] = {"prospect": prospect}
    if task is not None:
        links["task"] = task
    return NewCall(
        attributes=CallAttributes(vendorCallId=vendor_call_id or str(uuid.uuid4()), **attributes),
        relationships=CallRelationships.link(**links),
    )
