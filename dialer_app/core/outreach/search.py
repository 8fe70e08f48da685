"""Finding prospects by name, email or number, whatever the org's API makes of the filters.

Outreach documents `filter[firstName]`, `filter[lastName]` (exact match; case left open) and
`filter[emails]` (a whole address) on prospects, and `filter[number]` (E.164) on phone numbers.
`filter[q]`, a prefix search, is only known second-hand: an org may support it, refuse it (400)
or ignore it (and answer with every prospect). So:

- **What the org supports is found out once** (`detect`): a few read-only requests — a prospect
  to try with, `filter[q]` with nonsense (an empty answer means the filter was applied; 400 that
  it is refused; prospects that it is ignored) and with the start of that prospect's first name
  (it works when that finds prospects that really match);
  the name filters the same way, and with the name's case swapped. The answer is kept per org
  (`CapabilityFile`) and checked again when a search meets a refusal or an ignored filter, or
  finds nothing on a finding older than `RECHECK_AFTER`.
- **The request follows the rep's text** (`classify`): a possible phone number is looked up by
  its E.164 form; a number still being typed (`+`, `+1 (`) or one that is not possible asks
  nothing; an email address asks `filter[emails]` only once it is complete and typing has
  settled (`filter[q]`, a prefix search, where it works); a name asks `filter[q]` where it
  works, else `filter[firstName]`/`filter[lastName]` — one word as either, "first last" split
  at each space — in the typed case and capitalised where names match case exactly.
- **Every answer is checked here** (`reason_for`): a prospect is kept only when the rep's text
  really matches it — each word a prefix of a word of the name, the company or an email address,
  an email that starts with the text, a number equal to the one typed — and says why: `name`,
  `company`, `email jane@acme.com`, `mobile number +1 415-555-0123`. A server that ignores a
  filter can never make "Zoë" list every prospect as matched on name. Matches are ranked
  (`rank`): the whole name first, then a word of it, company, email; then the order given.

Text is compared folded (`fold`): case-folded, accents dropped (`Zoë` = `zoe`, `Strauß` =
`strauss`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from ..phone import (
    PhoneNumberError,
    clean_extension,
    looks_like_phone,
    pretty_with_extension,
    split_extension,
    to_e164,
)
from . import errors as e
from .models import Match, PhoneNumber, Prospect

if TYPE_CHECKING:
    from ..jsonapi import Document
    from .client import OutreachClient

PROSPECT_FIELDS = "firstName,lastName,title,company,emails,timeZone,callOptedOut"
PHONE_FIELDS = "number,phoneType,extension,prospect"
NONSENSE = "zqxjv-no-one-is-called-this"
MAX_SPLITS = 3  # "a b c d" is tried as first/last split at its first three spaces at most
MIN_NAME_FILTER = 2  # a one-letter word is no name to ask Outreach for
SETTLE = 0.3  # seconds of no typing before an address is asked exactly
RECHECK_AFTER = 600.0  # seconds: a finding older than this is checked again when in doubt
QueryKind = Literal["empty", "name", "email", "phone", "partial phone"]
# What a filter does in an org: "works" (as documented: a prefix search for q, an exact match for
# names), "ignored" (answers as if not sent), "refused" (400), "unusable" (answers, but not so),
# "unknown" (not found out: no prospect to try with, or not tried yet).
FilterState = Literal["works", "ignored", "refused", "unusable", "unknown"]
NameCase = Literal["any", "exact", "unknown"]

EXTENSION_PAGE = 100  # people sharing a main line asked for when an extension is typed
_PHONE_CHARS = frozenset("+-().  /#*0123456789")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s.]+(\.[^@\s.]+)*\.[^@\s.\d]{2,}$")
_WORD = re.compile(r"\w+")
_NOT_DIGIT = re.compile(r"[^0-9]+")


# ---- text ----------------------------------------------------------------------------------


def fold(text: str) -> str:
    """Case-folded, accents dropped, blanks collapsed: how text is compared."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", bare).split())


def words(text: str) -> list[str]:
    """The folded words of `text` (letters and digits; `O'Brien` → `o`, `brien`)."""
    return _WORD.findall(fold(text))


def digits_of(text: str) -> str:
    """The ASCII digits of `text`, in order."""
    return _NOT_DIGIT.sub("", text)


