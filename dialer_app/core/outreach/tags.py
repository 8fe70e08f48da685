"""The org's tags, as the wrap-up suggests them: the ones its recent calls carry, most used first.

Outreach has no list of call tags; the tags on the org's latest calls (one page, only the `tags`
field) are the honest stand-in.
"""

from __future__ import annotations

from collections import Counter

from .client import OutreachClient

RECENT_CALLS = 200


async def org_call_tags(client: OutreachClient, calls: int = RECENT_CALLS) -> list[str]:
    """Tags on the org's `calls` most recent calls, most used first (ties: alphabetical)."""
    doc = await client.read(
        "/calls", {"sort": "-createdAt", "page[size]": calls, "fields[call]": "tags"}
    )
    counts: Counter[str] = Counter()
    spelling: dict[str, str] = {}
    for res in doc.resources():
        tags = res.attributes.get("tags")
        if not isinstance(tags, list):
            continue
        for tag in tags:
            if isinstance(tag, str) and tag.strip():
                key = tag.strip().lower()
                spelling.setdefault(key, tag.strip())
                counts[key] += 1
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    return [spelling[k] for k in ranked]
