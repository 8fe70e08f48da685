"""`POST`, `PATCH` and `DELETE /phoneNumbers`: a number added to a prospect, read as Outreach
reads numbers, never twice on one prospect; a number marked bad; the prospect's arrays in step."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import phonenumbers
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from phonenumbers import SUPPORTED_REGIONS

from tests.sandbox.conftest import Validate
from tests.support.sandbox import SandboxServer, serve_for
from tests.support.writes import EPOCH, created, document, errors, link, ok, patch, pointers, post


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    yield from serve_for(tmp_path_factory, "phone-writes", "--epoch", EPOCH)


@pytest.fixture
def api(server: SandboxServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _prospect(api: httpx.Client) -> int:
    body = document("prospect", {"firstName": "Caller", "lastName": uuid.uuid4().hex[:8]})
    return int(created(post(api, "/prospects", body))["id"])


def _number(prospect: int | None, **attributes: Any) -> dict[str, Any]:
    rels = {} if prospect is None else {"prospect": link("prospect", prospect)}
    return document("phoneNumber", attributes, rels)


def _add(api: httpx.Client, prospect: int, **attributes: Any) -> httpx.Response:
    return post(api, "/phoneNumbers", _number(prospect, **attributes))


def _arrays(api: httpx.Client, pid: int) -> dict[str, list[str]]:
    attrs = ok(api.get(f"/prospects/{pid}"))["attributes"]
    return {
        k: attrs[k]
        for k in ("workPhones", "mobilePhones", "homePhones", "voipPhones", "otherPhones")
    }


def test_a_number_is_added_in_e164_and_found_by_it(api: httpx.Client, validate: Validate) -> None:
    pid = _prospect(api)
    number = created(_add(api, pid, number="020 7946 0958", countryCode="GB", phoneType="mobile"))
    validate("phoneNumberResponse", number)
    attrs = number["attributes"]
    assert attrs["number"] == "+442079460958"
    assert attrs["rawNumber"] == "020 7946 0958"
    assert attrs["countryCode"] == "GB"
    assert (attrs["phoneType"], attrs["order"], attrs["status"]) == ("mobile", 1, None)
    assert number["relationships"]["prospect"]["data"] == {"type": "prospect", "id": pid}
    assert _arrays(api, pid)["mobilePhones"] == ["+442079460958"]
    found = api.get(
        "/phoneNumbers", params={"filter[number]": "+442079460958", "include": "prospect"}
    )
    assert pid in {p["id"] for p in found.json()["included"]}
    second = created(_add(api, pid, number="+1 (415) 555-0101 x 12"))
    assert (second["attributes"]["extension"], second["attributes"]["order"]) == ("12", 2)
    assert second["attributes"]["phoneType"] == "other"
    assert second["attributes"]["countryCode"] == "US"
    assert _arrays(api, pid)["otherPhones"] == ["+14155550101"]


def test_a_number_once_per_prospect_but_shared_lines_are_fine(api: httpx.Client) -> None:
    one, two = _prospect(api), _prospect(api)
    created(_add(api, one, number="+12125550177", extension="100", phoneType="work"))
    again = _add(api, one, number="(212) 555-0177", extension="100", phoneType="mobile")
    assert pointers(again) == {"/data/attributes/number"}
    created(_add(api, one, number="+12125550177", extension="200", phoneType="work"))
    created(_add(api, two, number="+12125550177", extension="100", phoneType="work"))
    assert len(api.get("/phoneNumbers", params={"filter[prospect][id]": one}).json()["data"]) == 2


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({}, "/data/attributes/number"),
        ({"number": None}, "/data/attributes/number"),
        ({"number": "call me maybe"}, "/data/attributes/number"),
        ({"number": "12"}, "/data/attributes/number"),
        ({"number": "+1 212 555 0123 4567 8901"}, "/data/attributes/number"),
        ({"number": 12125550123}, "/data/attributes/number"),
        ({"number": "+12125550123", "phoneType": "fax"}, "/data/attributes/phoneType"),
        ({"number": "+12125550123", "status": "dead"}, "/data/attributes/status"),
        ({"number": "+12125550123", "order": "first"}, "/data/attributes/order"),
        (
            {"number": "+12125550123", "statusChangedAt": "2026-01-01T00:00:00Z"},
            "/data/attributes/statusChangedAt",
        ),
        ({"number": "+12125550123", "extension": "1" * 256}, "/data/attributes/extension"),
    ],
)
def test_each_fault_is_named_by_its_pointer(
    api: httpx.Client, attributes: dict[str, Any], pointer: str
) -> None:
    assert pointers(_add(api, _prospect(api), **attributes)) == {pointer}


@pytest.mark.parametrize(
    "prospect", [None, {"data": None}, link("prospect", 10**9), link("account", 1)]
)
def test_a_number_needs_a_prospect_that_exists(api: httpx.Client, prospect: Any) -> None:
    body = _number(None, number="+12125550123")
    if prospect is not None:
        body["data"]["relationships"] = {"prospect": prospect}
    assert pointers(post(api, "/phoneNumbers", body)) == {"/data/relationships/prospect"}


def _status(api: httpx.Client, rid: int, status: object) -> httpx.Response:
    return patch(api, f"/phoneNumbers/{rid}", document("phoneNumber", {"status": status}, rid=rid))


def test_marking_a_number_bad_and_clearing_it(api: httpx.Client, validate: Validate) -> None:
    pid = _prospect(api)
    number = created(_add(api, pid, number="+12125550188", phoneType="work"))
    bad = ok(_status(api, number["id"], "bad"))
    validate("phoneNumberResponse", bad)
    assert bad["attributes"]["status"] == "bad"
    assert bad["attributes"]["statusChangedAt"] == bad["attributes"]["updatedAt"]
    assert bad["attributes"]["number"] == "+12125550188"  # the rest is kept
    again = ok(_status(api, number["id"], "bad"))
    assert again["attributes"]["statusChangedAt"] == bad["attributes"]["statusChangedAt"]
    assert ok(api.get(f"/phoneNumbers/{number['id']}"))["attributes"]["status"] == "bad"
    listed = api.get(
        "/phoneNumbers", params={"filter[prospect][id]": pid, "fields[phoneNumber]": "status"}
    )
    assert [n["attributes"] for n in listed.json()["data"]] == [{"status": "bad"}]
    cleared = ok(_status(api, number["id"], None))
    assert cleared["attributes"]["status"] is None
    assert cleared["attributes"]["statusChangedAt"] > bad["attributes"]["statusChangedAt"]


@pytest.mark.parametrize("status", ["dead", "BAD", "", 1, True, ["bad"]])
def test_a_status_outside_the_vocabulary_is_refused(api: httpx.Client, status: object) -> None:
    number = created(_add(api, _prospect(api), number="+12125550189"))
    assert pointers(_status(api, number["id"], status)) == {"/data/attributes/status"}
    assert ok(api.get(f"/phoneNumbers/{number['id']}"))["attributes"]["status"] is None


def test_a_patch_keeps_lines_unique_and_arrays_in_step(api: httpx.Client) -> None:
    pid = _prospect(api)
    work = created(_add(api, pid, number="+12125550190", phoneType="work"))
    mobile = created(_add(api, pid, number="+12125550191", phoneType="mobile"))
    clash = document("phoneNumber", {"number": "+12125550190"}, rid=mobile["id"])
    assert pointers(patch(api, f"/phoneNumbers/{mobile['id']}", clash)) == {
        "/data/attributes/number"
    }
    retyped = document("phoneNumber", {"phoneType": "home"}, rid=work["id"])
    ok(patch(api, f"/phoneNumbers/{work['id']}", retyped))
    arrays = _arrays(api, pid)
    assert (arrays["homePhones"], arrays["workPhones"]) == (["+12125550190"], [])
    other = _prospect(api)
    moved = document("phoneNumber", {}, {"prospect": link("prospect", other)}, rid=work["id"])
    ok(patch(api, f"/phoneNumbers/{work['id']}", moved))
    assert _arrays(api, pid)["homePhones"] == []
    assert _arrays(api, other)["homePhones"] == ["+12125550190"]
    unlink = document("phoneNumber", {}, {"prospect": {"data": None}}, rid=work["id"])
    assert pointers(patch(api, f"/phoneNumbers/{work['id']}", unlink)) == {
        "/data/relationships/prospect"
    }
    missing = document("phoneNumber", {"status": "bad"}, rid=10**9)
    assert errors(patch(api, f"/phoneNumbers/{10**9}", missing), 404)[0]["id"] == "resourceNotFound"


def test_delete_removes_a_number_from_its_prospect(api: httpx.Client) -> None:
    pid = _prospect(api)
    number = created(_add(api, pid, number="+12125550192", phoneType="mobile"))
    assert api.delete(f"/phoneNumbers/{number['id']}").status_code == 204
    assert _arrays(api, pid)["mobilePhones"] == []
    errors(api.get(f"/phoneNumbers/{number['id']}"), 404)
    errors(api.delete(f"/phoneNumbers/{number['id']}"), 404)


_FORMATS = (
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
)


@st.composite
def _written(draw: st.DrawFn) -> tuple[str, str | None]:
    """A number as people write it (from `phonenumbers`' examples, digits changed), and the
    `countryCode` sent with it: its own region, another, none, or no region at all."""
    region = draw(st.sampled_from(["US", "GB", "DE", "FR", "IN", "JP", "BR"]))
    kind = draw(
        st.sampled_from(
            [phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE]
        )
    )
    example = phonenumbers.example_number_for_type(region, kind)
    assert example is not None
    digits = list(str(example.national_number))
    for index in draw(st.sets(st.integers(len(digits) // 2, len(digits) - 1))):
        digits[index] = str(draw(st.integers(0, 9)))
    number = phonenumbers.PhoneNumber(
        country_code=example.country_code, national_number=int("".join(digits))
    )
    text = phonenumbers.format_number(number, draw(st.sampled_from(_FORMATS)))
    if draw(st.booleans()):
        text += f" ext. {draw(st.integers(1, 9999))}"
    sent = draw(st.sampled_from([region, region.lower(), None, "US", "ZZ"]))
    return text, sent


_NOISE = st.tuples(
    st.text(alphabet="0123456789 -+().x", max_size=24) | st.text(max_size=24),
    st.sampled_from([None, "US", "GB", "ZZ"]),
)


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=st.one_of(_written(), _NOISE))
def test_any_text_is_stored_as_phonenumbers_reads_it_or_refused(
    api: httpx.Client, case: tuple[str, str | None]
) -> None:
    """Read with the `countryCode` given when it is a region, else as a US number."""
    text, region = case
    attributes: dict[str, Any] = {"number": text}
    if region is not None:
        attributes["countryCode"] = region
    response = _add(api, _prospect(api), **attributes)
    event(f"status {response.status_code}")
    default = (region or "US").upper()
    try:
        parsed = phonenumbers.parse(text, default if default in SUPPORTED_REGIONS else "US")
        readable = phonenumbers.is_possible_number(parsed)
    except phonenumbers.NumberParseException:
        readable = False
    if not readable:
        assert pointers(response) == {"/data/attributes/number"}
        return
    stored = created(response)["attributes"]
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    assert stored["number"] == e164
    assert stored["rawNumber"] == text
    assert stored["extension"] == (parsed.extension or None)
