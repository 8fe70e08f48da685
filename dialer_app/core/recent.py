"""Recently seen prospects and recently used tags, kept on disk so lookups answer at once.

The lookup shows matches from here before Outreach answers (and when it cannot answer), then
replaces them with Outreach's. Matching mirrors the server's search: a case-insensitive prefix of
the first name, last name, "first last", an email or the company; a phone number matches when its
E.164 form equals one of the prospect's numbers. Only what the rep already saw is kept — at most
`capacity` prospects, newest first — in one JSON file written atomically.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import files
from .outreach.models import Match, PhoneNumber, Prospect
from .phone import PhoneNumberError, looks_like_phone, to_e164

CAPACITY = 500
TAG_CAPACITY = 50


def _typed(raw: dict[str, Any], key: str, kind: type[Any], default: Any) -> Any:
    value = raw.get(key, default)
    if type(value) is not kind:  # bool is not an int here, nor an int a bool
        raise TypeError(f"{key} is not a {kind.__name__}")
    return value


def _strings(raw: dict[str, Any], key: str) -> tuple[str, ...]:
    values = raw.get(key, [])
    if not isinstance(values, list) or not all(type(v) is str for v in values):
        raise TypeError(f"{key} is not a list of strings")
    return tuple(values)


def _number_from_json(raw: Any) -> PhoneNumber:
    if not isinstance(raw, dict):
        raise TypeError("a phone number is not an object")
    return PhoneNumber(
        id=_typed(raw, "id", int, None),
        number=_typed(raw, "number", str, None),
        phone_type=_typed(raw, "phone_type", str, ""),
        extension=_typed(raw, "extension", str, ""),
    )


def _prospect_from_json(raw: Any) -> Prospect:
    """A prospect as `save` wrote it; TypeError (or KeyError) for anything else."""
    if not isinstance(raw, dict):
        raise TypeError("a prospect is not an object")
    numbers = raw.get("phone_numbers", [])
    if not isinstance(numbers, list):
        raise TypeError("phone_numbers is not a list")
    return Prospect(
        id=_typed(raw, "id", int, None),
        first_name=_typed(raw, "first_name", str, ""),
        last_name=_typed(raw, "last_name", str, ""),
        title=_typed(raw, "title", str, ""),
        company=_typed(raw, "company", str, ""),
        emails=_strings(raw, "emails"),
        time_zone=_typed(raw, "time_zone", str, ""),
        call_opted_out=_typed(raw, "call_opted_out", bool, False),
        phone_numbers=tuple(_number_from_json(n) for n in numbers),
    )


def _document(doc: Any) -> tuple[list[Prospect], list[str]]:
    """The prospects and tags of a `recent.json`; TypeError when it is not one."""
    doc = files.expect_object(doc)
    prospects = doc.get("prospects", [])
    if not isinstance(prospects, list):
        raise TypeError("prospects is not a list")
    return [_prospect_from_json(raw) for raw in prospects], list(_strings(doc, "tags"))


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

    def entries(self, pid: int) -> list[tuple[str, int, int]]:
        """(key, prospect, kind) for the sorted list of keys."""
        out = [(n, pid, _NAME) for n in self.names]
        out += [(e, pid, _EMAIL) for e in self.emails]
        if self.company:
            out.append((self.company, pid, _COMPANY))
        return out


_NAME, _EMAIL, _COMPANY = 0, 1, 2
_REASONS = {_NAME: "name", _EMAIL: "email", _COMPANY: "company"}


class RecentProspects:
    """The prospects the rep saw lately (newest first) and the tags they used lately."""

    def __init__(self, path: Path | None = None, capacity: int = CAPACITY) -> None:
        self.path = path
        self.capacity = capacity
        self._prospects: dict[int, Prospect] = {}  # insertion order: oldest first
        self._keys: dict[int, _Keys] = {}
        # Every name, address and company, sorted: those starting with what was typed are one
        # run of it (found by bisection, not by reading every prospect, up to 500, per key).
        self._sorted: list[tuple[str, int, int]] = []
        self._numbers: dict[str, set[int]] = {}
        self._order: dict[int, int] = {}  # when each was remembered: newest highest
        self._remembered = 0
        self._tags: list[str] = []  # newest first
        if path is not None:
            self._load(path)

    def remember(self, prospects: Iterable[Prospect]) -> None:
        """Keep these prospects (a fuller record — with numbers — replaces a thinner one)."""
        for p in prospects:
            old = self._prospects.pop(p.id, None)
            self._forget_keys(p.id)
            if old is not None and old.phone_numbers and not p.phone_numbers:
                p = Prospect(**{**_as_fields(p), "phone_numbers": old.phone_numbers})
            self._prospects[p.id] = p
            keys = self._keys[p.id] = _Keys.of(p)
            for entry in keys.entries(p.id):
                insort(self._sorted, entry)
            for number in keys.numbers:
                self._numbers.setdefault(number, set()).add(p.id)
            self._remembered += 1
            self._order[p.id] = self._remembered
        while len(self._prospects) > self.capacity:
            oldest = next(iter(self._prospects))
            del self._prospects[oldest]
            self._forget_keys(oldest)

    def _forget_keys(self, pid: int) -> None:
        keys = self._keys.pop(pid, None)
        self._order.pop(pid, None)
        if keys is None:
            return
        for entry in keys.entries(pid):
            del self._sorted[bisect_left(self._sorted, entry)]
        for number in keys.numbers:
            owners = self._numbers[number]
            owners.discard(pid)
            if not owners:
                del self._numbers[number]

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
        found: dict[int, str] = {}
        if e164 is not None:
            found = {pid: f"phone {e164}" for pid in self._numbers.get(e164, ())}
        else:
            q = " ".join(query.lower().split())
            wanted = (_EMAIL,) if "@" in q else (_NAME, _COMPANY)
            best: dict[int, int] = {}  # the name before the company
            keys = self._sorted
            for i in range(bisect_left(keys, (q,)), len(keys)):
                key, pid, kind = keys[i]
                if not key.startswith(q):
                    break
                if kind in wanted and kind < best.get(pid, 3):
                    best[pid] = kind
            found = {pid: _REASONS[kind] for pid, kind in best.items()}
        newest = sorted(found, key=self._order.__getitem__, reverse=True)[:limit]
        return [Match(self._prospects[pid], found[pid]) for pid in newest]

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

    def save(self, *, durable: bool = False) -> None:
        """Write the file atomically (a crash leaves the old one or the new one, never half).

        Not flushed to the disk by default: it is a cache, rebuilt by the next lookups.
        """
        if self.path is None:
            return
        doc = {
            "prospects": [_as_fields(p) for p in self._prospects.values()],
            "tags": self._tags,
        }
        files.write_json(self.path, doc, durable=durable)

    def _load(self, path: Path) -> None:
        loaded = files.load_json(
            path,
            _document,
            what="The list of prospects you saw recently",
            outcome="it starts again empty (lookups still ask Outreach)",
        )
        if loaded is None:
            return
        prospects, tags = loaded
        self.remember(prospects)
        self._tags = tags[:TAG_CAPACITY]


def _as_fields(p: Prospect) -> dict[str, Any]:
    fields = asdict(p)
    fields["phone_numbers"] = [asdict(n) for n in p.phone_numbers]
    return fields
