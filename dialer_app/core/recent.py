"""Recently seen prospects and recently used tags, kept on disk so lookups answer at once.

The lookup shows matches from here before Outreach answers (and when it cannot answer), then
replaces them with Outreach's. Matching mirrors the server's search: a case-insensitive prefix of
the first name, last name, "first last", an email or the company; a phone number matches when its
E.164 form equals one of the prospect's numbers. Only what the rep already saw is kept — at most
`capacity` prospects, newest first — in one JSON file written atomically.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .outreach.models import Match, PhoneNumber, Prospect
from .phone import PhoneNumberError, looks_like_phone, to_e164

CAPACITY = 500
TAG_CAPACITY = 50


def _prospect_from_json(raw: dict[str, Any]) -> Prospect:
    numbers = tuple(PhoneNumber(**n) for n in raw.get("phone_numbers", ()))
    fields = {k: v for k, v in raw.items() if k != "phone_numbers"}
    fields["emails"] = tuple(fields.get("emails", ()))
    return Prospect(**fields, phone_numbers=numbers)


@dataclass(frozen=True, slots=True)
class _Keys:
    """What a lookup compares, lower-cased once when the prospect is remembered."""

    names: tuple[str, ...]
    emails: tuple[str, ...]
    company: str
    numbers: frozenset[str]

    @classmethod
    def of(cls, p: Prospect) -> _Keys:
        full = f"{p.first_name} {p.last_name}"
        names = tuple(n.lower() for n in (p.first_name, p.last_name, full) if n.strip())
        return cls(
            names=names,
            emails=tuple(e.lower() for e in p.emails),
            company=p.company.lower(),
            numbers=frozenset(n.number for n in p.phone_numbers),
        )

    def reason(self, q: str, e164: str | None) -> str | None:
        if e164 is not None:
            return f"phone {e164}" if e164 in self.numbers else None
        if "@" in q:
            return "email" if any(e.startswith(q) for e in self.emails) else None
        if any(n.startswith(q) for n in self.names):
            return "name"
        if self.company and self.company.startswith(q):
            return "company"
        return None


class RecentProspects:
    """The prospects the rep saw lately (newest first) and the tags they used lately."""

    def __init__(self, path: Path | None = None, capacity: int = CAPACITY) -> None:
        self.path = path
        self.capacity = capacity
        self._prospects: dict[int, Prospect] = {}  # insertion order: oldest first
        self._keys: dict[int, _Keys] = {}
        self._tags: list[str] = []  # newest first
        if path is not None:
            self._load(path)

    def remember(self, prospects: Iterable[Prospect]) -> None:
        """Keep these prospects (a fuller record — with numbers — replaces a thinner one)."""
        for p in prospects:
            old = self._prospects.pop(p.id, None)
            self._keys.pop(p.id, None)
            if old is not None and old.phone_numbers and not p.phone_numbers:
                p = Prospect(**{**_as_fields(p), "phone_numbers": old.phone_numbers})
            self._prospects[p.id] = p
            self._keys[p.id] = _Keys.of(p)
        while len(self._prospects) > self.capacity:
            oldest = next(iter(self._prospects))
            del self._prospects[oldest], self._keys[oldest]

    def search(self, query: str, region: str = "US", limit: int = 20) -> list[Match]:
        """Matches among the remembered prospects, newest first, each saying why it matched."""
        query = query.strip()
        if not query:
            return []
        e164: str | None = None
        if looks_like_phone(query):
            try:
                e164 = to_e164(query, region)
            except PhoneNumberError:
                return []
        q = " ".join(query.lower().split())
        out: list[Match] = []
        for pid in reversed(self._keys):
            reason = self._keys[pid].reason(q, e164)
            if reason is not None:
                out.append(Match(self._prospects[pid], reason))
                if len(out) == limit:
                    break
        return out

    def use_tags(self, tags: Iterable[str]) -> None:
        """The tags of a logged call: they come first in the suggestions next time."""
        for tag in reversed(list(tags)):
            self._tags = [tag] + [t for t in self._tags if t.lower() != tag.lower()]
        del self._tags[TAG_CAPACITY:]

    @property
    def tags(self) -> list[str]:
        return list(self._tags)

    def __len__(self) -> int:
        return len(self._prospects)

    def save(self) -> None:
        """Write the file atomically (a crash leaves the old one or the new one, never half)."""
        if self.path is None:
            return
        doc = {
            "prospects": [_as_fields(p) for p in self._prospects.values()],
            "tags": self._tags,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".recent-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(doc, f, separators=(",", ":"))
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def _load(self, path: Path) -> None:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            prospects = [_prospect_from_json(raw) for raw in doc.get("prospects", [])]
            tags = [t for t in doc.get("tags", []) if isinstance(t, str)]
        except (OSError, ValueError, TypeError, AttributeError):
            return  # a missing or damaged cache is only a slower first lookup
        self.remember(prospects)
        self._tags = tags[:TAG_CAPACITY]


def _as_fields(p: Prospect) -> dict[str, Any]:
    fields = asdict(p)
    fields["phone_numbers"] = [asdict(n) for n in p.phone_numbers]
    return fields
