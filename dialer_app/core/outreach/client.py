"""OutreachClient: one httpx.AsyncClient, one choke point, typed operations.

Every request passes `_send`, which adds the token and JSON:API headers, applies the retry policy
to idempotent reads, tracks the rate-limit budget and turns every transport or HTTP failure into
the error tree of `errors.py`. POST is never retried here: whoever sends a call decides.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from pydantic import ValidationError

from ..calls import Call, NewCall
from ..jsonapi import MEDIA_TYPE, Document, ErrorDocument, ErrorObject, Resource
from . import errors as e
from .models import Disposition, Match, PhoneNumber, Prospect, Purpose, User

if TYPE_CHECKING:
    from .search import ProspectSearch

PROSPECT_FIELDS = "firstName,lastName,title,company,emails,timeZone,callOptedOut"
PHONE_FIELDS = "number,phoneType,extension,prospect"

Params = Mapping[str, str | int]


class TokenSource(Protocol):
    """Gives the access token to send; may refresh it first."""

    async def access_token(self) -> str:
        """The token to send now (refreshed first when it is about to expire)."""
        ...

    async def refresh_after_rejection(self, rejected: str) -> bool:
        """Outreach answered 401 to `rejected`: get a new token; True when there is one.

        Raises `errors.SignInRequired` when no new token can be had without the rep.
        """
        ...


@dataclass(frozen=True, slots=True)
class StaticToken:
    """A fixed access token (automation, demo mode)."""

    token: str

    async def access_token(self) -> str:
        return self.token

    async def refresh_after_rejection(self, rejected: str) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, for idempotent reads only."""

    attempts: int = 3
    base_delay: float = 0.25
    max_delay: float = 4.0

    def delay(self, attempt: int, rng: random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay * 4)
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))

    def should_retry(self, error: e.OutreachError, attempt: int) -> bool:
        if attempt >= self.attempts:
            return False
        return isinstance(error, e.ServerError | e.RequestTimeout | e.ConnectError)


NO_RETRY = RetryPolicy(attempts=1)


