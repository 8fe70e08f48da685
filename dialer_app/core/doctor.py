"""`dialer-app doctor`: read-only checks of a real org, for an admin, with what the app will do.

Each check is one row — ✓ (fine), ✗ (a problem) or – (could not tell, or does not apply) — saying
what was found and what the app does about it:

- TLS: the API's certificate is verified by every request; the protocol version is read.
- Sign-in and `meta.user`: `GET /api/v2` with the token is accepted and names the user.
- Each scope the app needs: a read of each resource (`page[size]=1`); for `calls.write` an empty
  `POST /calls`, for `tasks.write` `markComplete` of task 0 — both refused before anything is
  stored (400/404/415/422 mean allowed, 403 not) — unless the sign-in said what it granted.
- Prefix search and name filters: `dialer_app.core.outreach.search.detect` (nonsense, a real
  name, the name with its case swapped).
- Changed-since filter: `filter[updatedAt]=<far future>..inf` must answer nothing (the local
  index relies on it).
- Phone lookup: a number of the org by its E.164 form, then formatted (normalised or exact).
- Dispositions' outcome: the words the org uses (`Answered`/`Not Answered`,
  `completed`/`no_answer`, or others the app does not know).
- Task filters: the rep's open call tasks; the filters must be applied, not ignored or refused.
- Rate limit: the `X-RateLimit-*` headers of the answers: the budget and what is left of it.
- Clock: the `Date` header against this computer's clock.

The doctor never refreshes the token (a refresh rotates the refresh token, which the running app
holds): an expired one is reported, to be refreshed by the app or a new sign-in.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import httpx

from .auth.tokens import APP_SCOPES
from .outreach import errors as e
from .outreach.client import OutreachClient, RateBudget, RetryPolicy, StaticToken, TokenSource
from .outreach.search import Capabilities, detect

if TYPE_CHECKING:
    from .outreach.models import User

Verdict = Literal["ok", "problem", "unknown"]
MARKS = {"ok": "✓", "problem": "✗", "unknown": "–"}
MAX_SKEW = 5.0  # seconds of clock difference that are still fine
LOW_BUDGET = 100  # requests left in the hour below which logged calls wait for the reset
FAR_FUTURE = "2999-01-01T00:00:00.000Z"
ALLOWED = (200, 400, 404, 415, 422)  # answered past the permission check
READS = {
    "calls.read": "/calls",
    "prospects.read": "/prospects",
    "phoneNumbers.read": "/phoneNumbers",
    "callDispositions.read": "/callDispositions",
    "callPurposes.read": "/callPurposes",
    "sequenceStates.read": "/sequenceStates",
    "sequences.read": "/sequences",
    "tasks.read": "/tasks",
    "users.read": "/users",
}
WRITE_PROBES = {  # a POST with no body: refused before anything is stored
    "calls.write": "/calls",
    "prospects.write": "/prospects",
    "phoneNumbers.write": "/phoneNumbers",
    "tasks.write": "/tasks/0/actions/markComplete",
}
NEEDS = {  # what each scope is needed for
    "calls.write": "logging calls",
    "calls.read": "checking whether an unsure send arrived, and the card's last calls",
    "prospects.read": "finding prospects, the card and the local index",
    "phoneNumbers.read": "looking numbers up and the card's numbers",
    "callDispositions.read": "the wrap-up's dispositions",
    "callPurposes.read": "the wrap-up's purposes",
    "sequenceStates.read": "the card's sequence and step",
    "sequences.read": "the card's sequence name",
    "tasks.read": "the card's open call task and the local index",
    "tasks.write": "marking call tasks complete (when that setting is on), callbacks, snoozing",
    "prospects.write": "creating a prospect for an unknown caller, and a call opt-out",
    "phoneNumbers.write": "adding a number to a prospect, and marking a number bad",
    "users.read": "knowing who is signed in",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One row of the report."""

    key: str
    title: str
    verdict: Verdict
    found: str
    action: str

    @property
    def mark(self) -> str:
        return MARKS[self.verdict]


