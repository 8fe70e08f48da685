"""Filling the local index from Outreach in the background, incrementally.

A pass (`IndexSync.run_once`) reads:

1. the rep's prospects changed since the last pass — `filter[owner][id]=<rep>`,
   `filter[updatedAt]=<since>..inf` (Outreach's range form: `A..B`, `inf`/`neginf` for an open
   end), `sort=updatedAt`, sparse fields. Each pass starts `OVERLAP` before the newest change it
   saw, because Outreach's reads may lag its writes and its pages may come unsorted; writing a
   prospect twice is harmless. The first pass, and one a day (`FULL_EVERY`), takes them all,
   and prospects no longer the rep's (reassigned, deleted) then leave the index; so does every
   pass where the org refuses the range (400);
2. the rep's open call tasks (`filter[state]=incomplete`, `filter[taskType]` sequence step call
   and call), which mark their prospects; those not indexed yet are read by id.

Pages are read with the app's client (the network is asynchronous), but their JSON is turned
into prospects and written on the index's writer thread, so a pass never stalls the event loop.
Numbers come from the prospect's phone arrays (`workPhones`, `mobilePhones`, …). Pagination
follows `links.next` on the API's own origin only and never twice to the same page.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from .index import ANY, TASK, Entry, ProspectIndex
from .outreach import errors as e
from .outreach.models import PhoneNumber, Prospect
from .outreach.search import digits_of

if TYPE_CHECKING:
    from .outreach.client import OutreachClient

T = TypeVar("T")
OVERLAP = timedelta(minutes=5)
FULL_EVERY = timedelta(hours=24)  # a whole pass: prospects no longer the rep's leave the index
PAGE_SIZE = 500
MAX_PAGES = 10_000
BY_ID_CHUNK = 100
CALL_TASK_TYPES = ("sequence_step_call", "call")
PHONE_ARRAYS = {
    "workPhones": "work",
    "mobilePhones": "mobile",
    "homePhones": "home",
    "voipPhones": "voip",
    "otherPhones": "other",
}
SYNC_FIELDS = (
    "firstName,lastName,title,company,emails,timeZone,callOptedOut,updatedAt,owner,"
    + ",".join(PHONE_ARRAYS)
)
Params = Mapping[str, str | int]


@dataclass(frozen=True, slots=True)
class SyncReport:
    """What one pass did."""

    prospects: int  # written: the rep's changed ones, plus task ones not indexed before
    tasks: int  # prospects with an open call task of the rep
    pages: int  # pages of the rep's prospects read
    seconds: float


class SyncError(RuntimeError):
    """A pass could not finish (a page led off the API, or looped); the next pass retries."""


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _instant(value: object) -> datetime | None:
    """An ISO 8601 instant (UTC when it names no zone), or None."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def latest(stamps: Iterable[str]) -> str:
    """The latest of some `updatedAt` values (compared as instants), "" when none is one."""
    dated = [(when, s) for s in stamps if (when := _instant(s)) is not None]
    return max(dated)[1] if dated else ""


def entry_from_json(res: object) -> Entry | None:
    """An `Entry` from a JSON:API prospect resource as plain JSON; None when it is not one."""
    if not isinstance(res, dict) or res.get("type") != "prospect":
        return None
    rid = res.get("id")
    if not isinstance(rid, int) or isinstance(rid, bool):
        return None
    attrs = res.get("attributes")
    attrs = attrs if isinstance(attrs, dict) else {}

    def text(name: str) -> str:
        value = attrs.get(name)
        return value if isinstance(value, str) else ""

    numbers: list[PhoneNumber] = []
    for array, phone_type in PHONE_ARRAYS.items():
        values = attrs.get(array)
        for value in values if isinstance(values, list) else ():
            if isinstance(value, str) and value.startswith("+") and digits_of(value):
                numbers.append(PhoneNumber(0, "+" + digits_of(value), phone_type))
    emails = attrs.get("emails")
    prospect = Prospect(
        id=rid,
        first_name=text("firstName"),
        last_name=text("lastName"),
        title=text("title"),
        company=text("company"),
        emails=tuple(x for x in emails if isinstance(x, str)) if isinstance(emails, list) else (),
        time_zone=text("timeZone"),
        call_opted_out=attrs.get("callOptedOut") is True,
        phone_numbers=tuple(numbers),
    )
    updated = text("updatedAt") if _instant(attrs.get("updatedAt")) else ""
    return Entry(prospect, _linked_id(res, "owner"), updated)


def _linked_id(res: Mapping[str, Any], name: str) -> int | None:
    rels = res.get("relationships")
    rel = rels.get(name) if isinstance(rels, dict) else None
    data = rel.get("data") if isinstance(rel, dict) else None
    rid = data.get("id") if isinstance(data, dict) else None
    return rid if isinstance(rid, int) and not isinstance(rid, bool) else None


def _resources(raw: Mapping[str, Any]) -> list[Any]:
    data = raw.get("data")
    return data if isinstance(data, list) else []


