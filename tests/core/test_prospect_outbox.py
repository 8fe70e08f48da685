"""Prospect writes through the outbox, against the sandbox over 127.0.0.1: a caller nobody knew
becomes a prospect, their number is added, and the call waits for both and links them — in
order, exactly once, whatever happens between the steps (Outreach down, an answer lost, the app
killed); a number marked bad and a call opt-out reach Outreach's stored resources.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from dialer_app.core.calls import CallAttributes, NewCall
from dialer_app.core.outbox import Delivered, Entry, Kind, Outbox
from dialer_app.core.outbox.kinds import built_in
from dialer_app.core.outbox.prospects import (
    add_number_step,
    call_opt_out_step,
    create_prospect_steps,
    phone_status_step,
)
from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach.bodies import NewProspect
from dialer_app.core.outreach.client import OutreachClient, RetryPolicy, StaticToken
from dialer_app.core.sync import Backoff, SyncWorker
from tests.support.prospects import numbers_with_one_prospect


@pytest.fixture
def server(make_sandbox: Any) -> Any:
    return make_sandbox("--prospects", "20")


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    box = Outbox(tmp_path / "outbox.sqlite3")
    yield box
    box.close()


def _number() -> str:
    return f"+1202555{random.Random(uuid.uuid4().int).randrange(10_000):04d}"


def _worker(outbox: Outbox, client: OutreachClient, owner: str = "test") -> SyncWorker:
    return SyncWorker(
        outbox,
        lambda: client,
        owner=owner,
        backoff=Backoff(base=0, cap=0, floor=0),
        rng=random.Random(1),
        checks=(0.0,),  # look once right away after a write of unknown fate, then resend
    )


def _run(server: Any, work: Callable[[OutreachClient], Any]) -> Any:
    async def go() -> Any:
        client = OutreachClient(
            server.base_url, StaticToken(server.token), retry=RetryPolicy(attempts=1)
        )
        try:
            return await work(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


def _drain(server: Any, outbox: Outbox, owner: str = "test", limit: int = 20) -> int:
    """Send until nothing is due; how many sends were tried."""

    async def work(client: OutreachClient) -> int:
        worker = _worker(outbox, client, owner)
        tried = 0
        while tried < limit and await worker.send_next():
            tried += 1
        return tried

    return int(_run(server, work))


def _unknown_caller(outbox: Outbox, number: str, *, first: str = "Dev") -> tuple[str, str, Entry]:
    """The rep creates "Dev Patel" for a call from `number` and logs the call at once."""
    ref, number_ref = str(uuid.uuid4()), str(uuid.uuid4())
    prospect = NewProspect.make(firstName=first, lastName="Patel", company="Acme", ref=ref)
    outbox.submit(
        create_prospect_steps(prospect, number=number, phone_type="mobile", number_ref=number_ref)
    )
    call = NewCall(
        attributes=CallAttributes(
            direction="inbound", outcome="Answered", vendorCallId=str(uuid.uuid4())
        )
    )
    entry = outbox.enqueue(call, needs={"prospect": ref, "phoneNumber": number_ref})
    return ref, number_ref, entry


def _stored(server: Any, ref: str, number: str, vendor_id: str) -> dict[str, list[Any]]:
    """What the sandbox holds for this caller: prospects with that externalId, the number's
    records, the calls with that vendor id."""
    with server.client() as api:
        prospects = [
            p
            for p in api.get(
                "/prospects", params={"filter[lastName]": "Patel", "page[size]": 100}
            ).json()["data"]
            if p["attributes"].get("externalId") == ref
        ]
        numbers = api.get("/phoneNumbers", params={"filter[number]": number}).json()["data"]
        calls = [
            c
            for p in prospects
            for c in api.get(
                "/calls", params={"filter[prospect][id]": p["id"], "page[size]": 100}
            ).json()["data"]
            if c["attributes"].get("vendorCallId") == vendor_id
        ]
    return {"prospects": prospects, "numbers": numbers, "calls": calls}


def _linked_once(server: Any, outbox: Outbox, ref: str, number: str, entry: Entry) -> None:
    stored = _stored(server, ref, number, entry.vendor_call_id)
    assert [len(stored[k]) for k in ("prospects", "numbers", "calls")] == [1, 1, 1], stored
    (prospect,), (phone,), (call,) = stored["prospects"], stored["numbers"], stored["calls"]
    assert phone["relationships"]["prospect"]["data"]["id"] == prospect["id"]
    assert phone["attributes"]["phoneType"] == "mobile"
    assert call["relationships"]["prospect"]["data"]["id"] == prospect["id"]
    assert call["relationships"]["phoneNumber"]["data"]["id"] == phone["id"]
    assert {e.state for e in outbox.entries()} == {"sent"}


def test_a_new_caller_is_created_numbered_and_logged_in_order(server: Any, outbox: Outbox) -> None:
    number = _number()
    ref, _number_ref, call = _unknown_caller(outbox, number)
    waiting = outbox.get(call.id)
    assert [link.role for link in waiting.waiting_for] == ["prospect", "phoneNumber"]
    assert _drain(server, outbox) == 3
    _linked_once(server, outbox, ref, number, call)
    created = outbox.find(ref)
    assert created is not None
    assert created.kind == "create_prospect"
    assert outbox.get(call.id).outreach_id is not None


def test_outreach_down_then_the_app_killed_between_the_steps(server: Any, tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    number = _number()
    first = Outbox(path)
    ref, _number_ref, call = _unknown_caller(first, number)
    server.faults(maintenance=True)  # Outreach is down for the first attempt
    assert _drain(server, first, owner="first", limit=1) == 1
    assert first.find(ref).state == "waiting"  # type: ignore[union-attr]
    server.reset_faults()
    first.retry_now()
    assert _drain(server, first, owner="first", limit=1) == 1  # the prospect, then killed
    assert first.find(ref).state == "sent"  # type: ignore[union-attr]
    first.close()  # the app is killed here: the number and the call are still to go
    second = Outbox(path)
    try:
        assert _drain(server, second, owner="second") == 2
        _linked_once(server, second, ref, number, second.get(call.id))
    finally:
        second.close()


def test_a_lost_answer_to_the_create_never_makes_a_second_prospect(
    server: Any, outbox: Outbox
) -> None:
    number = _number()
    ref, _number_ref, call = _unknown_caller(outbox, number)
    server.faults(drop_after_commit=1)  # Outreach creates the prospect; the answer is lost
    _drain(server, outbox)
    _linked_once(server, outbox, ref, number, call)


def test_the_app_killed_while_the_create_was_out_looks_before_resending(
    server: Any, outbox: Outbox
) -> None:
    number = _number()
    ref, _number_ref, call = _unknown_caller(outbox, number)
    dead = "host:1:dead"

    async def first_app(client: OutreachClient) -> None:
        claimed = outbox.claim_next(dead)
        assert claimed is not None
        assert claimed.ref == ref
        assert outbox.confirm_claim(claimed.id, dead, posting=True)
        await outbox.kinds["create_prospect"].send(client, claimed, {})
        # The app dies here: Outreach has the prospect, the outbox does not know.

    _run(server, first_app)
    assert outbox.recover_orphans(lambda owner: owner != dead) >= 1
    assert outbox.find(ref).uncertain  # type: ignore[union-attr]
    _drain(server, outbox, owner="second")
    _linked_once(server, outbox, ref, number, call)


def test_a_number_the_prospect_has_already_is_taken_not_posted_again(
    server: Any, outbox: Outbox
) -> None:
    held = numbers_with_one_prospect(server, 1)[0]
    step = add_number_step(held.prospect_id, held.number, ref=str(uuid.uuid4()))
    (entry,) = outbox.submit([step])
    assert _drain(server, outbox) == 1
    done = outbox.get(entry.id)
    assert (done.state, done.last_error) == ("sent", "")
    with server.client() as api:
        records = api.get(
            "/phoneNumbers",
            params={"filter[number]": held.number, "filter[prospect][id]": held.prospect_id},
        ).json()["data"]
    assert [r["id"] for r in records] == [done.outreach_id]


def test_bad_number_and_opt_out_reach_outreach(server: Any, outbox: Outbox) -> None:
    held = numbers_with_one_prospect(server, 1)[0]
    with server.client() as api:
        (phone,) = [
            r
            for r in api.get(
                "/phoneNumbers", params={"filter[prospect][id]": held.prospect_id}
            ).json()["data"]
            if r["attributes"]["number"] == held.number
        ]
    outbox.submit(
        [
            phone_status_step(held.prospect_id, phone["id"], bad=True, label=held.number),
            call_opt_out_step(held.prospect_id, opted_out=True),
        ]
    )
    assert _drain(server, outbox) == 2
    with server.client() as api:
        number = api.get(f"/phoneNumbers/{phone['id']}").json()["data"]
        prospect = api.get(f"/prospects/{held.prospect_id}").json()["data"]
    assert number["attributes"]["status"] == "bad"
    assert prospect["attributes"]["callOptedOut"] is True
    assert {e.state for e in outbox.entries()} == {"sent"}
    outbox.submit(
        [
            phone_status_step(held.prospect_id, phone["id"], bad=False),
            call_opt_out_step(held.prospect_id, opted_out=False),
        ]
    )
    assert _drain(server, outbox) == 2
    with server.client() as api:
        number = api.get(f"/phoneNumbers/{phone['id']}").json()["data"]
        prospect = api.get(f"/prospects/{held.prospect_id}").json()["data"]
    assert not number["attributes"].get("status")
    assert prospect["attributes"]["callOptedOut"] is False


def test_a_refused_write_waits_for_the_rep_and_holds_nothing_else(
    server: Any, outbox: Outbox
) -> None:
    held = numbers_with_one_prospect(server, 1)[0]
    (refused, opt) = outbox.submit(
        [
            phone_status_step(held.prospect_id, 999_999_999, bad=True),  # no such number
            call_opt_out_step(held.prospect_id, opted_out=True),
        ]
    )
    _drain(server, outbox)
    assert outbox.get(refused.id).state == "attention"
    assert outbox.get(refused.id).last_error
    assert outbox.get(opt.id).state == "sent"


def test_a_discarded_creation_takes_its_number_and_call_with_it(
    server: Any, outbox: Outbox
) -> None:
    ref, number_ref, call = _unknown_caller(outbox, _number())
    created = outbox.find(ref)
    assert created is not None
    gone = outbox.discard(created.id)
    assert set(gone) >= {created.id, outbox.find(number_ref).id}  # type: ignore[union-attr]
    _drain(server, outbox)
    assert outbox.get(call.id).state == "discarded"


# -- the chain under any order of faults ------------------------------------------------------


class Killed(Exception):
    """The app dies (not an Outreach error: nothing in the sender handles it)."""


class DiesAfterSending(Kind):
    """A kind whose sender dies right after the write went out."""

    def __init__(self, inner: Kind) -> None:
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.label = inner.label  # type: ignore[misc]
        self.roles = inner.roles  # type: ignore[misc]
        self.idempotent = inner.idempotent  # type: ignore[misc]
        self.look_first = inner.look_first  # type: ignore[misc]

    def check(self, body: Any) -> object:
        return self.inner.check(body)

    async def send(self, client: OutreachClient, entry: Entry, given: Any) -> Delivered:
        with contextlib.suppress(e.OutreachError):
            await self.inner.send(client, entry, given)
        raise Killed

    async def look(self, client: OutreachClient, entry: Entry, given: Any) -> Delivered | None:
        return await self.inner.look(client, entry, given)


@pytest.mark.slow
class Chain(RuleBasedStateMachine):
    """Outreach down or up, answers lost, senders killed mid-write, the app restarted, at
    any point of the chain: once everything drains, exactly one prospect, one number, one
    call, linked."""

    server: Any = None
    tmp: Path | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.tmp is not None
        self.path = self.tmp / f"{uuid.uuid4().hex}.sqlite3"
        self.outbox = Outbox(self.path)
        self.number = _number()
        self.ref, self.number_ref, self.call = _unknown_caller(self.outbox, self.number)
        self.server.reset_faults()
        self.runs = 0
        self.down = False

    @rule(down=st.booleans(), drop=st.integers(0, 2))
    def weather(self, down: bool, drop: int) -> None:
        self.down = down
        self.server.faults(maintenance=down, drop_after_commit=drop)

    @rule()
    def send_one(self) -> None:
        self.runs += 1
        _drain(self.server, self.outbox, owner=f"app-{self.runs}", limit=1)
        self.outbox.retry_now()

    @rule()
    def restart(self) -> None:
        self.outbox.close()
        self.outbox = Outbox(self.path)

    @precondition(lambda self: not self.down and self._next() is not None)
    @rule()
    def killed_mid_write(self) -> None:
        """A sender that dies right after its write went out (whatever Outreach answered):
        its claim is taken back by the next app, the write's fate unknown."""
        self.runs += 1
        dead = f"host:1:dead{self.runs}"
        kinds = self.outbox.kinds
        self.outbox.kinds = {name: DiesAfterSending(kind) for name, kind in kinds.items()}
        try:
            _drain(self.server, self.outbox, owner=dead, limit=1)
        except Killed:
            pass
        finally:
            self.outbox.kinds = kinds
        self.outbox.recover_orphans(lambda owner: owner != dead)

    def _next(self) -> Entry | None:
        return next((e for e in self.outbox.entries() if e.state == "waiting"), None)

    @invariant()
    def never_two(self) -> None:
        if self.down:
            return  # Outreach answers nobody (the check reads it too)
        stored = _stored(self.server, self.ref, self.number, self.call.vendor_call_id)
        assert len(stored["prospects"]) <= 1
        assert len(stored["numbers"]) <= 1
        assert len(stored["calls"]) <= 1

    def teardown(self) -> None:
        self.server.reset_faults()
        self.outbox.retry_now()
        _drain(self.server, self.outbox, owner="final")
        _linked_once(self.server, self.outbox, self.ref, self.number, self.call)
        self.outbox.close()


