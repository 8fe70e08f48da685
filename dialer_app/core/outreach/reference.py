"""The org's dispositions and purposes, fetched once and refreshed when older than a TTL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from .client import OutreachClient
from .models import Disposition, Purpose

REFERENCE_TTL = 3600.0


@dataclass(frozen=True, slots=True)
class Reference:
    dispositions: list[Disposition]
    purposes: list[Purpose]
    fetched_at: float


class ReferenceCache:
    """`await get()` reads Outreach at most once per `ttl` seconds; `get(refresh=True)` always.

    Concurrent callers share one fetch. A failed refresh raises and keeps the older lists.
    """

    def __init__(
        self,
        client: OutreachClient,
        *,
        ttl: float = REFERENCE_TTL,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._now = now
        self._lock = asyncio.Lock()
        self.current: Reference | None = None
        self._generation = 0

    def fresh(self) -> bool:
        return self.current is not None and self._now() - self.current.fetched_at < self._ttl

    async def get(self, *, refresh: bool = False) -> Reference:
        if not refresh and self.fresh():
            assert self.current is not None
            return self.current
        generation = self._generation
        async with self._lock:
            if self._generation != generation and self.current is not None:
                return self.current  # fetched by another caller while this one waited
            dispositions, purposes = await asyncio.gather(
                self._client.dispositions(), self._client.purposes()
            )
            self.current = Reference(dispositions, purposes, self._now())
            self._generation += 1
            return self.current