@dataclass(frozen=True, slots=True)
class Query:
    """What the rep typed, read once: its kind and its comparable forms."""

    text: str
    kind: QueryKind
    folded: str = ""
    tokens: tuple[str, ...] = ()
    e164: str = ""  # a possible phone number, in E.164
    problem: str = ""  # why a number-like text is not looked up
    complete_email: bool = False
    extension: str = ""  # written after the number (`ext. 12`): its number comes first

    @property
    def digits(self) -> str:
        """The digits of the number typed, an extension after it left out."""
        return digits_of(split_extension(self.text)[0])


@functools.lru_cache(maxsize=128)  # read again by the local index and the merge, per keystroke
def classify(text: str, region: str = "US") -> Query:
    """Read the rep's text: a name, an email, a number (possible or not yet), or nothing."""
    text = text.strip()
    if not text:
        return Query(text, "empty")
    folded = fold(text)
    tokens = tuple(_WORD.findall(folded))
    if "@" in text:
        return Query(text, "email", folded, tokens, complete_email=bool(_EMAIL.match(text)))
    numberish = all(ch in _PHONE_CHARS or ch.isspace() for ch in text)
    if numberish or looks_like_phone(text):
        number, extension = split_extension(text)
        try:
            e164 = to_e164(number, region)
            return Query(text, "phone", folded, tokens, e164=e164, extension=extension)
        except PhoneNumberError as exc:
            return Query(text, "partial phone", folded, tokens, problem=str(exc))
    return Query(text, "name", folded, tokens)


# ---- matching here, whatever the server did ------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Fields:
    """A prospect's comparable forms."""

    name_words: tuple[str, ...]
    company_words: tuple[str, ...]
    emails: tuple[tuple[str, str], ...]  # (folded, as Outreach has it)
    # The words of the name, the company and each address as one line " w1 w2 …": a token
    # (word characters only) starts one of the words exactly when " token" is in the line.
    name_line: str
    company_line: str
    email_lines: tuple[tuple[str, str], ...]  # (line, the address as Outreach has it)

    @classmethod
    @functools.lru_cache(maxsize=256)  # the same prospects come back keystroke after keystroke
    def of(cls, p: Prospect) -> _Fields:
        name_words = tuple(words(f"{p.first_name} {p.last_name}"))
        company_words = tuple(words(p.company))
        emails = tuple((fold(x), x) for x in p.emails)
        return cls(
            name_words=name_words,
            company_words=company_words,
            emails=emails,
            name_line=_line(name_words),
            company_line=_line(company_words),
            email_lines=tuple((_line(_WORD.findall(folded)), x) for folded, x in emails),
        )


def _line(ws: Iterable[str]) -> str:
    return "".join(f" {w}" for w in ws)


def number_reason(number: str, phone_type: str, extension: str = "") -> str:
    """`mobile number +1 415-555-0123` (`work number +1 415-555-0100 ext. 12`): which number
    matched. The extension as dialled: Outreach keeps what was typed (`x571`, `571 `)."""
    kind = f"{phone_type} number" if phone_type else "number"
    return f"{kind} {pretty_with_extension(number, clean_extension(extension))}"


def has_extension(match: Match, extension: str) -> bool:
    """Whether `match` matched on a number with `extension` (as dialled): its reason, from
    `number_reason`, ends with it."""
    return bool(extension) and match.reason.endswith(f" ext. {extension}")


def same_extension(number: PhoneNumber, query: Query) -> bool:
    """Whether `number` has the extension typed after the number (`ext. 12`)."""
    return bool(query.extension) and clean_extension(number.extension) == query.extension


_CODES: frozenset[str] | None = None


def national_digits(e164: str) -> str:
    """The digits of an E.164 number after its country code (country codes are prefix-free)."""
    global _CODES
    if _CODES is None:
        from phonenumbers import COUNTRY_CODE_TO_REGION_CODE

        _CODES = frozenset(str(code) for code in COUNTRY_CODE_TO_REGION_CODE)
    full = digits_of(e164)
    for size in (1, 2, 3):
        if full[:size] in _CODES:
            return full[size:]
    return full


def _partial_number(query: Query, number: str) -> bool:
    """Whether `number` starts with the (at least 3) digits of a number still being typed:
    with its country code (`+`, `00`), or as a national number (a trunk `0` dropped)."""
    typed = query.digits
    if len(typed) < 3:
        return False
    full = digits_of(number)
    if query.text.startswith("+"):
        return full.startswith(typed)
    if typed.startswith("00"):
        return full.startswith(typed[2:])
    national = typed.lstrip("0")
    return full.startswith(typed) or (
        bool(national) and national_digits(number).startswith(national)
    )


