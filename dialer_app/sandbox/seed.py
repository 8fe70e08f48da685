"""Deterministic demo data: the same `seed`, `prospects` and epoch give the same org, byte for byte.

The org has four users (user 1 is the rep the static tokens sign in as), a real org's default
call dispositions and purposes, three sequences with call steps, and `prospects` people at
companies in seven countries. Each company has a main line that its people share (often with an
extension); most people also have a mobile and some a direct line, E.164 numbers from the ranges
each country reserves for fiction where it has one (`dialer_app.sandbox.seed_data`). Some
prospects are opted out of calls, about one in five is in a sequence (with an open
`sequence_step_call` task when the current step is a call), a few more have a callback (a
`manual` call task), and some have past calls.

Every timestamp is an offset from one instant, the epoch (`now`, default: the current time):
the same seed, prospect count and epoch give the same org, and another epoch gives the same
people and companies at other times. Of the open call tasks, about 55 % fall due on the epoch's
day, 20 % one to three working days before (overdue) and 25 % in the next five working days;
each at a time within the prospect's working hours (`dialer_app.sandbox.demo_day`). Past calls
fall in the prospect's working hours of the last 30 days.

The people, their companies and numbers, and who is in which sequence are drawn from one random
stream, as they always were for a seed; the times within a day and the extra callbacks from a
second one, so that neither changes the people.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from phonenumbers import PhoneNumber

from dialer_app.core.terms import format_utc

from .calls import CALL_ATTRIBUTES
from .demo_day import EPOCH_META, SEEDED_TASKS_META, DemoDay, local_now, work_day
from .phones import Formatter, PhoneNumberFactory, e164_of
from .resources import (
    ACCOUNT,
    CALL,
    CALL_DISPOSITION,
    CALL_PURPOSE,
    PHONE_NUMBER,
    PROSPECT,
    SEQUENCE,
    SEQUENCE_STATE,
    SEQUENCE_STEP,
    TASK,
    USER,
    ResourceType,
)
from .seed_data import (
    COUNTRIES,
    DISPOSITIONS,
    INDUSTRIES,
    PROSPECT_TAGS,
    PURPOSES,
    SEQUENCES,
    TITLES,
    UNCHECKED_RANGES,
    USERS,
    City,
    Country,
)
from .store import Row, Store

FLUSH_EVERY = 20_000  # rows per type buffered before they are written
ACCOUNT_SIZES = (1, 1, 2, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30)
FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "proton.me")
PURPOSE_FOR_CALL_STEPS = 1  # "Prospecting"
# Shares of the open call tasks due on the epoch's day, before it (1-3 days), after it (1-5 days)
DUE_TODAY, OVERDUE, DUE_LATER = 0.55, 0.20, 0.25
OVERDUE_DAYS, LATER_DAYS, PAST_CALL_DAYS = 3, 5, 30
EXTRA_CALLBACKS = 0.05  # more prospects outside a sequence with a callback task


def stamp(at: datetime) -> str:
    """`2025-06-02T09:00:00.000Z` for an aware datetime (at once when it is in UTC)."""
    if at.tzinfo is UTC:
        return at.isoformat(timespec="milliseconds")[:-6] + "Z"
    return format_utc(at)


@functools.lru_cache(maxsize=4096)
def ascii_slug(text: str) -> str:
    """`Müller` → `muller`, `Strauß` → `strauss`, `O'Brien` → `obrien`: for email addresses."""
    text = text.replace("ß", "ss").replace("Œ", "Oe").replace("œ", "oe")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isascii() and c.isalnum()).lower()


@dataclass(frozen=True, slots=True)
class SeedSummary:
    seed: int
    prospects: int
    rows: dict[str, int]


@dataclass
class _Buffers:
    """Rows waiting to be written, per type, and how many of each were written."""

    store: Store
    rows: dict[str, list[Row]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)

    def add(self, row: Row) -> None:
        bucket = self.rows.setdefault(row.type, [])
        bucket.append(row)
        if len(bucket) >= FLUSH_EVERY:
            self.flush(row.type)

    def flush(self, type_name: str | None = None) -> None:
        for name in [type_name] if type_name else list(self.rows):
            rows = self.rows.pop(name, [])
            if rows:
                self.store.insert_many(_TYPES[name], rows)
                self.written[name] = self.written.get(name, 0) + len(rows)


_TYPES: dict[str, ResourceType] = {
    r.type: r
    for r in (
        USER,
        ACCOUNT,
        PROSPECT,
        PHONE_NUMBER,
        CALL_DISPOSITION,
        CALL_PURPOSE,
        SEQUENCE,
        SEQUENCE_STEP,
        SEQUENCE_STATE,
        TASK,
        CALL,
    )
}


@dataclass(frozen=True, slots=True)
class _Step:
    id: int
    sequence_id: int
    step_type: str
    order: int
    note: str


class _Seeder:
    """Generates the org row by row; ids are assigned in generation order per type."""

    def __init__(
        self, rng: random.Random, activity: random.Random, out: _Buffers, day: DemoDay
    ) -> None:
        self.rng = rng  # the people and what happens to them (draws as before epochs)
        self.act = activity  # what is newer: times within a day, the extra callbacks
        self.out = out
        self.day = day
        self.now = day.now
        self.phones = PhoneNumberFactory(rng, UNCHECKED_RANGES)
        self.next_ids: dict[str, int] = {}
        self.emails: set[str] = set()
        self.formatter = Formatter()
        self.company_names: set[str] = set()
        self.steps: list[_Step] = []
        self.dispositions: list[tuple[int, str]] = []
        self.country_weights = [c.weight for c in COUNTRIES]

    def new_id(self, rtype: ResourceType) -> int:
        value = self.next_ids.get(rtype.type, 0) + 1
        self.next_ids[rtype.type] = value
        return value

    def ago(
        self, max_days: float, min_days: float = 0.0, rng: random.Random | None = None
    ) -> datetime:
        days = (rng or self.rng).uniform(min_days, max_days)
        return self.now - timedelta(seconds=int(days * 86_400))

    def due_at(self, zone: str, share: float) -> datetime:
        """When an open call task falls due: today, overdue or later (by `share`, 0 ≤ share <
        1), at a time in the prospect's working hours."""
        u = self.act.random()
        if share < DUE_TODAY:
            day = 0
        elif share < DUE_TODAY + OVERDUE:
            steps = -1 - int((share - DUE_TODAY) / OVERDUE * OVERDUE_DAYS)
            day = work_day(self.day.today, steps)
        else:
            steps = 1 + int((share - DUE_TODAY - OVERDUE) / DUE_LATER * LATER_DAYS)
            day = work_day(self.day.today, steps)
        return self.day.due(zone, day, u)

    # ---- reference data -------------------------------------------------------------------

    def users(self) -> None:
        for first, last, email, title in USERS:
            created = stamp(self.now - timedelta(days=400))
            attrs = {
                "firstName": first,
                "lastName": last,
                "name": f"{first} {last}",
                "email": email,
                "username": email.split("@")[0],
                "title": title,
                "locked": False,
                "createdAt": created,
                "updatedAt": created,
            }
            self.out.add(Row(USER.type, self.new_id(USER), attrs))

    def dispositions_and_purposes(self) -> None:
        created = stamp(self.now - timedelta(days=500))
        for order, (name, outcome) in enumerate(DISPOSITIONS, start=1):
            rid = self.new_id(CALL_DISPOSITION)
            self.dispositions.append((rid, outcome))
            attrs = {
                "name": name,
                "order": order,
                "outcome": outcome,
                "createdAt": created,
                "updatedAt": created,
            }
            self.out.add(Row(CALL_DISPOSITION.type, rid, attrs))
        for order, name in enumerate(PURPOSES, start=1):
            attrs = {"name": name, "order": order, "createdAt": created, "updatedAt": created}
            self.out.add(Row(CALL_PURPOSE.type, self.new_id(CALL_PURPOSE), attrs))

    def sequences(self) -> None:
        created = stamp(self.now - timedelta(days=200))
        for name, description, steps in SEQUENCES:
            seq_id = self.new_id(SEQUENCE)
            attrs = {
                "name": name,
                "description": description,
                "enabled": True,
                "locked": False,
                "finishOnReply": True,
                "sequenceType": "interval",
                "shareType": "shared",
                "sequenceStepCount": len(steps),
                "tags": [],
                "createdAt": created,
                "updatedAt": created,
            }
            self.out.add(Row(SEQUENCE.type, seq_id, attrs, {"owner": 1}))
            for order, (step_type, interval, note) in enumerate(steps, start=1):
                step = _Step(self.new_id(SEQUENCE_STEP), seq_id, step_type, order, note)
                self.steps.append(step)
                label = step_type.replace("_", " ").capitalize()
                step_attrs = {
                    "stepType": step_type,
                    "order": order,
                    "interval": interval,
                    "displayName": f"Step {order} ({label})",
                    "taskNote": note or None,
                    "createdAt": created,
                    "updatedAt": created,
                }
                purpose = PURPOSE_FOR_CALL_STEPS if step_type == "call" else None
                links = {"sequence": seq_id, "callPurpose": purpose}
                self.out.add(Row(SEQUENCE_STEP.type, step.id, step_attrs, links))

    # ---- accounts and prospects -----------------------------------------------------------

    def company_name(self, country: Country) -> str:
        rng = self.rng
        for _ in range(50):
            word = rng.choice(country.company_words)
            if rng.random() < 0.3:
                word = rng.choice(country.last_names)
            name = f"{word} {rng.choice(INDUSTRIES)} {rng.choice(country.company_suffixes)}"
            if name not in self.company_names:
                break
        else:
            name = f"{name} {len(self.company_names)}"
        self.company_names.add(name)
        return name

    def org(self, total: int) -> None:
        made = 0
        while made < total:
            size = min(total - made, self.rng.choice(ACCOUNT_SIZES))
            self.account(size)
            made += size

    def account(self, size: int) -> None:
        rng = self.rng
        country = rng.choices(COUNTRIES, self.country_weights)[0]
        city = rng.choice(country.cities)
        name = self.company_name(country)
        words = name.split()
        domain = ascii_slug(words[0]) + ascii_slug(words[1]) + "." + country.tld
        created = self.ago(900, 300)
        account_id = self.new_id(ACCOUNT)
        owner = 1 if rng.random() < 0.5 else rng.randint(2, len(USERS))
        attrs: dict[str, Any] = {
            "name": name,
            "naturalName": " ".join(words[:2]),
            "domain": domain,
            "websiteUrl": f"https://www.{domain}",
            "industry": words[1],
            "locality": f"{city.name}, {country.name}",
            "numberOfEmployees": rng.choice((12, 45, 120, 350, 800, 2400, 11000)),
            "named": True,
            "tags": [],
            "createdAt": stamp(created),
            "updatedAt": stamp(created),
        }
        self.out.add(Row(ACCOUNT.type, account_id, attrs, {"owner": owner}))
        main_line = self.phones.draw(country.code, city.landline, country.fallback)
        for _ in range(size):
            self.prospect(country, city, account_id, name, domain, owner, main_line)

    def email(self, first: str, last: str, domain: str) -> str:
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        candidate, n = f"{base}@{domain}", 1
        while candidate in self.emails:
            n += 1
            candidate = f"{base}{n}@{domain}"
        self.emails.add(candidate)
        return candidate

    def prospect(
        self,
        country: Country,
        city: City,
        account_id: int,
        company: str,
        domain: str,
        account_owner: int,
        main_line: PhoneNumber,
    ) -> None:
        rng = self.rng
        pid = self.new_id(PROSPECT)
        first, last = rng.choice(country.first_names), rng.choice(country.last_names)
        emails = [self.email(first, last, domain)]
        if rng.random() < 0.2:
            emails.append(self.email(first, last, rng.choice(FREE_MAIL)))
        owner = account_owner if rng.random() < 0.8 else rng.randint(1, len(USERS))
        opted_out = rng.random() < 0.03
        created = self.ago(700, 10)
        updated = min(self.now, created + timedelta(days=rng.uniform(0, 60)))
        phones = list(self.prospect_phones(country, city, main_line))
        by_type: dict[str, list[str]] = {t: [] for t in ("work", "mobile", "home", "voip", "other")}
        for number, phone_type, _ext in phones:
            by_type[phone_type].append(e164_of(number))
        attrs: dict[str, Any] = {
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "title": rng.choice(TITLES),
            "company": company,
            "emails": emails,
            "timeZone": city.time_zone,
            "addressCity": city.name,
            "addressState": city.region,
            "addressCountry": country.name,
            "workPhones": by_type["work"],
            "mobilePhones": by_type["mobile"],
            "homePhones": by_type["home"],
            "voipPhones": by_type["voip"],
            "otherPhones": by_type["other"],
            "callOptedOut": opted_out,
            "callsOptStatus": "opted_out" if opted_out else None,
            "callsOptedAt": stamp(updated) if opted_out else None,
            "emailOptedOut": False,
            "optedOut": False,
            "tags": sorted(rng.sample(PROSPECT_TAGS, rng.choice((0, 0, 1, 1, 2)))),
            "source": "Sandbox seed",
            "createdAt": stamp(created),
            "updatedAt": stamp(updated),
        }
        links = {"account": account_id, "owner": owner}
        self.out.add(Row(PROSPECT.type, pid, attrs, links))
        phone_ids = [
            self.phone_number(pid, order, country.code, number, phone_type, ext, created)
            for order, (number, phone_type, ext) in enumerate(phones, start=1)
        ]
        zone, callback = city.time_zone, "Call back: asked for a quote."
        if not opted_out and rng.random() < 0.2:
            self.sequence_state(pid, account_id, owner, zone)
        elif rng.random() < 0.03:
            self.task(pid, account_id, owner, zone, "manual", callback)
        elif self.act.random() < EXTRA_CALLBACKS:  # drawn apart: the people stay the same
            self.task(pid, account_id, owner, zone, "manual", callback, rng=self.act)
        if rng.random() < 0.1:
            for _ in range(rng.randint(1, 3)):
                self.past_call(pid, owner, zone, phones, phone_ids)

    def prospect_phones(
        self, country: Country, city: City, main_line: PhoneNumber
    ) -> Iterator[tuple[PhoneNumber, str, str | None]]:
        rng = self.rng
        extension = str(rng.randint(100, 4999)) if rng.random() < 0.6 else None
        yield main_line, "work", extension
        if rng.random() < 0.8:
            mobile = rng.choice(country.mobile)
            yield self.phones.draw(country.code, mobile, country.fallback), "mobile", None
        if rng.random() < 0.3:
            yield self.phones.draw(country.code, city.landline, country.fallback), "work", None
        if rng.random() < 0.05:
            yield self.phones.draw(country.code, city.landline, country.fallback), "home", None
        if rng.random() < 0.02:
            yield self.phones.draw(country.code, city.landline, country.fallback), "voip", None

    def phone_number(
        self,
        pid: int,
        order: int,
        region: str,
        number: PhoneNumber,
        phone_type: str,
        extension: str | None,
        created: datetime,
    ) -> int:
        e164 = e164_of(number)
        if self.rng.random() < 0.7:
            raw = self.formatter.national(number)
        else:
            raw = self.formatter.international(number)
        if extension:
            raw = f"{raw} ext. {extension}"
        attrs = {
            "number": e164,
            "rawNumber": raw,
            "countryCode": region,
            "extension": extension,
            "phoneType": phone_type,
            "order": order,
            "status": None,
            "statusChangedAt": None,
            "createdAt": stamp(created),
            "updatedAt": stamp(created),
        }
        rid = self.new_id(PHONE_NUMBER)
        self.out.add(Row(PHONE_NUMBER.type, rid, attrs, {"prospect": pid}))
        return rid

    # ---- engagement -----------------------------------------------------------------------

    def sequence_state(self, pid: int, account_id: int, owner: int, zone: str) -> None:
        rng = self.rng
        step = rng.choice(self.steps)
        if rng.random() < 0.6:  # most active prospects wait on a call
            step = rng.choice([s for s in self.steps if s.step_type == "call"])
        state = rng.choices(("active", "paused", "finished"), (85, 5, 10))[0]
        started = self.ago(60, 1)
        changed = started + timedelta(hours=rng.randint(1, 200))
        sid = self.new_id(SEQUENCE_STATE)
        attrs = {
            "state": state,
            "stateChangedAt": stamp(min(changed, self.now)),
            "activeAt": stamp(started),
            "callCompletedAt": None,
            "pauseReason": "manual" if state == "paused" else None,
            "createdAt": stamp(started),
            "updatedAt": stamp(min(changed, self.now)),
        }
        links = {
            "prospect": pid,
            "sequence": step.sequence_id,
            "sequenceStep": step.id,
            "account": account_id,
            "user": owner,
        }
        self.out.add(Row(SEQUENCE_STATE.type, sid, attrs, links))
        if state == "active" and step.step_type == "call":
            extra = {"sequence": step.sequence_id, "sequenceState": sid, "sequenceStep": step.id}
            self.task(pid, account_id, owner, zone, "sequence_step_call", step.note, extra)

    def task(
        self,
        pid: int,
        account_id: int,
        owner: int,
        zone: str,
        task_type: str,
        note: str,
        extra: Mapping[str, int | None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        rng = rng or self.rng
        created = self.ago(20, 1, rng)
        due = self.due_at(zone, (rng.randint(-48, 72) + 48) / 121)
        created = min(created, due - timedelta(hours=1))
        attrs = {
            "action": "call",
            "taskType": task_type,
            "state": "incomplete",
            "completed": False,
            "completedAt": None,
            "dueAt": stamp(due),
            "scheduledAt": stamp(due),
            "note": note or None,
            "createdAt": stamp(created),
            "updatedAt": stamp(created),
            "stateChangedAt": stamp(created),
        }
        links: dict[str, int | None] = {"prospect": pid, "account": account_id, "owner": owner}
        links.update(extra or {})
        self.out.add(Row(TASK.type, self.new_id(TASK), attrs, links))

    def past_call(
        self,
        pid: int,
        owner: int,
        zone: str,
        phones: list[tuple[PhoneNumber, str, str | None]],
        phone_ids: list[int],
    ) -> None:
        rng = self.rng
        index = rng.randrange(len(phones))
        disposition, outcome = rng.choice(self.dispositions)
        days_ago = 1 + int((rng.uniform(1, 90) - 1) / 89 * PAST_CALL_DAYS)
        dialed = self.day.due(zone, -days_ago, self.act.random())
        answered = dialed + timedelta(seconds=rng.randint(3, 25)) if outcome == "Answered" else None
        talk = timedelta(seconds=rng.randint(40, 900) if answered else rng.randint(15, 40))
        completed = (answered or dialed) + talk
        attrs: dict[str, Any] = dict.fromkeys(CALL_ATTRIBUTES)
        attrs.update(
            {
                "dialedAt": stamp(dialed),
                "answeredAt": stamp(answered) if answered else None,
                "completedAt": stamp(completed),
                "direction": "outbound",
                "outcome": outcome,
                "to": e164_of(phones[index][0]),
                "tags": [],
                "note": None,
                "state": "completed",
                "createdAt": stamp(completed),
                "updatedAt": stamp(completed),
                "stateChangedAt": stamp(completed),
            }
        )
        links = {
            "prospect": pid,
            "user": owner,
            "callDisposition": disposition,
            "callPurpose": rng.randint(1, len(PURPOSES)),
            "phoneNumber": phone_ids[index],
        }
        self.out.add(Row(CALL.type, self.new_id(CALL), attrs, links))


def seed(
    store: Store, prospects: int = 300, seed: int = 1, now: datetime | None = None
) -> SeedSummary:
    """Fill an empty store with the org for (`seed`, `prospects`, `now`), in one transaction.

    `now` (aware; default: the current time in this machine's time zone) is the epoch, and its
    calendar day in its own time zone the demo's "today".
    """
    if prospects < 1:
        raise ValueError("prospects must be at least 1")
    day = DemoDay(now or local_now())
    out = _Buffers(store)
    seeder = _Seeder(random.Random(seed), random.Random(f"activity {seed}"), out, day)
    with store.transaction():
        seeder.users()
        seeder.dispositions_and_purposes()
        seeder.sequences()
        seeder.org(prospects)
        out.flush()
    store.set_meta("seed", str(seed))
    store.set_meta("prospects", str(prospects))
    store.set_meta(EPOCH_META, day.epoch.isoformat())
    store.set_meta(SEEDED_TASKS_META, str(seeder.next_ids.get(TASK.type, 0)))
    return SeedSummary(seed, prospects, dict(out.written))