@dataclass
class Report:
    """Every check against one API, in order."""

    api: str
    checked_at: str
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.verdict != "problem" for c in self.checks)

    def add(self, key: str, title: str, verdict: Verdict, found: str, action: str) -> None:
        self.checks.append(Check(key, title, verdict, found, action))

    def as_json(self) -> dict[str, Any]:
        return {
            "api": self.api,
            "checked_at": self.checked_at,
            "ok": self.ok,
            "checks": [{**asdict(c), "mark": c.mark} for c in self.checks],
        }

    def dumps(self) -> str:
        return json.dumps(self.as_json(), indent=2, ensure_ascii=False)

    def table(self, width: int = 100) -> str:
        """The report as text: one block per check, for a terminal."""
        lines = [f"Outreach API {self.api} — checked {self.checked_at}", ""]
        title_width = max((len(c.title) for c in self.checks), default=10)
        for c in self.checks:
            lines.append(f"{c.mark} {c.title.ljust(title_width)}  {c.found}")
            lines.append(f"  {' ' * title_width}  → {c.action}")
        problems = sum(c.verdict == "problem" for c in self.checks)
        lines += ["", "All checks passed." if not problems else f"{problems} problem(s) found."]
        return "\n".join(line[: max(width, 40) * 3] for line in lines)


@dataclass
class _Seen:
    """What the answers carried: the last rate-limit headers, the `Date`, the TLS version."""

    budget: RateBudget = field(default_factory=RateBudget)
    date: datetime | None = None
    date_seen_at: float = 0.0
    tls: str = ""
    rate_headers: bool = False