class IndexSync:
    """Fills a `ProspectIndex` from Outreach for the signed-in rep.

    `writer` is the one thread that writes to the index (a single-thread executor). With
    `everyone=True` every prospect of the org is indexed, not only the rep's own.
    """

    def __init__(
        self,
        client: OutreachClient,
        index: ProspectIndex,
        writer: Executor,
        *,
        user_id: int,
        everyone: bool = False,
        page_size: int = PAGE_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._index = index
        self._writer = writer
        self._user = user_id
        self._everyone = everyone
        self._page_size = page_size
        self._clock = clock

    async def _on_writer(self, fn: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn)

    async def run_once(self) -> SyncReport:
        """One pass: the rep's changed prospects, then the open call tasks' prospects."""
        started = self._clock()
        if self._index.meta("user") not in (None, str(self._user)):
            await self._on_writer(self._index.clear)  # another rep's index
        since = self._index.meta("updated_since") or ""
        last_full = _instant(self._index.meta("full_at"))
        now = datetime.now(UTC)
        full = last_full is None or now - last_full >= FULL_EVERY or _instant(since) is None
        try:
            newest, written, pages = await self._prospects(since, full)
        except e.HttpError as exc:
            if exc.status != 400 or full:
                raise
            full = True  # the org refuses the changed-since range: read them all
            newest, written, pages = await self._prospects(since, full)
        with_tasks = await self._open_call_tasks()
        written += await self._task_prospects(with_tasks)
        progress = {"user": str(self._user), "synced_at": _stamp(now)}
        if full:
            progress["full_at"] = _stamp(now)
        if newest:
            progress["updated_since"] = newest
        await self._on_writer(partial(self._index.set_meta, progress))
        return SyncReport(written, len(with_tasks), pages, self._clock() - started)

    async def _prospects(self, since: str, full: bool) -> tuple[str, int, int]:
        """The rep's prospects changed since `since` (all when `full`): (the newest change,
        how many were written, pages read)."""
        params: dict[str, str | int] = {
            "fields[prospect]": SYNC_FIELDS,
            "sort": "updatedAt",
            "page[size]": self._page_size,
        }
        if not self._everyone:
            params["filter[owner][id]"] = self._user
        if not full and (start := _instant(since)) is not None:
            params["filter[updatedAt]"] = f"{_stamp(start - OVERLAP)}..inf"
        newest, written, pages = since, 0, 0
        me = None if self._everyone else self._user
        add = ANY if self._everyone else 0
        listed: set[int] = set()
        async for raw in self._pages("/prospects", params):
            pages += 1
            ids, page_newest = await self._on_writer(partial(self._write, raw, add=add, me=me))
            written += len(ids)
            newest = latest([newest, page_newest])
            listed.update(ids)
        if full and me is not None:
            await self._on_writer(partial(self._index.keep_own, listed))
        return newest, written, pages

    async def _task_prospects(self, with_tasks: list[int]) -> int:
        """Mark the prospects with open call tasks; read those not indexed yet. How many were
        written."""
        missing = await self._on_writer(partial(self._index.set_tasks, with_tasks))
        written = 0
        for first in range(0, len(missing), BY_ID_CHUNK):
            wanted = ",".join(str(i) for i in missing[first : first + BY_ID_CHUNK])
            by_id: dict[str, str | int] = {"filter[id]": wanted, "fields[prospect]": SYNC_FIELDS}
            async for raw in self._pages("/prospects", by_id):
                got, _ = await self._on_writer(partial(self._write, raw, add=TASK))
                written += len(got)
        return written

    def _write(
        self, raw: Mapping[str, Any], *, add: int = 0, me: int | None = None
    ) -> tuple[list[int], str]:
        """On the writer thread: a page's prospects into the index; (their ids, the newest
        change among them)."""
        entries = [e for e in map(entry_from_json, _resources(raw)) if e is not None]
        self._index.upsert(entries, add=add, me=me)
        return [e.prospect.id for e in entries], latest(e.updated_at for e in entries)

    async def _open_call_tasks(self) -> list[int]:
        out: set[int] = set()
        for task_type in CALL_TASK_TYPES:
            params: dict[str, str | int] = {
                "filter[owner][id]": self._user,
                "filter[state]": "incomplete",
                "filter[taskType]": task_type,
                "fields[task]": "prospect",
                "page[size]": self._page_size,
            }
            async for raw in self._pages("/tasks", params):
                out.update(_task_prospects(raw))
        return sorted(out)

    async def _pages(self, path: str, params: Params) -> AsyncIterator[Mapping[str, Any]]:
        """Each page of a list as plain JSON, following `links.next` on the API's origin only,
        never twice to the same page."""
        origin = urlsplit(self._client.base_url)[:2]
        seen: set[str] = set()
        raw = await self._client.read_raw(path, params)
        for _ in range(MAX_PAGES):
            yield raw
            links = raw.get("links")
            nxt = links.get("next") if isinstance(links, dict) else None
            if not isinstance(nxt, str) or not nxt:
                return
            if urlsplit(nxt)[:2] != origin or nxt in seen:
                raise SyncError(f"Outreach's next page of {path} leads off the API or loops.")
            seen.add(nxt)
            raw = await self._client.read_raw(nxt)
        raise SyncError(f"{path} has more than {MAX_PAGES} pages.")


def _task_prospects(raw: Mapping[str, Any]) -> Iterator[int]:
    for res in _resources(raw):
        if isinstance(res, dict) and (pid := _linked_id(res, "prospect")) is not None:
            yield pid