def reason_for(query: Query, prospect: Prospect) -> str | None:
    """Why `prospect` matches `query`, or None when it does not (whatever a server said)."""
    if query.kind in ("phone", "partial phone"):
        numbers = prospect.phone_numbers
        if query.extension:  # the number with the extension typed first
            numbers = tuple(sorted(numbers, key=lambda n: not same_extension(n, query)))
        for n in numbers:
            same = digits_of(n.number) == digits_of(query.e164)
            if same if query.kind == "phone" else _partial_number(query, n.number):
                return number_reason(n.number, n.phone_type, n.extension)
        if query.kind == "phone":
            return None
    f = _Fields.of(prospect)
    if query.kind == "email":
        for folded, original in f.emails:
            if folded.startswith(query.folded):
                return f"email {original}"
        return None
    if not query.tokens:
        return None
    return _words_reason(query.tokens, f)


def _words_reason(tokens: Sequence[str], f: _Fields) -> str | None:
    """Each token must start a word of the name, the company or an email address. The reason
    names the fewest places: the name alone, the company alone, name and company, one address,
    else every kind of place used."""
    hits = []
    for token in tokens:
        starts = f" {token}"
        found = set()
        if starts in f.name_line:
            found.add("name")
        if starts in f.company_line:
            found.add("company")
        if any(starts in line for line, _ in f.email_lines):
            found.add("email")
        if not found:
            return None
        hits.append(found)
    for label in ("name", "company"):
        if all(label in h for h in hits):
            return label
    if all(h & {"name", "company"} for h in hits):
        return "name and company"
    for line, original in f.email_lines:
        if all(f" {t}" in line for t in tokens):
            return f"email {original}"
    kinds = [k for k in ("name", "company", "email") if any(k in h for h in hits)]
    return ", ".join(kinds[:-1]) + " and " + kinds[-1]


def tier(query: Query, match: Match) -> int:
    """How closely a match fits, 0 best: for a name, the whole name (or the last name) starting
    with the text, then a word of the name, the company, an email, several of these."""
    reason = match.reason
    if query.kind == "partial phone":
        return 0 if "number" in reason else 1
    if query.kind == "phone" and query.extension:  # whose number has that extension first
        return 0 if has_extension(match, query.extension) else 1
    if query.kind != "name":
        return 0
    if reason == "name":
        p = match.prospect
        whole = fold(f"{p.first_name} {p.last_name}").startswith(query.folded)
        return 0 if whole or fold(p.last_name).startswith(query.folded) else 1
    if reason == "company":
        return 2
    return 3 if reason.startswith("email") else 4


def rank(query: Query, matches: Iterable[Match], limit: int = 20) -> list[Match]:
    """Each prospect once (its closest reason, the first given on a tie), closest first, then
    in the order given."""
    seen: dict[int, tuple[int, int, Match]] = {}
    for order, match in enumerate(matches):
        fit = tier(query, match)
        known = seen.get(match.prospect.id)
        if known is None:
            seen[match.prospect.id] = (fit, order, match)
        elif fit < known[0]:  # the first copy of the prospect, with the closer reason
            seen[match.prospect.id] = (fit, known[1], Match(known[2].prospect, match.reason))
    ordered = sorted(seen.values(), key=lambda item: (item[0], item[1]))
    return [match for _, _, match in ordered[:limit]]


def checked(query: Query, prospects: Iterable[Prospect]) -> list[Match]:
    """The prospects that really match `query`, each with its reason."""
    out = []
    for p in prospects:
        reason = reason_for(query, p)
        if reason is not None:
            out.append(Match(p, reason))
    return out


# ---- what the org supports -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an org's prospect filters do; found out by `detect`, kept by `CapabilityFile`."""

    q: FilterState = "unknown"
    names: FilterState = "unknown"
    name_case: NameCase = "unknown"
    checked_at: float = 0.0  # when `q` was found out
    names_checked_at: float = 0.0  # when the name filters were (0: not yet, not needed so far)

    @property
    def q_works(self) -> bool:
        return self.q == "works"

    @property
    def names_work(self) -> bool:
        return self.names == "works"


