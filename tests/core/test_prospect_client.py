"""The client's prospect and number writes against the real sandbox over HTTP: an unknown
caller becomes a prospect with the number, found again before any resend; a number marked bad;
"don't call me" honoured."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from dialer_app.core.outreach import errors as e
from dialer_app.core.outreach import writes as w
from dialer_app.core.outreach.bodies import BAD_NUMBER, NewPhoneNumber, NewProspect
from dialer_app.core.outreach.client import OutreachClient, StaticToken
from tests.support.sandbox import SandboxServer, serve_for
from tests.support.writes import EPOCH


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "prospect-client", "--epoch", EPOCH)


def _with(server: SandboxServer, use: Callable[[OutreachClient], Awaitable[Any]]) -> Any:
    async def go() -> Any:
        client = OutreachClient(server.base_url, StaticToken(server.token))
        try:
            return await use(client)
        finally:
            await client.aclose()

    return asyncio.run(go())


_NUMBERS = itertools.count(2000)  # the seed's numbers are 555-01xx


def _number() -> str:
    return f"+1415555{next(_NUMBERS):04d}"


def test_an_unknown_caller_becomes_a_prospect_with_the_number(server: SandboxServer) -> None:
    ref, first, number = uuid.uuid4().hex, f"Priya{uuid.uuid4().hex[:6]}", _number()
    new = NewProspect.make(firstName=first, lastName="Raman", company="Acme", title="CFO", ref=ref)

    async def go(client: OutreachClient) -> dict[str, Any]:
        before = await w.find_own_prospect(client, ref, first, "Raman", number)
        prospect = await w.create_prospect(client, new)
        by_name = await w.find_own_prospect(client, ref, first.upper(), " raman ")
        added = await w.add_phone_number(
            client, NewPhoneNumber.make(prospect=prospect.id, number=number, phoneType="mobile")
        )
        by_number = await w.find_own_prospect(client, ref, "Someone", "Else", number)
        other_ref = await w.find_own_prospect(client, uuid.uuid4().hex, first, "Raman", number)
        line = await w.find_phone_number(client, prospect.id, number)
        card = await client.prospect(prospect.id)
        matches = await client.search(number)
        named = await w.prospects_named(client, first, "")
        return locals()

    got = _with(server, go)
    prospect = got["prospect"]
    assert got["before"] is None
    assert (prospect.first_name, prospect.last_name, prospect.company) == (first, "Raman", "Acme")
    assert got["by_name"] == prospect
    assert got["by_number"].id == prospect.id
    assert got["other_ref"] is None
    assert (got["added"].number, got["added"].phone_type) == (number, "mobile")
    assert got["line"] == got["added"]
    assert [n.number for n in got["card"].phone_numbers] == [number]
    assert [m.prospect.id for m in got["matches"]] == [prospect.id]
    assert [p.id for p in got["named"]] == [prospect.id]


def test_a_number_is_attached_once(server: SandboxServer) -> None:
    number = _number()

    async def go(client: OutreachClient) -> Any:
        prospect = await w.create_prospect(client, NewProspect.make(lastName="Once"))
        body = NewPhoneNumber.make(prospect=prospect.id, number=number, extension="12")
        await w.add_phone_number(client, body)
        assert await w.find_phone_number(client, prospect.id, number) is None  # no extension
        assert await w.find_phone_number(client, prospect.id, number, "12") is not None
        await w.add_phone_number(client, body)

    with pytest.raises(e.ValidationFailed) as caught:
        _with(server, go)
    assert [f.field for f in caught.value.field_errors] == ["number"]


def test_a_bad_number_is_marked_and_shown_on_the_card(server: SandboxServer) -> None:
    async def go(client: OutreachClient) -> Any:
        prospect = await w.create_prospect(client, NewProspect.make(lastName="Dead Line"))
        good = await w.add_phone_number(
            client, NewPhoneNumber.make(prospect=prospect.id, number=_number())
        )
        bad = await w.add_phone_number(
            client, NewPhoneNumber.make(prospect=prospect.id, number=_number())
        )
        marked = await w.set_phone_number_status(client, bad.id, BAD_NUMBER)
        card = await client.prospect(prospect.id)
        cleared = await w.set_phone_number_status(client, bad.id, None)
        return good, marked, card, cleared

    good, marked, card, cleared = _with(server, go)
    assert marked.is_bad
    assert {n.id: n.is_bad for n in card.phone_numbers} == {good.id: False, marked.id: True}
    assert not cleared.is_bad
    with pytest.raises(e.ValidationFailed):
        _with(server, lambda c: w.set_phone_number_status(c, good.id, "dead"))
    with pytest.raises(e.NotFound):
        _with(server, lambda c: w.set_phone_number_status(c, 10**9, BAD_NUMBER))


def test_asked_not_to_be_called(server: SandboxServer) -> None:
    async def go(client: OutreachClient) -> Any:
        prospect = await w.create_prospect(client, NewProspect.make(firstName="Quiet"))
        out = await w.set_call_opt_out(client, prospect.id, True)
        card = await client.prospect(prospect.id)
        back = await w.set_call_opt_out(client, prospect.id, False)
        return prospect, out, card, back

    prospect, out, card, back = _with(server, go)
    assert not prospect.call_opted_out
    assert out.call_opted_out
    assert card.call_opted_out
    assert not back.call_opted_out
    with server.client() as api:
        attrs = api.get(f"/prospects/{prospect.id}").json()["data"]["attributes"]
    assert attrs["callsOptStatus"] == "opted_in"


def test_no_name_means_no_name_lookup(server: SandboxServer) -> None:
    assert _with(server, lambda c: w.prospects_named(c, " ", "")) == []
    assert _with(server, lambda c: w.find_own_prospect(c, "ref", "", "")) is None