@pytest.mark.slow
def test_the_chain_survives_any_order_of_faults(server: Any, tmp_path: Path) -> None:
    Chain.server, Chain.tmp = server, tmp_path
    runner = Chain.TestCase
    runner.settings = settings(
        max_examples=12,
        stateful_step_count=8,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    runner().runTest()


# -- saved bodies of any shape ----------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=6,
)
_fields = st.sampled_from(
    [
        "prospect",
        "number",
        "extension",
        "phoneType",
        "rawNumber",
        "phoneNumber",
        "status",
        "optedOut",
        "label",
        "firstName",
        "lastName",
        "ref",
    ]
)


@settings(max_examples=300, deadline=None)
@pytest.mark.parametrize(
    "kind", ["create_prospect", "add_phone_number", "phone_status", "call_opt_out"]
)
@given(
    body=st.dictionaries(_fields, _json | st.dictionaries(_fields, _json, max_size=4), max_size=6)
)
def test_a_damaged_body_is_refused_by_check_and_still_described(kind: str, body: Any) -> None:
    """Whatever the file holds, `check` accepts it or raises a ValueError (the operation is set
    aside with the reason), and the Outbox view can always say what it is."""
    handler = built_in()[kind]
    with contextlib.suppress(ValueError):
        handler.check(body)
    now = datetime.now(UTC)
    entry = Entry(1, kind, "r", None, body, "", "attention", False, 0, 0.0, "", (), None, now, now)
    assert isinstance(handler.describe(entry), str)
    assert isinstance(handler.done(entry), str)