class CapabilityFile:
    """One org's `Capabilities` as a small JSON file, written atomically; a bad file is none."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Capabilities | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            caps = Capabilities(
                q=raw["q"],
                names=raw["names"],
                name_case=raw["name_case"],
                checked_at=float(raw["checked_at"]),
                names_checked_at=float(raw["names_checked_at"]),
            )
        except (OSError, ValueError, TypeError, KeyError):
            return None
        states = ("works", "ignored", "refused", "unusable", "unknown")
        if caps.q not in states or caps.names not in states:
            return None
        if caps.name_case not in ("any", "exact", "unknown"):
            return None
        return caps

    def save(self, caps: Capabilities) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".search-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(asdict(caps), f)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


async def _prospects(
    client: OutreachClient,
    params: Mapping[str, str | int],
    waiting: Callable[[], None] | None = None,
) -> Document:
    return await client.read(
        "/prospects", {"fields[prospect]": PROSPECT_FIELDS, **params}, waiting=waiting
    )


async def _applied(client: OutreachClient, name: str) -> FilterState | None:
    """Ask `filter[name]` for nonsense: refused, ignored, or None when it was applied."""
    try:
        doc = await _prospects(client, {f"filter[{name}]": NONSENSE, "page[size]": 1})
    except e.HttpError as exc:
        if exc.status == 400:
            return "refused"
        raise
    return "ignored" if doc.resources() else None


async def detect_q(client: OutreachClient, sample: Prospect | None) -> FilterState:
    """What `filter[q]` does: a prefix search, refused, ignored, or something else."""
    state = await _applied(client, "q")
    if state is not None:
        return state
    if sample is None or not words(sample.first_name):
        return "unknown"
    probe = sample.first_name.strip()[:3]
    doc = await _prospects(client, {"filter[q]": probe, "page[size]": 50})
    found = [Prospect.from_resource(r) for r in doc.resources()]
    query = classify(probe)
    if any(reason_for(query, p) is not None for p in found):
        return "works"  # what else it finds is checked here anyway
    return "unusable"


async def detect_names(
    client: OutreachClient, sample: Prospect | None
) -> tuple[FilterState, NameCase]:
    """What `filter[firstName]`/`filter[lastName]` do, and whether they match case exactly."""
    state = await _applied(client, "firstName")
    if state is not None:
        return state, "unknown"
    if sample is None or not sample.first_name or not sample.last_name:
        return "unknown", "unknown"

    async def finds(first: str, last: str) -> bool:
        doc = await _prospects(
            client, {"filter[firstName]": first, "filter[lastName]": last, "page[size]": 50}
        )
        return any(r.id == sample.id for r in doc.resources())

    if not await finds(sample.first_name, sample.last_name):
        return "unusable", "unknown"
    first, last = sample.first_name.swapcase(), sample.last_name.swapcase()
    if (first, last) == (sample.first_name, sample.last_name):
        return "works", "unknown"
    return "works", ("any" if await finds(first, last) else "exact")


async def sample_prospect(client: OutreachClient) -> Prospect | None:
    """A prospect to try the filters with (one with a first and a last name), or None."""
    doc = await _prospects(client, {"page[size]": 20})
    people = [Prospect.from_resource(r) for r in doc.resources()]
    return next((p for p in people if p.first_name.strip() and p.last_name.strip()), None)


async def detect(
    client: OutreachClient, *, names: bool = True, now: Callable[[], float] = time.time
) -> Capabilities:
    """Find out what the org's prospect filters do (read-only: 3 requests, 2 to 4 more for the
    name filters)."""
    sample = await sample_prospect(client)
    caps = Capabilities(q=await detect_q(client, sample), checked_at=now())
    if names:
        state, case = await detect_names(client, sample)
        caps = replace(caps, names=state, name_case=case, names_checked_at=now())
    return caps


# ---- the search ----------------------------------------------------------------------------


class _FindOutAgain(Exception):
    """What was found out about the org turned out wrong: forget it and try once more."""


class ProspectSearch:
    """Prospects matching what the rep typed, through whatever the org's filters do.

    `capabilities` (a `CapabilityFile`) keeps what was found out across runs; without it the
    finding lasts as long as this object.
    """

    def __init__(
        self,
        client: OutreachClient,
        capabilities: CapabilityFile | None = None,
        *,
        now: Callable[[], float] = time.time,
        settle: Callable[[], Awaitable[None]] = lambda: asyncio.sleep(SETTLE),
    ) -> None:
        self._client = client
        self._file = capabilities
        self._now = now
        self._settle = settle
        self._caps: Capabilities | None = capabilities.load() if capabilities else None
        self._lock = asyncio.Lock()

    @property
    def capabilities(self) -> Capabilities | None:
        return self._caps

    def forget(self) -> None:
        """Find out again before the next search (a filter was refused or ignored)."""
        self._caps = None

    def _unsure(self, state: FilterState, checked_at: float) -> bool:
        """Never found out, or found out as unknown long enough ago to try again."""
        if checked_at == 0.0:
            return True
        return state == "unknown" and self._now() - checked_at >= RECHECK_AFTER

    async def capabilities_now(
        self, *, names: bool = False, waiting: Callable[[], None] | None = None
    ) -> Capabilities:
        """What the org supports, found out now where not known yet (one finding at a time);
        the name filters only when `names` asks for them. `waiting` is called before finding
        out (it takes a few requests)."""
        caps = self._caps or Capabilities()
        if waiting is not None and (
            self._lock.locked()
            or self._unsure(caps.q, caps.checked_at)
            or (names and self._unsure(caps.names, caps.names_checked_at))
        ):
            waiting()
        async with self._lock:
            caps = self._caps or Capabilities()
            found = caps
            samples: list[Prospect | None] = []

            async def sample() -> Prospect | None:
                if not samples:
                    samples.append(await sample_prospect(self._client))
                return samples[0]

            if self._unsure(caps.q, caps.checked_at):
                q = await detect_q(self._client, await sample())
                found = replace(found, q=q, checked_at=self._now())
            if names and self._unsure(caps.names, caps.names_checked_at):
                state, case = await detect_names(self._client, await sample())
                found = replace(found, names=state, name_case=case, names_checked_at=self._now())
            if found != caps or self._caps is None:
                self._caps = found
                if self._file is not None:
                    with contextlib.suppress(OSError):  # only a finding again next time
                        self._file.save(found)
            return found

    async def search(
        self,
        text: str,
        *,
        region: str = "US",
        limit: int = 20,
        superseded: Callable[[], bool] | None = None,
        waiting: Callable[[], None] | None = None,
    ) -> list[Match]:
        """Prospects matching `text` in Outreach, checked and ranked; no request when none is
        worth sending.

        While the rep types (`superseded` says whether newer text came since), an address that
        can only be asked exactly waits until typing settles (`SETTLE`), and is not asked at all
        when newer text came meanwhile.

        `waiting` is called once there is nothing left to do here but wait: when the request is
        on its way (its last byte written), or before waiting for something else first (typing
        to settle, finding out what the org's filters do). A caller does its own work then,
        while Outreach thinks, and never delays the request. It may be called more than once.
        """
        query = classify(text, region)
        if query.kind in ("empty", "partial phone"):
            return []
        if query.kind == "phone":
            # With an extension, more of a switchboard's people: its owner is ranked first.
            asked = max(limit, EXTENSION_PAGE) if query.extension else limit
            found = await self.by_number(query.e164, limit=asked, waiting=waiting)
            return rank(query, found, limit)
        if query.kind == "email" and not query.complete_email:
            caps = self._caps
            if caps is None or not caps.q_works:
                return []  # an unfinished address: nothing worth asking but a prefix search
        try:
            return await self._attempt(query, limit, superseded, waiting, last=False)
        except _FindOutAgain:
            self.forget()  # a filter was refused or ignored after all, or the org changed
        return await self._attempt(query, limit, superseded, waiting, last=True)

    async def _attempt(
        self,
        query: Query,
        limit: int,
        superseded: Callable[[], bool] | None,
        waiting: Callable[[], None] | None,
        *,
        last: bool,
    ) -> list[Match]:
        """One try with what is known of the org; unless `last`, `_FindOutAgain` when the answer
        says the finding is wrong: a refusal (400), q ignored on a finding older than
        `RECHECK_AFTER`, or nothing found on such a finding."""
        caps = await self.capabilities_now(waiting=waiting)
        if query.kind == "email" and not caps.q_works and superseded is not None:
            if waiting is not None:
                waiting()
            await self._settle()
            if superseded():
                return []
        try:
            found = await self._ask(
                query, caps, limit, recheck=not last and self._old(caps), waiting=waiting
            )
        except e.HttpError as exc:
            if exc.status != 400 or last:
                raise
            raise _FindOutAgain from None
        if not found and not last and self._old(caps):
            raise _FindOutAgain
        return rank(query, found, limit)

    def _old(self, caps: Capabilities) -> bool:
        made = [t for t in (caps.checked_at, caps.names_checked_at) if t]
        return bool(made) and self._now() - min(made) >= RECHECK_AFTER

    async def _ask(
        self,
        query: Query,
        caps: Capabilities,
        limit: int,
        *,
        recheck: bool,
        waiting: Callable[[], None] | None = None,
    ) -> list[Match]:
        if caps.q_works:
            matches, ignored = await self._ask_q(query, limit, waiting)
            if not ignored:
                return matches
            if recheck:
                raise _FindOutAgain  # q ignored after all, on a finding long made
            # found out lately that q works: ask this one by the documented filters as well
        if query.kind == "email":
            if not query.complete_email:
                return []
            doc = await _prospects(
                self._client, {"filter[emails]": query.text, "page[size]": limit}, waiting
            )
            return checked(query, (Prospect.from_resource(r) for r in doc.resources()))
        caps = await self.capabilities_now(names=True, waiting=waiting)
        if not caps.names_work:
            return []
        return await self._ask_names(query, caps, limit, waiting)

    async def _ask_q(
        self, query: Query, limit: int, waiting: Callable[[], None] | None = None
    ) -> tuple[list[Match], bool]:
        """Matches by `filter[q]`, and whether the answer looks like the filter was ignored
        (a full page, mostly of prospects that do not match)."""
        doc = await _prospects(
            self._client, {"filter[q]": query.text, "page[size]": limit}, waiting
        )
        found = [Prospect.from_resource(r) for r in doc.resources()]
        matches = checked(query, found)
        return matches, len(found) >= limit and 2 * len(matches) < len(found)

    async def _ask_names(
        self,
        query: Query,
        caps: Capabilities,
        limit: int,
        waiting: Callable[[], None] | None = None,
    ) -> list[Match]:
        asks = name_filters(query.text, exact_case=caps.name_case != "any")
        if not asks:
            return []
        docs = await asyncio.gather(
            *(_prospects(self._client, {**ask, "page[size]": limit}, waiting) for ask in asks)
        )
        found = [Prospect.from_resource(r) for doc in docs for r in doc.resources()]
        return checked(query, found)

    async def by_number(
        self, e164: str, *, limit: int = 20, waiting: Callable[[], None] | None = None
    ) -> list[Match]:
        """Prospects with the number `e164` (`phoneNumbers?filter[number]=…&include=prospect`),
        each saying which of their numbers it is; numbers that differ are dropped."""
        doc = await self._client.read(
            "/phoneNumbers",
            {
                "filter[number]": e164,
                "include": "prospect",
                "page[size]": limit,
                "fields[phoneNumber]": PHONE_FIELDS,
                "fields[prospect]": PROSPECT_FIELDS,
            },
            waiting=waiting,
        )
        wanted = digits_of(e164)
        out: list[Match] = []
        for res in doc.resources():
            number = res.attributes.get("number")
            if not isinstance(number, str) or digits_of(number) != wanted:
                continue
            prospect = doc.find_included(res.to_one("prospect"))
            if prospect is None:
                continue
            kind = res.attributes.get("phoneType")
            extension = res.attributes.get("extension")
            reason = number_reason(
                number,
                kind if isinstance(kind, str) else "",
                extension if isinstance(extension, str) else "",
            )
            out.append(Match(Prospect.from_resource(prospect), reason))
        return out


def name_filters(text: str, *, exact_case: bool) -> list[dict[str, str]]:
    """The documented name filters to ask for `text`: one word as first or last name, more
    words split into first and last at each space (at most `MAX_SPLITS`), in the typed case and,
    where names match case exactly, capitalised too."""
    typed = text.split()
    if not typed or all(len(w) < MIN_NAME_FILTER for w in typed):
        return []
    spellings = [typed]
    if exact_case:
        capitalised = [_capitalised(w) for w in typed]
        if capitalised != typed:
            spellings.append(capitalised)
    asks: list[dict[str, str]] = []
    for ws in spellings:
        if len(ws) == 1:
            asks += [{"filter[firstName]": ws[0]}, {"filter[lastName]": ws[0]}]
            continue
        for cut in range(1, min(len(ws), MAX_SPLITS + 1)):
            asks.append(
                {"filter[firstName]": " ".join(ws[:cut]), "filter[lastName]": " ".join(ws[cut:])}
            )
    return asks


_SEGMENT = re.compile(r"(^|[-'’])(\w)")


def _capitalised(word: str) -> str:
    """Each part of a name capitalised, the rest as typed: `jean-luc` → `Jean-Luc`,
    `o'brien` → `O'Brien`, `mcDonald` → `McDonald`."""
    return _SEGMENT.sub(lambda m: m.group(1) + m.group(2).upper(), word)