@dataclass(slots=True)
class RateBudget:
    """The rate-limit budget as Outreach last reported it."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None

    def update(self, headers: httpx.Headers) -> None:
        limit = _first_int(headers.get("X-RateLimit-Limit"))
        remaining = _min_int(headers.get("X-RateLimit-Remaining"))
        reset = _first_int(headers.get("X-RateLimit-Reset"))
        if limit is not None:
            self.limit = limit
        if remaining is not None:
            self.remaining = remaining
        if reset is not None:
            self.reset_at = datetime.fromtimestamp(reset, UTC)


class OutreachClient:
    """Talks to one Outreach API base URL (`https://api.outreach.io/api/v2` or the sandbox)."""

    def __init__(
        self,
        base_url: str,
        token: TokenSource,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=timeout,
            headers={"Accept": MEDIA_TYPE, "User-Agent": "DialerCompanion"},
        )
        self._retry = retry or RetryPolicy()
        self._sleep = sleep
        self._rng = rng or random.Random()
        self.budget = RateBudget()
        self.prospect_search: ProspectSearch | None = None  # made by the first `search`

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- operations -------------------------------------------------------------------------

    async def current_user(self) -> User:
        """The user the token belongs to (`GET /api/v2` → `meta.user`)."""
        doc = await self._get_json("")
        user = doc.get("meta", {}).get("user") if isinstance(doc.get("meta"), dict) else None
        if not isinstance(user, dict) or not isinstance(user.get("id"), int):
            raise e.MalformedResponse("Outreach did not say who is signed in (no meta.user).")
        return User(
            id=user["id"],
            email=str(user.get("email") or ""),
            first_name=str(user.get("firstName") or ""),
            last_name=str(user.get("lastName") or ""),
        )

    async def search(self, query: str, *, region: str = "US", limit: int = 20) -> list[Match]:
        """Prospects matching a name, email or phone number, each with why it matched
        (`search.ProspectSearch`, which finds out what the org's filters do)."""
        if self.prospect_search is None:
            from .search import ProspectSearch

            self.prospect_search = ProspectSearch(self)
        return await self.prospect_search.search(query, region=region, limit=limit)

    async def prospect(self, prospect_id: int) -> Prospect:
        """A prospect with its phone numbers."""
        res_doc = await self._get_document(
            f"/prospects/{prospect_id}", {"fields[prospect]": PROSPECT_FIELDS}
        )
        resources = res_doc.resources()
        if not resources:
            raise e.MalformedResponse(f"Outreach returned no prospect {prospect_id}.")
        numbers = [
            PhoneNumber.from_resource(r)
            async for r in self.paginate(
                "/phoneNumbers",
                {"filter[prospect][id]": prospect_id, "fields[phoneNumber]": PHONE_FIELDS},
            )
        ]
        return Prospect.from_resource(resources[0], tuple(numbers))

    async def dispositions(self) -> list[Disposition]:
        """The org's call dispositions, in their order."""
        items = [Disposition.from_resource(r) async for r in self.paginate("/callDispositions")]
        return sorted(items, key=lambda d: (d.order, d.name))

    async def purposes(self) -> list[Purpose]:
        """The org's call purposes, in their order."""
        items = [Purpose.from_resource(r) async for r in self.paginate("/callPurposes")]
        return sorted(items, key=lambda p: (p.order, p.name))

    async def create_call(self, call: NewCall) -> Call:
        """`POST /calls` — never retried here."""
        doc = await self._send_document("POST", "/calls", body=call.to_document(), retry=NO_RETRY)
        return self._one_call(doc)

    async def task_state(self, task_id: int) -> str:
        """A task's `state` (`incomplete`, `complete`, …), read with the read retry policy."""
        doc = await self._get_document(f"/tasks/{task_id}", {"fields[task]": "state"})
        resources = doc.resources()
        if len(resources) != 1:
            raise e.MalformedResponse(f"Outreach returned no task {task_id}.")
        return str(resources[0].attributes.get("state") or "")

    async def mark_task_complete(self, task_id: int, completion_action: str = "") -> None:
        """`POST /tasks/{id}/actions/markComplete` — never retried here (not idempotent:
        a second one is refused as already complete, or advances a sequence again).

        `completion_action` (`actionParams[completionAction]`): `finish_no_reply` or
        `finish_replied` finish a sequence step task's sequence; empty advances it.
        """
        params = (
            {"actionParams[completionAction]": completion_action} if completion_action else None
        )
        await self._send_document(
            "POST", f"/tasks/{task_id}/actions/markComplete", params=params, retry=NO_RETRY
        )

    async def get_call(self, call_id: int) -> Call:
        return self._one_call(await self._get_document(f"/calls/{call_id}"))

    async def calls_of_prospect(self, prospect_id: int, *, limit: int = 25) -> list[Call]:
        """The prospect's most recent calls, newest first."""
        doc = await self._get_document(
            "/calls",
            {"filter[prospect][id]": prospect_id, "sort": "-createdAt", "page[size]": limit},
        )
        return [self._parse_call(r) for r in doc.resources()]

    async def read(self, path: str, params: Params | None = None) -> Document:
        """Any JSON:API read (`/sequenceStates`, `/tasks/7`, …), with the read retry policy."""
        return await self._get_document(path, params)

    async def read_raw(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """A read's JSON as it came, to be read off the event loop (the index sync's pages)."""
        return await self._get_json(path, params)

    async def paginate(self, path: str, params: Params | None = None) -> AsyncIterator[Resource]:
        """Every resource of a list, following `links.next` page by page."""
        doc = await self._get_document(path, {"page[size]": 100, **(params or {})})
        while True:
            for res in doc.resources():
                yield res
            if doc.next_url is None:
                return
            doc = await self._get_document(doc.next_url)

    # -- the choke point --------------------------------------------------------------------

    def _one_call(self, doc: Document) -> Call:
        resources = doc.resources()
        if len(resources) != 1:
            raise e.MalformedResponse("Outreach answered without the call.")
        return self._parse_call(resources[0])

    @staticmethod
    def _parse_call(res: Resource) -> Call:
        try:
            return Call.from_resource(res)
        except ValidationError as exc:
            raise e.MalformedResponse(
                f"Outreach returned a call this app cannot read: {exc}"
            ) from None

    async def _get_json(self, path: str, params: Params | None = None) -> dict[str, Any]:
        return await self._send("GET", path, params=params, retry=self._retry)

    async def _get_document(self, path: str, params: Params | None = None) -> Document:
        return await self._send_document("GET", path, params=params, retry=self._retry)

    async def _send_document(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: dict[str, Any] | None = None,
        retry: RetryPolicy,
    ) -> Document:
        raw = await self._send(method, path, params=params, body=body, retry=retry)
        try:
            return Document.model_validate(raw)
        except ValidationError as exc:
            raise e.MalformedResponse(f"Outreach answered in an unexpected shape: {exc}") from None

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: dict[str, Any] | None = None,
        retry: RetryPolicy,
    ) -> dict[str, Any]:
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            token = await self._token.access_token()
            try:
                return await self._send_once(method, url, params, body, token)
            except e.Unauthorized:
                # A 401 was not processed: repeating it once with a new token is safe, even a POST.
                if refreshed or not await self._token.refresh_after_rejection(token):
                    raise
                refreshed = True
                attempt -= 1
            except e.OutreachError as err:
                if not retry.should_retry(err, attempt):
                    raise
                retry_after = err.retry_after if isinstance(err, e.HttpError) else None
                await self._sleep(retry.delay(attempt, self._rng, retry_after))

    async def _send_once(
        self,
        method: str,
        url: str,
        params: Params | None,
        body: dict[str, Any] | None,
        token: str,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        content: bytes | None = None
        if body is not None:
            headers["Content-Type"] = MEDIA_TYPE
            content = json.dumps(body).encode()
        try:
            response = await self._http.request(
                method,
                url,
                params=dict(params) if params else None,
                headers=headers,
                content=content,
            )
        except httpx.TimeoutException:
            raise e.RequestTimeout("Outreach did not answer in time.") from None
        except httpx.ConnectError as exc:
            if _is_tls_failure(exc):
                raise e.TlsError(f"Secure connection to Outreach failed: {exc}") from None
            raise e.ConnectError("Cannot reach Outreach. Check the connection.") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise e.ConnectionDropped(
                "The connection to Outreach dropped before an answer."
            ) from None
        except httpx.TransportError as exc:
            raise e.ConnectError(f"Network error talking to Outreach: {exc}") from None
        self.budget.update(response.headers)
        if response.status_code >= 400:
            raise _http_error(response)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            parsed = json.loads(response.content)
        except ValueError:
            raise e.MalformedResponse(
                f"Outreach answered {response.status_code} with a body that is not JSON."
            ) from None
        if not isinstance(parsed, dict):
            raise e.MalformedResponse("Outreach answered with JSON that is not an object.")
        return parsed


def _http_error(response: httpx.Response) -> e.HttpError:
    status = response.status_code
    errors: list[ErrorObject] = []
    with contextlib.suppress(ValueError):
        errors = ErrorDocument.parse(response.content).errors
    detail = "; ".join(err.message for err in errors) or response.reason_phrase or "error"
    retry_after = _first_float(response.headers.get("Retry-After"))
    if status == 401:
        return e.Unauthorized(
            f"Outreach refused the sign-in ({detail}). Sign in again.", status=status, errors=errors
        )
    if status == 403:
        return e.Forbidden(f"Not allowed: {detail}", status=status, errors=errors)
    if status == 404:
        return e.NotFound(f"Not found: {detail}", status=status, errors=errors)
    if status == 415:
        return e.UnsupportedMediaType(detail, status=status, errors=errors)
    if status == 422:
        field_errors = ErrorDocument(errors=errors).field_errors()
        return e.ValidationFailed(
            f"Outreach refused the call: {detail}",
            status=status,
            errors=errors,
            field_errors=field_errors,
        )
    if status == 429:
        reset = _first_int(response.headers.get("X-RateLimit-Reset"))
        reset_at = datetime.fromtimestamp(reset, UTC) if reset is not None else None
        return e.RateLimited(
            "Outreach's request limit is reached; waiting for it to reset.",
            status=status,
            errors=errors,
            retry_after=retry_after,
            reset_at=reset_at,
        )
    if status >= 500:
        return e.ServerError(
            f"Outreach had a problem ({status}): {detail}",
            status=status,
            errors=errors,
            retry_after=retry_after,
        )
    return e.HttpError(
        f"Outreach refused the request ({status}): {detail}", status=status, errors=errors
    )


def _is_tls_failure(exc: BaseException) -> bool:
    """Whether a connect failure was the TLS handshake or certificate check."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc)
    return "SSL" in text or "certificate" in text.lower()


def _first_int(value: str | None) -> int | None:
    f = _first_float(value)
    return None if f is None else int(f)


def _first_float(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value.split(",")[0].strip())
    except ValueError:
        return None


def _min_int(value: str | None) -> int | None:
    """`X-RateLimit-Remaining` may carry several budgets (`9999, 19988`): the smallest binds."""
    if not value:
        return None
    numbers = []
    for part in value.split(","):
        try:
            numbers.append(int(part.strip()))
        except ValueError:
            continue
    return min(numbers) if numbers else None
