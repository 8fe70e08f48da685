"""A property-based run of Outreach's published spec against the sandbox (schemathesis).

Every operation of openapi.json that the sandbox implements is called with requests generated
from the spec itself — ids, call bodies, `actionParams` — plus the query parameters Outreach's
docs describe but the spec leaves out (`filter[<attribute>]`, `sort`, `page[...]`, `include`,
`fields[<type>]`, `count`), named after the attributes and relationships of the resource's own
schema. No answer may be a 5xx, and every documented answer must fit its schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.openapi import openapi, spec_dir
from tests.support.sandbox import SandboxServer, serve_for

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.checks import (  # noqa: E402
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

RESOURCES = (
    "accounts|callDispositions|callPurposes|calls|phoneNumbers|prospects|sequenceStates"
    "|sequenceSteps|sequences|tasks|users"
)
IMPLEMENTED = {
    "GET": re.compile(rf"^/({RESOURCES})(/\{{id\}})?$"),
    "POST": re.compile(
        r"^/(calls|tasks|prospects|phoneNumbers)$"
        r"|^/tasks/\{id\}/actions/(markComplete|snooze|reschedule)$"
    ),
    "PATCH": re.compile(r"^/(prospects|phoneNumbers)/\{id\}$"),
    "DELETE": re.compile(r"^/(calls|tasks|phoneNumbers)/\{id\}$"),
}
EXAMPLES = 25


def _implemented() -> list[tuple[str, str]]:
    if not (spec_dir() / "openapi.json").is_file():
        return []
    return sorted(
        (method.upper(), path)
        for path, item in openapi()["paths"].items()
        for method in item
        if method.upper() in IMPLEMENTED and IMPLEMENTED[method.upper()].match(path)
    )


OPERATIONS = _implemented()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxServer]:
    """A sandbox of this module's own: the run creates and deletes calls at random."""
    yield from serve_for(tmp_path_factory, "fidelity")


@pytest.fixture(scope="module")
def schema() -> Any:
    return schemathesis.openapi.from_dict(openapi())


def _documented_query(path: str) -> st.SearchStrategy[dict[str, str]]:
    """Query parameters Outreach documents for collections, named from the resource's schema."""
    plural = path.strip("/").split("/")[0]
    singular = plural[:-1]
    schemas = openapi()["components"]["schemas"]
    attributes = sorted(schemas[singular]["properties"])
    relations = sorted(schemas.get(f"{singular}Relationships", {}).get("properties", {}))
    names = attributes + relations
    value = st.one_of(
        st.text(max_size=24),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(names),
        st.lists(st.sampled_from(names), max_size=3).map(",".join),
        st.sampled_from(["-createdAt", "createdAt", "2026-01-01..inf", "neverz..2026-01-01"]),
    )
    keys = st.one_of(
        st.sampled_from(names).map(lambda n: f"filter[{n}]"),
        st.sampled_from(relations or ["owner"]).map(lambda n: f"filter[{n}][id]"),
        st.sampled_from(
            ["sort", "page[size]", "page[after]", "page[limit]", "include", "count", "filter[q]"]
        ),
        st.just(f"fields[{singular}]"),
    )
    return st.dictionaries(keys, value, max_size=4)


def _check(case: Any, response: Any) -> None:
    checks = [not_a_server_error, response_schema_conformance]
    if response.status_code != 204:  # "No Content" carries no body, so no media type either
        checks.append(content_type_conformance)
    case.validate_response(response, checks=checks)


@pytest.mark.slow
@pytest.mark.skipif(not OPERATIONS, reason="Outreach's openapi.json is not available")
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_spec_finds_no_server_error_and_no_schema_violation(
    server: SandboxServer, schema: Any, method: str, path: str
) -> None:
    operation = schema[path][method]
    collection = method == "GET" and "{id}" not in path
    extra = _documented_query(path) if collection else st.just({})
    headers = {"Authorization": f"Bearer {server.token}"}

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), query=extra)
    def run(case: Any, query: dict[str, str]) -> None:
        response = case.call(base_url=server.base_url, headers=headers, params=query or None)
        _check(case, response)

    run()


@pytest.mark.skipif(not OPERATIONS, reason="Outreach's openapi.json is not available")
def test_the_run_covers_every_operation_the_app_uses() -> None:
    used = {
        ("GET", "/prospects"),
        ("GET", "/prospects/{id}"),
        ("GET", "/phoneNumbers"),
        ("GET", "/callDispositions"),
        ("GET", "/callPurposes"),
        ("GET", "/sequenceStates"),
        ("GET", "/tasks"),
        ("GET", "/calls"),
        ("POST", "/calls"),
        ("POST", "/tasks/{id}/actions/markComplete"),
        ("POST", "/tasks"),
        ("POST", "/tasks/{id}/actions/snooze"),
        ("POST", "/tasks/{id}/actions/reschedule"),
        ("POST", "/prospects"),
        ("PATCH", "/prospects/{id}"),
        ("POST", "/phoneNumbers"),
        ("PATCH", "/phoneNumbers/{id}"),
    }
    assert used <= set(OPERATIONS)