class _Watching(httpx.AsyncBaseTransport):
    """Passes requests on and notes what each answer carried."""

    def __init__(self, inner: httpx.AsyncBaseTransport, seen: _Seen, now: Callable[[], float]):
        self._inner = inner
        self._seen = seen
        self._now = now

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        seen = self._seen
        headers = response.headers
        if any(h in headers for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining")):
            seen.rate_headers = True
            seen.budget.update(headers)
        if "Date" in headers:
            try:
                date = parsedate_to_datetime(headers["Date"])
            except (TypeError, ValueError, IndexError):
                pass
            else:  # HTTP dates are GMT; one without a zone is read as such
                seen.date = date if date.tzinfo else date.replace(tzinfo=UTC)
                seen.date_seen_at = self._now()
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        if ssl_object is not None:
            seen.tls = str(ssl_object.version() or "TLS")
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class Doctor:
    """Runs every check against one API with one access token."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        now: Callable[[], float] = time.time,
        expires_at: float | None = None,
        granted_scope: str = "",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._now = now
        self._expires_at = expires_at
        self._granted = set(granted_scope.split()) if granted_scope else set()
        self._seen = _Seen()
        inner = transport or httpx.AsyncHTTPTransport()
        self._transport = _Watching(inner, self._seen, now)
        source: TokenSource = StaticToken(token)  # never refreshed: see the module's note
        self.client = OutreachClient(
            self.base_url, source, transport=self._transport, retry=RetryPolicy(1)
        )
        self.user: User | None = None

    async def aclose(self) -> None:
        await self.client.aclose()

    async def run(self) -> Report:
        stamp = datetime.fromtimestamp(self._now(), UTC).isoformat(timespec="seconds")
        report = Report(self.base_url, stamp.replace("+00:00", "Z"))
        if not await self._sign_in(report):
            self._tls(report)
            return _tls_first(report)
        for step in (
            self._scopes,
            self._search,
            self._changed_since,
            self._phones,
            self._outcomes,
            self._tasks,
        ):
            await step(report)
        self._tls(report)
        self._rate(report)
        self._clock(report)
        return _tls_first(report)

    # -- the checks ---------------------------------------------------------------------------

    async def _sign_in(self, report: Report) -> bool:
        title = "Sign-in"
        if self._expires_at is not None and self._expires_at <= self._now():
            report.add(
                "sign_in",
                title,
                "problem",
                "the saved access token has expired",
                "the app refreshes it by itself when it runs; or sign in again in Accounts",
            )
            return False
        try:
            self.user = await self.client.current_user()
        except e.Unauthorized as exc:
            report.add(
                "sign_in",
                title,
                "problem",
                f"Outreach refused the token: {exc.message}",
                "sign in again (Accounts → Sign in with Outreach)",
            )
            return False
        except e.MalformedResponse:
            report.add("sign_in", title, "ok", "the token is accepted", "the app signs in with it")
            report.add(
                "meta_user",
                "Who is signed in (meta.user)",
                "problem",
                "GET /api/v2 does not name the user",
                "the app cannot tell whose prospects and tasks to show: report this org",
            )
            return True
        except e.TransportError as exc:
            report.add(
                "sign_in",
                title,
                "problem",
                f"cannot reach the API: {exc.message}",
                "check the API address, the network, a proxy or the firewall",
            )
            return False
        except e.HttpError as exc:
            report.add("sign_in", title, "problem", exc.message, "check the API address")
            return False
        user = self.user
        report.add("sign_in", title, "ok", "the token is accepted", "the app signs in with it")
        report.add(
            "meta_user",
            "Who is signed in (meta.user)",
            "ok",
            f"{user.name} <{user.email}>, user {user.id}",
            "the local index holds this rep's prospects and open call tasks",
        )
        return True

    async def _answer(self, call: Awaitable[Any]) -> tuple[int, Any]:
        """The status of a request (200 with its result), or its error status (0: no answer)."""
        try:
            return 200, await call
        except e.HttpError as exc:
            return exc.status, None
        except e.OutreachError:
            return 0, None

    async def _scopes(self, report: Report) -> None:
        for scope in APP_SCOPES.split():
            path = READS.get(scope)
            if path is not None:
                status, _ = await self._answer(self.client.read_raw(path, {"page[size]": 1}))
                how = f"GET {path} answered {status or 'nothing'}"
            elif self._granted:  # a write: the sign-in said what it granted
                status = 200 if scope in self._granted else 403
                how = "granted at sign-in" if status == 200 else "not granted at sign-in"
            else:
                status = await self._write_probe(scope)
                how = f"a request refused before anything is stored answered {status or 'nothing'}"
            title = f"Scope {scope}"
            if status == 403:
                report.add(
                    f"scope:{scope}",
                    title,
                    "problem",
                    f"not allowed ({how})",
                    f"ask the admin to add {scope} to the app, then sign in again; it is "
                    f"needed for {NEEDS[scope]}",
                )
            elif status in ALLOWED:
                report.add(
                    f"scope:{scope}", title, "ok", f"allowed ({how})", f"needed for {NEEDS[scope]}"
                )
            else:
                report.add(
                    f"scope:{scope}",
                    title,
                    "unknown",
                    how,
                    "the app tries anyway and shows Outreach's answer if refused",
                )

    async def _write_probe(self, scope: str) -> int:
        """Whether a write is allowed, without writing: an empty call, task 0's completion."""
        path = WRITE_PROBES.get(scope, "/tasks/0/actions/markComplete")
        async with httpx.AsyncClient(transport=_Unclosed(self._transport), timeout=10) as http:
            try:
                response = await http.post(
                    self.base_url + path,
                    headers={"Authorization": f"Bearer {self._token}", "Accept": "*/*"},
                )
            except httpx.HTTPError:
                return 0
        return response.status_code

    async def _search(self, report: Report) -> None:
        try:
            caps: Capabilities = await detect(self.client, now=self._now)
        except e.OutreachError as exc:
            report.add(
                "search",
                "Name search",
                "unknown",
                f"could not be tried: {exc.message}",
                "names are searched in the local index; Outreach is asked as it allows",
            )
            return
        q_states: dict[str, tuple[Verdict, str, str]] = {
            "works": (
                "ok",
                "filter[q] is a prefix search",
                "type-ahead asks Outreach with filter[q] as the rep types",
            ),
            "refused": (
                "problem",
                "filter[q] is refused (400)",
                "names are asked with filter[firstName]/filter[lastName]; partial names "
                "and companies come from the local index",
            ),
            "ignored": (
                "problem",
                "filter[q] is ignored (every prospect comes back)",
                "filter[q] is never used; names are asked with the documented filters "
                "and every answer is checked here",
            ),
            "unusable": (
                "problem",
                "filter[q] answers, but not as a prefix search",
                "filter[q] is not used; partial names come from the local index",
            ),
            "unknown": (
                "unknown",
                "no prospect to try filter[q] with",
                "found out again on a later search",
            ),
        }
        report.add("filter_q", "Prefix search (filter[q])", *q_states[caps.q])
        case = {
            "any": "ignoring case",
            "exact": "matching case exactly",
            "unknown": "case not tried",
        }[caps.name_case]
        name_states: dict[str, tuple[Verdict, str, str]] = {
            "works": (
                "ok",
                f"filter[firstName]/filter[lastName] work, {case}",
                "whole names are asked as typed"
                + (" and capitalised" if caps.name_case == "exact" else ""),
            ),
            "refused": (
                "problem",
                "the name filters are refused (400)",
                "names come from the local index only",
            ),
            "ignored": (
                "problem",
                "the name filters are ignored",
                "names come from the local index only; answers are checked here",
            ),
            "unusable": (
                "problem",
                "the name filters do not find a prospect by its own name",
                "names come from the local index only",
            ),
            "unknown": (
                "unknown",
                "no prospect to try the name filters with",
                "found out again on a later search",
            ),
        }
        report.add("name_filters", "Name filters", *name_states[caps.names])

    async def _changed_since(self, report: Report) -> None:
        status, doc = await self._answer(
            self.client.read_raw(
                "/prospects", {"filter[updatedAt]": f"{FAR_FUTURE}..inf", "page[size]": 1}
            )
        )
        title = "Changed-since filter (filter[updatedAt])"
        if status == 200 and not (doc or {}).get("data"):
            report.add(
                "updated_at",
                title,
                "ok",
                "a range A..inf is applied",
                "the local index reads only what changed since its last pass",
            )
        elif status == 200:
            report.add(
                "updated_at",
                title,
                "problem",
                "the range is ignored",
                "each pass of the local index reads all of the rep's prospects",
            )
        else:
            report.add(
                "updated_at",
                title,
                "problem",
                f"the range is refused ({status})",
                "each pass of the local index reads all of the rep's prospects",
            )

    async def _phones(self, report: Report) -> None:
        title = "Phone lookup (filter[number])"
        _, doc = await self._answer(self.client.read_raw("/phoneNumbers", {"page[size]": 1}))
        numbers = [r.get("attributes", {}).get("number") for r in (doc or {}).get("data") or []]
        number = next((n for n in numbers if isinstance(n, str) and n.startswith("+")), None)
        if number is None:
            report.add(
                "phone",
                title,
                "unknown",
                "no number in the org to try",
                "numbers are always asked in E.164 and checked here",
            )
            return
        exact = await self._numbers(number)
        if number not in exact:
            report.add(
                "phone",
                title,
                "problem",
                "a number is not found by its own E.164 form",
                "lookups by number will miss; numbers come from the local index",
            )
            return
        from .phone import pretty

        formatted = await self._numbers(pretty(number))
        found = (
            "Outreach also finds formatted numbers (normalised)"
            if number in formatted
            else "Outreach matches the E.164 form exactly"
        )
        report.add(
            "phone",
            title,
            "ok",
            found,
            "numbers are always asked in E.164 (possible numbers too) and each answer is "
            "checked to be that number",
        )

    async def _numbers(self, value: str) -> list[str]:
        _, doc = await self._answer(
            self.client.read_raw("/phoneNumbers", {"filter[number]": value, "page[size]": 20})
        )
        data = (doc or {}).get("data") or []
        return [str(r.get("attributes", {}).get("number")) for r in data if isinstance(r, dict)]

    async def _outcomes(self, report: Report) -> None:
        title = "Dispositions' outcome"
        try:
            dispositions = await self.client.dispositions()
        except e.OutreachError as exc:
            report.add(
                "outcomes",
                title,
                "unknown",
                f"could not be read: {exc.message}",
                "calls take their outcome from answeredAt",
            )
            return
        words = sorted({d.outcome for d in dispositions if d.outcome})
        unknown = sorted({d.outcome or "(none)" for d in dispositions if not d.call_outcome})
        listed = ", ".join(words) or "none"
        if not dispositions:
            report.add(
                "outcomes",
                title,
                "problem",
                "the org has no dispositions",
                "calls are logged without one; their outcome follows answeredAt",
            )
        elif unknown:
            report.add(
                "outcomes",
                title,
                "problem",
                f"words the app does not know: {', '.join(unknown)} (all: {listed})",
                "calls with those dispositions take their outcome from answeredAt",
            )
        else:
            report.add(
                "outcomes",
                title,
                "ok",
                f"{len(dispositions)} dispositions: {listed}",
                "a call takes its outcome (Answered / Not Answered) from its disposition",
            )

    async def _tasks(self, report: Report) -> None:
        title = "Task filters"
        user = self.user.id if self.user else 0
        params: dict[str, str | int] = {
            "filter[owner][id]": user,
            "filter[state]": "incomplete",
            "filter[taskType]": "sequence_step_call",
            "page[size]": 25,
        }
        status, doc = await self._answer(self.client.read_raw("/tasks", params))
        if status != 200:
            report.add(
                "tasks",
                title,
                "problem",
                f"open call tasks cannot be listed ({status})",
                "the card shows no open call task; calls are logged without one",
            )
            return
        tasks = [t for t in (doc or {}).get("data") or [] if isinstance(t, dict)]
        wrong = [
            t
            for t in tasks
            if (t.get("attributes") or {}).get("state") not in (None, "incomplete")
            or (t.get("attributes") or {}).get("taskType") not in (None, "sequence_step_call")
        ]
        if wrong:
            report.add(
                "tasks",
                title,
                "problem",
                "the filters are ignored (other tasks come back)",
                "tasks are checked here; the card shows only open call tasks",
            )
        else:
            report.add(
                "tasks",
                title,
                "ok",
                f"state, taskType and owner apply ({len(tasks)} open call tasks shown)",
                "the card shows the open call task and the local index keeps its prospect",
            )

    # -- what the answers carried -------------------------------------------------------------

    def _tls(self, report: Report) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme == "https":
            if self._seen.tls:
                report.add(
                    "tls",
                    "TLS",
                    "ok",
                    f"certificate verified, {self._seen.tls}",
                    "every request goes over this connection",
                )
            else:
                report.add(
                    "tls",
                    "TLS",
                    "problem",
                    "no verified TLS connection was made",
                    "the app cannot talk to this API: check the certificate or a proxy",
                )
        elif parts.hostname in ("127.0.0.1", "localhost", "::1"):
            report.add(
                "tls",
                "TLS",
                "unknown",
                "plain HTTP to this computer",
                "fine for the local sandbox only",
            )
        else:
            report.add(
                "tls",
                "TLS",
                "problem",
                "plain HTTP to another computer",
                "sign-in refuses it: use the https address",
            )

    def _rate(self, report: Report) -> None:
        budget = self._seen.budget
        title = "Rate limit"
        if not self._seen.rate_headers or budget.remaining is None:
            report.add(
                "rate",
                title,
                "unknown",
                "no X-RateLimit headers",
                "the app waits when Outreach answers 429, as Retry-After says",
            )
            return
        reset = f", resets {budget.reset_at:%H:%M} UTC" if budget.reset_at else ""
        limit = f" of {budget.limit:,}" if budget.limit else ""
        found = f"{budget.remaining:,}{limit} requests left this hour{reset}"
        if budget.remaining <= LOW_BUDGET:
            report.add(
                "rate",
                title,
                "problem",
                found,
                "logged calls wait for the reset so that lookups keep working",
            )
        else:
            report.add(
                "rate",
                title,
                "ok",
                found,
                f"calls wait only when {LOW_BUDGET} or fewer requests are left",
            )

    def _clock(self, report: Report) -> None:
        seen = self._seen
        if seen.date is None:
            report.add(
                "clock",
                "Clock",
                "unknown",
                "no Date header",
                "call times come from this computer's clock",
            )
            return
        skew = seen.date_seen_at - seen.date.timestamp()
        if abs(skew) <= MAX_SKEW:
            report.add(
                "clock",
                "Clock",
                "ok",
                f"within {abs(skew):.0f} s of Outreach's",
                "call times come from this computer's clock",
            )
        else:
            side = "ahead of" if skew > 0 else "behind"
            report.add(
                "clock",
                "Clock",
                "problem",
                f"{abs(skew):.0f} s {side} Outreach's",
                "call times come from this computer's clock: set it right (network time)",
            )


def _tls_first(report: Report) -> Report:
    report.checks.sort(key=lambda c: c.key != "tls")  # known last, shown first
    return report


class _Unclosed(httpx.AsyncBaseTransport):
    """Lends a transport to a short-lived client without letting it close the transport."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        pass


async def run_doctor(
    base_url: str,
    token: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    expires_at: float | None = None,
    granted_scope: str = "",
    now: Callable[[], float] = time.time,
) -> Report:
    """Every check against `base_url` with `token`; never writes, never refreshes the token."""
    doctor = Doctor(
        base_url,
        token,
        transport=transport,
        expires_at=expires_at,
        granted_scope=granted_scope,
        now=now,
    )
    try:
        return await doctor.run()
    finally:
        await doctor.aclose()


def run_doctor_sync(base_url: str, token: str, **kw: Any) -> Report:
    """`run_doctor` on an event loop of its own (the command line)."""
    return asyncio.run(run_doctor(base_url, token, **kw))
