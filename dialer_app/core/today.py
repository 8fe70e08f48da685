"""Today's count: calls, connects and talk time of the rep's day, with an optional goal.

Two sources, reconciled:
- the outbox: every call logged on this computer today (sent or not yet), always known;
- Outreach: the rep's calls created today (`GET /calls?filter[user][id]=…&filter[createdAt]=
  <midnight>..inf`), which adds calls logged elsewhere (another computer, Outreach's own
  dialer) — read in the background, absent while Outreach cannot be asked.

A call is counted once: an outbox call Outreach already lists (by its Outreach id, or by its
`vendorCallId`) is the same call. A call is the day's when its first time (`dialedAt`, else
`answeredAt`, else when it was created or logged) falls in the rep's local day. A connect is
a call whose outcome is `Answered` (or, without an outcome, that has an `answeredAt`); talk
time is `completedAt − answeredAt` of the connects, each taken as 0–`MAX_TALK`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .terms import format_utc

if TYPE_CHECKING:
    from .outreach.client import OutreachClient

MAX_TALK = timedelta(hours=8)  # one call longer than this is a clock gone wrong, not talk
CALL_FIELDS = "dialedAt,answeredAt,completedAt,createdAt,outcome,vendorCallId"
PAGE = 200
MAX_CALLS = 2_000  # a day's reading stops here


@dataclass(frozen=True, slots=True)
class DayCall:
    """One call as the count needs it."""

    outreach_id: int | None = None
    vendor_call_id: str = ""
    dialed_at: datetime | None = None
    answered_at: datetime | None = None
    completed_at: datetime | None = None
    created_at: datetime | None = None
    outcome: str = ""
    task_id: int | None = None  # the call task it was logged against (outbox calls)

    @property
    def at(self) -> datetime | None:
        return self.dialed_at or self.answered_at or self.created_at

    @property
    def connected(self) -> bool:
        if self.outcome:
            return self.outcome == "Answered"
        return self.answered_at is not None

    @property
    def talk(self) -> timedelta:
        if not self.connected or self.answered_at is None or self.completed_at is None:
            return timedelta(0)
        return min(max(self.completed_at - self.answered_at, timedelta(0)), MAX_TALK)


@dataclass(frozen=True, slots=True)
class DayTally:
    """The day so far."""

    calls: int = 0
    connects: int = 0
    talk: timedelta = timedelta(0)
    goal: int = 0  # 0: no goal
    reconciled: bool = False  # Outreach's list of the day was part of it

    @property
    def talk_text(self) -> str:
        """ "0 min", "38 min", "1 h 05 min"."""
        minutes = int(self.talk.total_seconds() // 60)
        hours, rest = divmod(minutes, 60)
        return f"{hours} h {rest:02d} min" if hours else f"{rest} min"

    @property
    def short(self) -> str:
        """For the status bar: "Today 12" or, with a goal, "Today 12/60"."""
        return f"Today {self.calls}/{self.goal}" if self.goal else f"Today {self.calls}"

    @property
    def sentence(self) -> str:
        """ "12 calls, 4 connects, 38 min talk time today (goal 60: 48 to go)"."""
        plural = "" if self.calls == 1 else "s"
        connects = "connect" if self.connects == 1 else "connects"
        text = f"{self.calls} call{plural}, {self.connects} {connects}, {self.talk_text} talk time"
        text += " today"
        if self.goal:
            left = self.goal - self.calls
            text += f" (goal {self.goal}: {left} to go)" if left > 0 else f" (goal {self.goal} met)"
        if not self.reconciled:
            text += "; calls logged elsewhere show once Outreach answers"
        return text


def tally(
    local: Iterable[DayCall],
    remote: Iterable[DayCall] | None,
    start: datetime,
    end: datetime,
    *,
    goal: int = 0,
) -> DayTally:
    """The day [`start`, `end`) from the outbox's calls (`local`) and Outreach's (`remote`,
    None when it could not be read)."""
    chosen: list[DayCall] = []
    ids: set[int] = set()
    vendor_ids: set[str] = set()
    for call in remote or ():
        if call.outreach_id is not None:
            if call.outreach_id in ids:
                continue
            ids.add(call.outreach_id)
        if call.vendor_call_id:
            vendor_ids.add(call.vendor_call_id)
        chosen.append(call)
    for call in local:
        if call.outreach_id is not None and call.outreach_id in ids:
            continue
        if call.vendor_call_id:
            if call.vendor_call_id in vendor_ids:
                continue
            vendor_ids.add(call.vendor_call_id)
        chosen.append(call)
    day = [c for c in chosen if (at := c.at) is not None and start <= at < end]
    return DayTally(
        calls=len(day),
        connects=sum(1 for c in day if c.connected),
        talk=sum((c.talk for c in day), timedelta(0)),
        goal=max(0, goal),
        reconciled=remote is not None,
    )


# -- reading Outreach's calls of the day ----------------------------------------------------


def _time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def call_of(call_id: int, attributes: Mapping[str, object]) -> DayCall:
    """A call resource's attributes as the count needs them (anything unreadable left out)."""
    vendor = attributes.get("vendorCallId")
    outcome = attributes.get("outcome")
    return DayCall(
        outreach_id=call_id,
        vendor_call_id=vendor if isinstance(vendor, str) else "",
        dialed_at=_time(attributes.get("dialedAt")),
        answered_at=_time(attributes.get("answeredAt")),
        completed_at=_time(attributes.get("completedAt")),
        created_at=_time(attributes.get("createdAt")),
        outcome=outcome if isinstance(outcome, str) else "",
    )


async def calls_of_day(client: OutreachClient, user_id: int, start: datetime) -> list[DayCall]:
    """The rep's calls Outreach created since `start` (at most `MAX_CALLS`)."""
    params: dict[str, str | int] = {
        "filter[user][id]": user_id,
        "filter[createdAt]": f"{format_utc(start)}..inf",
        "fields[call]": CALL_FIELDS,
        "page[size]": PAGE,
    }
    out: list[DayCall] = []
    async for res in client.paginate("/calls", params):
        if res.type != "call":
            continue
        out.append(call_of(res.id, res.attributes))
        if len(out) >= MAX_CALLS:
            break
    return out
