"""OutreachClient: one httpx.AsyncClient, one choke point, typed operations.

Every request passes `_send`, the choke point: the URL must be on the configured API origin
(`ForeignLink` otherwise), the token is attached by `auth.BearerAuth` (API origin only; one
refresh and replay on 401), the whole exchange has a deadline, the body is decoded bounded by
`guard.GuardedTransport`, its JSON parsed strictly and depth-limited, the headers read without
ever raising (`headers.py`), the rate-limit budget tracked, and every failure turned into the
error tree of `errors.py`. Idempotent reads are retried by a `retry.py` policy; POST is never
retried here: whoever sends a call decides. Lists follow `links.next` on the API origin only,
and stop at a page they have seen or after `Limits.max_pages`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import ValidationError

from ..calls import Call, NewCall
from ..jsonapi import (
    MEDIA_TYPE,
    Document,
    ErrorDocument,
    ErrorObject,
    FieldError,
    Resource,
    ResourceIdentifier,
)
from . import errors as e
from . import headers as h
from .auth import BearerAuth, StaticToken, TokenSource, origin_of
from .guard import GuardedTransport, Limits, network_transport, parse_json
from .models import Disposition, Match, PhoneNumber, Prospect, Purpose, User
from .retry import NO_RETRY, Policy, read_policy

__all__ = [
    "NO_RETRY",
    "Limits",
    "OutreachClient",
    "RateBudget",
    "RetryPolicy",
    "StaticToken",
    "TokenSource",
]

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from .search import ProspectSearch

PROSPECT_FIELDS = "firstName,lastName,title,company,emails,timeZone,callOptedOut"
PHONE_FIELDS = "number,phoneType,extension,status,prospect"

Params = Mapping[str, str | int]
Waiting = Callable[[], None]  # told that a request has nothing to do but wait
# httpcore's trace events after which an exchange waits on the network: a new connection being
# made (name lookup, TCP, TLS take round trips), or the request written.
_WAITS = (".connect_tcp.started", ".connect_unix_socket.started", ".send_request_body.complete")


# The name earlier code gave the read policy: `RetryPolicy(attempts=1)` is `read_policy(1)`.
RetryPolicy = read_policy
TEXT_MAX = 300  # characters of a server's error text shown to the rep
ERRORS_MAX = 20  # error objects of one answer kept
PATHS_KEPT = 64  # checked API paths kept, the least recently used dropped first


@dataclass(slots=True)
class RateBudget:
    """The rate-limit budget as Outreach last reported it (clamped, never raising)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None

    def update(self, headers: Mapping[str, str], now: float | None = None) -> None:
        limit, remaining, reset = h.rate_headers(headers, time.time() if now is None else now)
        if limit is not None:
            self.limit = limit
        if remaining is not None:
            # Answers to requests in flight together may come back in another order: within
            # one window (the same reset) the budget only goes down.
            before = self.remaining
            if before is not None and reset is not None and reset == self.reset_at:
                remaining = min(before, remaining)
            self.remaining = remaining
        if reset is not None:
            self.reset_at = reset


