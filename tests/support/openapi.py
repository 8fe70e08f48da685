"""Outreach's published OpenAPI document, read at test time (never copied into the project).

The directory comes from `OUTREACH_SPEC_DIR`, else `../shared/outreach` beside the project root;
tests that need it are skipped, with the reason, where it is absent.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator

ROOT = Path(__file__).resolve().parents[2]


def spec_dir() -> Path:
    env = os.environ.get("OUTREACH_SPEC_DIR")
    return Path(env) if env else ROOT.parent / "shared" / "outreach"


@cache
def _load() -> dict[str, Any] | None:
    path = spec_dir() / "openapi.json"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def openapi() -> dict[str, Any]:
    """The whole document, or skip the test saying where it was looked for."""
    doc = _load()
    if doc is None:
        pytest.skip(f"Outreach's openapi.json is not at {spec_dir()} (set OUTREACH_SPEC_DIR)")
    return doc


def resolve(node: Any, doc: dict[str, Any], depth: int = 0) -> Any:
    """The schema with every `#/components/...` reference replaced by what it points at."""
    if depth > 40:
        return {}
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = doc
            for part in ref[2:].split("/"):
                target = target[part]
            return resolve(target, doc, depth + 1)
        return {k: resolve(v, doc, depth + 1) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v, doc, depth + 1) for v in node]
    return node


def component(name: str) -> dict[str, Any]:
    doc = openapi()
    return resolve(doc["components"]["schemas"][name], doc)  # type: ignore[no-any-return]


def validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator(schema)


def request_schema(path: str, method: str) -> dict[str, Any]:
    doc = openapi()
    body = doc["paths"][path][method]["requestBody"]["content"]["application/vnd.api+json"]
    return resolve(body["schema"], doc)  # type: ignore[no-any-return]


def read_only(schema_name: str) -> set[str]:
    """Attributes the spec badges as read-only."""
    props = openapi()["components"]["schemas"][schema_name]["properties"]
    return {k for k, v in props.items() if "readonly.svg" in v.get("description", "")}


def max_lengths(schema_name: str) -> dict[str, int]:
    props = openapi()["components"]["schemas"][schema_name]["properties"]
    return {k: v["maxLength"] for k, v in props.items() if "maxLength" in v}
