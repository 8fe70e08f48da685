"""The real sandbox app served in-process (httpx's ASGI transport), for fast property tests.

Network proof still comes from the sandbox as a process on 127.0.0.1 (`tests.support.sandbox`);
this runs the same ASGI app and database code without a socket, so a hypothesis example costs
milliseconds. Every request is recorded (`org.requests`), the dialect is switched with
`org.speak(...)`, and prospects can be added with `org.add_prospect(...)`.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx

from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.sandbox.app import create_app
from dialer_app.sandbox.dialects import Dialect
from dialer_app.sandbox.resources import PHONE_NUMBER, PROSPECT
from dialer_app.sandbox.seed import seed
from dialer_app.sandbox.settings import SandboxSettings
from dialer_app.sandbox.store import Row, Store

BASE = "http://sandbox.test/api/v2"
TOKEN = "inprocess-token"
ADMIN = "inprocess-admin"
T = TypeVar("T")


class Recording(httpx.AsyncBaseTransport):
    """Passes requests to `inner` and remembers each one's URL."""

    def __init__(self, inner: httpx.AsyncBaseTransport, into: list[httpx.URL]) -> None:
        self._inner = inner
        self._into = into

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._into.append(request.url)
        return await self._inner.handle_async_request(request)


@dataclass
class InProcessOrg:
    """A seeded sandbox database behind the sandbox's ASGI app, in this process."""

    prospects: int = 40
    store: Store = field(init=False)
    requests: list[httpx.URL] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(100_000))

    def __post_init__(self) -> None:
        self.store = Store.open(None)
        seed(self.store, prospects=self.prospects, seed=3)
        settings = SandboxSettings(tokens={TOKEN: 1}, admin_token=ADMIN)
        self.app = create_app(self.store, settings)

    def client(self) -> OutreachClient:
        """An app client on this org (make and close it inside the running loop)."""
        transport = Recording(httpx.ASGITransport(app=self.app), self.requests)
        return OutreachClient(BASE, StaticToken(TOKEN), transport=transport, retry=RetryPolicy(1))

    def run(self, work: Callable[[OutreachClient], Awaitable[T]]) -> T:
        """Run `work(client)` on a fresh event loop."""

        async def go() -> T:
            client = self.client()
            try:
                return await work(client)
            finally:
                await client.aclose()

        return asyncio.run(go())

    def speak(self, **answers: object) -> None:
        """Put the org into a dialect (the settings not named go back to the defaults)."""
        asyncio.run(self.aspeak(**answers))

    async def aspeak(self, **answers: object) -> None:
        """`speak`, from inside a running event loop."""
        body = {**Dialect().as_json(), **answers}
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as c:
            r = await c.put(
                "/_admin/dialect", json=body, headers={"Authorization": f"Bearer {ADMIN}"}
            )
            r.raise_for_status()

    def add_prospect(
        self,
        first: str,
        last: str,
        *,
        company: str = "",
        emails: tuple[str, ...] = (),
        numbers: Mapping[str, str] | None = None,
        owner: int = 1,
    ) -> int:
        """A new prospect (and its numbers: E.164 → type); its id."""
        pid = next(self._ids)
        attrs: dict[str, Any] = {
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "company": company,
            "emails": list(emails),
            "callOptedOut": False,
            "updatedAt": "2025-06-02T09:00:00.000Z",
            "createdAt": "2025-06-02T09:00:00.000Z",
        }
        with self.store.transaction():
            self.store.insert_many(PROSPECT, [Row(PROSPECT.type, pid, attrs, {"owner": owner})])
            self.store.insert_many(
                PHONE_NUMBER,
                [
                    Row(
                        PHONE_NUMBER.type,
                        pid * 10 + i,
                        {"number": number, "phoneType": kind, "order": i + 1},
                        {"prospect": pid},
                    )
                    for i, (number, kind) in enumerate((numbers or {}).items())
                ],
            )
        return pid

    def every_prospect(self) -> list[dict[str, Any]]:
        rows = self.store.page(PROSPECT, _all()).rows
        return [{"id": r.id, **r.attrs} for r in rows]

    def close(self) -> None:
        self.store.close()


def _all() -> Any:
    from dialer_app.sandbox.query import parse_list_query

    return parse_list_query(PROSPECT, {"page[size]": "1000"})