class OutreachClient:
    """Talks to one Outreach API base URL (`https://api.outreach.io/api/v2` or the sandbox)."""

    def __init__(
        self,
        base_url: str,
        token: TokenSource,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float | None = None,
        retry: Policy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
        limits: Limits | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`timeout` is the deadline of one whole exchange (it overrides `limits.deadline`);
        `clock` is wall time, for HTTP dates and the budget's reset."""
        self.base_url = base_url.rstrip("/")
        self._base = httpx.URL(self.base_url)
        self.origin = origin_of(self._base)
        self.limits = limits or Limits()
        if timeout is not None:
            self.limits = replace(self.limits, deadline=timeout)
        self.token_source = token
        self._http = httpx.AsyncClient(
            transport=GuardedTransport(
                transport or network_transport(self._base), self.limits.max_body
            ),
            auth=BearerAuth(token, self.origin),
            timeout=self.limits.deadline,
            follow_redirects=False,
            headers={"Accept": MEDIA_TYPE, "User-Agent": "DialerCompanion"},
        )
        self._clock = clock
        self._retry = retry or read_policy(rng=rng, clock=clock)
        self._sleep = sleep
        self.budget = RateBudget()
        self.prospect_search: ProspectSearch | None = None  # made by the first `search`

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- operations -------------------------------------------------------------------------

    async def current_user(self) -> User:
        """The user the token belongs to (`GET /api/v2` → `meta.user`)."""
        doc = await self._get_json("")
        user = doc.get("meta", {}).get("user") if isinstance(doc.get("meta"), dict) else None
        uid = user.get("id") if isinstance(user, dict) else None
        if not isinstance(user, dict) or not isinstance(uid, int) or isinstance(uid, bool):
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

    async def post_call(self, call: NewCall) -> int:
        """`POST /calls`, never retried here: the new call's id, all the sender keeps of the
        answer. Only `data`'s `type` and `id` are read (as strictly as `create_call` reads
        them); the rest of the answer is not parsed, as nobody reads it."""
        raw = await self._send("POST", "/calls", body=call.to_document(), retry=NO_RETRY)
        return _created_id(raw, "call")

    async def task_state(self, task_id: int) -> str:
        """A task's `state` (`incomplete`, `complete`, …); not retried here: the sender asks
        and decides (its policy waits longer, and counts every request)."""
        doc = await self._send_document(
            "GET", f"/tasks/{task_id}", params={"fields[task]": "state"}, retry=NO_RETRY
        )
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

    async def read(
        self, path: str, params: Params | None = None, *, waiting: Waiting | None = None
    ) -> Document:
        """Any JSON:API read (`/sequenceStates`, `/tasks/7`, …), with the read retry policy.

        `waiting` is called each time the read has nothing to do but wait: its request written
        (or a new connection being made first), or a retry's delay begun. A caller does its own
        work then, while Outreach thinks, and never delays the request by it.
        """
        return await self._send_document(
            "GET", path, params=params, retry=self._retry, waiting=waiting
        )

    async def find_call(self, vendor_call_id: str, prospect_id: int | None) -> int | None:
        """The Outreach id of the call carrying `vendor_call_id`, or None when reads do not
        show it (yet: Outreach's reads may lag its writes).

        Looks among the prospect's 100 most recent calls (the org's, for a call without a
        prospect), reading only `vendorCallId`: one odd call among them cannot hide ours. Not
        retried here: the sender looks again on its own schedule.
        """
        params: dict[str, str | int] = {
            "sort": "-createdAt",
            "page[size]": 100,
            "fields[call]": "vendorCallId",
        }
        if prospect_id is not None:
            params["filter[prospect][id]"] = prospect_id
        doc = await self._send_document("GET", "/calls", params=params, retry=NO_RETRY)
        for res in doc.resources():
            if res.attributes.get("vendorCallId") == vendor_call_id:
                return res.id
        return None

    async def read_raw(self, path: str, params: Params | None = None) -> dict[str, Any]:
        """A read's JSON as it came, to be read off the event loop (the index sync's pages)."""
        return await self._get_json(path, params)

    async def paginate(self, path: str, params: Params | None = None) -> AsyncIterator[Resource]:
        """Every resource of a list, following `links.next` page by page.

        A next link off the API origin is refused (`ForeignLink`); a link to a page already
        read, or past `limits.max_pages` pages, ends the list there (logged).
        """
        query = {"page[size]": 100, **(params or {})}
        url = self._url(path).copy_merge_params(query)
        seen = {str(url)}
        doc = await self._get_document(url)
        pages = 1
        while True:
            for res in doc.resources():
                yield res
            if doc.next_url is None:
                return
            url = self._url(doc.next_url, relative_to=url)
            if str(url) in seen:
                log.warning("%s: the next page is one already read; the list ends here", path)
                return
            if pages >= self.limits.max_pages:
                log.warning("%s: more than %d pages; the list ends here", path, pages)
                return
            seen.add(str(url))
            pages += 1
            doc = await self._get_document(url)

    # -- the choke point --------------------------------------------------------------------

    def _one_call(self, doc: Document) -> Call:
        resources = doc.resources()
        if len(resources) != 1:
            raise e.MalformedResponse("Outreach answered without the call.")
        _expect_kind(resources[0].type, "call")
        return self._parse_call(resources[0])

    @staticmethod
    def _parse_call(res: Resource) -> Call:
        try:
            return Call.from_resource(res)
        except ValidationError as exc:
            raise e.MalformedResponse(_plain("a call", exc)) from None

    def _url(self, target: str | httpx.URL, *, relative_to: httpx.URL | None = None) -> httpx.URL:
        """The absolute URL of an API path or a link; `ForeignLink` off the API origin.

        A path (`/calls`, `/prospects`, …) is parsed and checked once per base URL and kept
        (`_path_url`); a full URL, or a link relative to another, is checked every time."""
        if relative_to is None and isinstance(target, str) and target.startswith("/"):
            return _path_url(self.base_url, target)
        return _checked_url(self.base_url, target, relative_to)

    async def _get_json(self, path: str, params: Params | None = None) -> dict[str, Any]:
        return await self._send("GET", path, params=params, retry=self._retry)

    async def _get_document(self, path: str | httpx.URL, params: Params | None = None) -> Document:
        return await self._send_document("GET", path, params=params, retry=self._retry)

    async def _send_document(
        self,
        method: str,
        path: str | httpx.URL,
        *,
        params: Params | None = None,
        body: dict[str, Any] | None = None,
        retry: Policy,
        waiting: Waiting | None = None,
    ) -> Document:
        raw = await self._send(method, path, params=params, body=body, retry=retry, waiting=waiting)
        return _document(raw)

    async def _send(
        self,
        method: str,
        path: str | httpx.URL,
        *,
        params: Params | None = None,
        body: dict[str, Any] | None = None,
        retry: Policy,
        waiting: Waiting | None = None,
    ) -> dict[str, Any]:
        url = self._url(path)
        attempt = 0
        while True:
            attempt += 1
            try:
                return await self._exchange(method, url, params, body, waiting)
            except e.OutreachError as err:
                decision = retry(err, attempt)
                if not decision.retry:
                    raise
                log.info(
                    "%s %s: %s; trying again in %.1f s",
                    method,
                    url.path,
                    decision.reason,
                    decision.delay,
                )
                if waiting is not None:
                    waiting()
                await self._sleep(decision.delay)

    async def _exchange(
        self,
        method: str,
        url: httpx.URL,
        params: Params | None,
        body: dict[str, Any] | None,
        waiting: Waiting | None = None,
    ) -> dict[str, Any]:
        """One request and its whole answer, within the deadline; the error tree or a dict."""
        deadline = self.limits.deadline
        try:
            async with asyncio.timeout(deadline):
                request = self._http.build_request(
                    method,
                    url,
                    params=dict(params) if params else None,
                    headers={"Content-Type": MEDIA_TYPE} if body is not None else None,
                    content=json.dumps(body).encode() if body is not None else None,
                    extensions={"trace": _trace_waits(waiting)} if waiting else None,
                )
                response = await self._http.send(request, stream=True)
                try:
                    raw = await response.aread()
                finally:
                    await response.aclose()
        except e.OutreachError:
            raise
        except (TimeoutError, httpx.TimeoutException):
            raise e.RequestTimeout(
                f"Outreach did not answer in time (within {deadline:g} s)."
            ) from None
        except httpx.ConnectError as exc:
            if _is_tls_failure(exc):
                raise e.TlsError(f"Secure connection to Outreach failed: {exc}") from None
            raise e.ConnectError("Cannot reach Outreach. Check the connection.") from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise e.ConnectionDropped(
                "The connection to Outreach dropped before an answer."
            ) from None
        except httpx.HTTPError as exc:
            raise e.ConnectError(f"Network error talking to Outreach: {exc}") from None
        except Exception as exc:  # the tree promises no raw exception: say so in the log
            log.warning("unexpected failure talking to Outreach", exc_info=True)
            raise e.MalformedResponse(
                f"Outreach's answer could not be read ({type(exc).__name__})."
            ) from None
        now = self._clock()
        self.budget.update(response.headers, now)
        status = response.status_code
        if not 200 <= status < 300:
            raise _http_error(status, response, raw, now, self.limits.max_depth)
        if status == 204 or not raw:
            return {}
        parsed = parse_json(raw, self.limits.max_depth)
        if not isinstance(parsed, dict):
            raise e.MalformedResponse("Outreach answered with JSON that is not an object.")
        return parsed


@functools.lru_cache(maxsize=PATHS_KEPT)
def _path_url(base_url: str, path: str) -> httpx.URL:
    """`_checked_url` of an API path: the same for every request under `base_url`, so made
    once (an error is raised each time, never kept)."""
    return _checked_url(base_url, path, None)


def _checked_url(
    base_url: str, target: str | httpx.URL, relative_to: httpx.URL | None
) -> httpx.URL:
    """`target` (a path under `base_url`, a full URL, or a link relative to `relative_to`) as an
    absolute URL, refused unless it is on `base_url`'s origin and under its path."""
    base = httpx.URL(base_url)
    try:
        if isinstance(target, httpx.URL):
            url = target
        elif relative_to is not None:
            url = relative_to.join(target)
        elif target.startswith(("http://", "https://")):
            url = httpx.URL(target)
        else:
            url = httpx.URL(base_url + target)
        origin = origin_of(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        raise e.MalformedResponse("Outreach gave a link that is not a URL.") from None
    if origin != origin_of(base) or not (url.path + "/").startswith(base.path + "/"):
        raise e.ForeignLink(
            f"Outreach pointed to another address ({url.host}:{origin[2]}); "
            "the app only talks to its own Outreach API and did not follow it."
        )
    return url


def _trace_waits(waiting: Waiting) -> Callable[[str, dict[str, Any]], Awaitable[None]]:
    """An httpcore trace hook (a request's `trace` extension) that calls `waiting` when the
    exchange starts waiting on the network."""

    async def trace(event: str, _info: dict[str, Any]) -> None:
        if event.endswith(_WAITS):
            waiting()

    return trace


def _document(raw: dict[str, Any]) -> Document:
    """A JSON:API document whose every relationship linkage is checked now, not when read.

    A resource with a linkage this app cannot read (`"id": "NaN"`) is left out of a list and of
    `included` (logged), so one odd resource cannot spoil the others; when that leaves nothing
    of what was sent — one resource, or a list of only such — the answer is a
    `MalformedResponse` naming the link, in plain words.
    """
    try:
        doc = Document.model_validate(raw)
    except ValidationError as exc:
        raise e.MalformedResponse(_plain("an answer", exc)) from None
    sent = doc.resources()
    kept = [res for res in sent if _unreadable_link(res) is None]
    included = [res for res in doc.included if _unreadable_link(res) is None]
    if len(kept) == len(sent) and len(included) == len(doc.included):
        return doc
    unreadable = _unreadable_link(sent[0]) if sent and not kept else None
    if unreadable is not None:
        name, problem = unreadable
        where = f"a link ({sent[0].type} {sent[0].id} → {name[:40]})"
        raise e.MalformedResponse(_plain(where, problem))
    log.warning(
        "Outreach sent %d resource(s) with links this app cannot read; they are left out",
        len(sent) - len(kept) + len(doc.included) - len(included),
    )
    data: Resource | list[Resource] | None = kept if isinstance(doc.data, list) else doc.data
    return doc.model_copy(update={"data": data, "included": included})


def _created_id(raw: dict[str, Any], kind: str) -> int:
    """The id of the `kind` resource a create answered with (its `data`); `MalformedResponse`
    when the answer does not hold one."""
    data = raw.get("data")
    if isinstance(data, list) and len(data) == 1:  # read as the full read reads it
        data = data[0]
    if not isinstance(data, dict):
        raise e.MalformedResponse(f"Outreach answered without the {kind}.")
    try:
        ident = ResourceIdentifier.model_validate({"type": data.get("type"), "id": data.get("id")})
    except ValidationError as exc:
        raise e.MalformedResponse(_plain(f"a {kind}", exc)) from None
    _expect_kind(ident.type, kind)
    return ident.id


def _expect_kind(found: str, kind: str) -> None:
    """`MalformedResponse` unless Outreach answered with a resource of the `kind` asked for."""
    if found != kind:
        raise e.MalformedResponse(f"Outreach answered with a {found[:40]}, not the {kind}.")


def _unreadable_link(res: Resource) -> tuple[str, ValidationError] | None:
    """The first relationship of `res` whose linkage cannot be read, and why; None if none."""
    for name in res.relationships:
        try:
            res.to_one(name)
            res.to_many(name)
        except ValidationError as exc:
            return name, exc
    return None


def _plain(what: str, exc: ValidationError) -> str:
    """A one-line message for a rep: what could not be read, where, and why (never the data)."""
    problems = exc.errors(include_url=False, include_input=False)
    first = problems[0] if problems else {"loc": (), "msg": "unexpected shape"}
    where = ".".join(str(part) for part in first["loc"])[:80]
    more = f"; {len(problems) - 1} more" if len(problems) > 1 else ""
    return f"Outreach sent {what} this app cannot read ({where}: {first['msg']}{more})."


def _text(value: str | None) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def _http_error(
    status: int, response: httpx.Response, raw: bytes, now: float, max_depth: int
) -> e.HttpError:
    errors: list[ErrorObject] = []
    try:
        errors = ErrorDocument.parse(parse_json(raw, max_depth)).errors[:ERRORS_MAX]
    except (ValueError, e.MalformedResponse):
        errors = []
    detail = _text("; ".join(err.message for err in errors) or response.reason_phrase or "error")
    retry_after = h.retry_after(response.headers.get("Retry-After"), now)
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
        field_errors = [
            FieldError(f.pointer[:200], f.field[:100], _text(f.message))
            for f in ErrorDocument(errors=errors).field_errors()
        ]
        return e.ValidationFailed(
            f"Outreach refused the call: {detail}",
            status=status,
            errors=errors,
            field_errors=field_errors,
        )
    if status == 429:
        return e.RateLimited(
            "Outreach's request limit is reached; waiting for it to reset.",
            status=status,
            errors=errors,
            retry_after=retry_after,
            reset_at=h.reset_at(response.headers.get("X-RateLimit-Reset"), now),
        )
    if 500 <= status < 600:
        return e.ServerError(
            f"Outreach had a problem ({status}): {detail}",
            status=status,
            errors=errors,
            retry_after=retry_after,
        )
    if 300 <= status < 400:
        return e.HttpError(
            f"Outreach answered with a redirect ({status}); the app does not follow it.",
            status=status,
            errors=errors,
        )
    return e.HttpError(
        f"Outreach refused the request ({status}): {detail}",
        status=status,
        errors=errors,
        retry_after=retry_after,
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
