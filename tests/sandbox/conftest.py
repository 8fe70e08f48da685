"""Fixtures of the sandbox tests: an API client on the shared sandbox, Outreach's contract."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator

from tests.support.openapi import spec_dir
from tests.support.sandbox import SandboxServer

Validate = Callable[[str, Any], None]


@pytest.fixture(scope="session")
def outreach_components() -> dict[str, Any]:
    path = spec_dir() / "openapi.json"
    if not path.is_file():
        pytest.skip(f"Outreach's openapi.json is not at {path} (set OUTREACH_SPEC_DIR)")
    return dict(json.loads(path.read_text(encoding="utf-8"))["components"])


@pytest.fixture(scope="session")
def validate(outreach_components: dict[str, Any]) -> Validate:
    """`validate("prospectResponse", resource)`: raise unless it fits Outreach's schema."""
    validators: dict[str, OAS30Validator] = {}

    def check(schema_name: str, instance: Any) -> None:
        if schema_name not in validators:
            schema = {
                "$ref": f"#/components/schemas/{schema_name}",
                "components": outreach_components,
            }
            validators[schema_name] = OAS30Validator(
                schema, format_checker=OAS30Validator.FORMAT_CHECKER
            )
        validators[schema_name].validate(instance)

    return check


@pytest.fixture
def api(sandbox: SandboxServer) -> Iterator[httpx.Client]:
    """A client on the shared sandbox."""
    with sandbox.client() as client:
        yield client
