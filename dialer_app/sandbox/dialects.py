"""Dialects: the sandbox's answer to each open question of Outreach's contract, one setting each.

Outreach's fact sheet marks some behaviour **[open]**; the sandbox can answer each question
either way, chosen by a flag at start or at run time with `PUT /_admin/dialect`. The defaults
are the sandbox's historical answers.

- `unknown_filters` (`--unknown-filters`): a `filter[...]` the resource does not have.
  `search` (default): `filter[q]` on prospects is a search-as-you-type extension, any other
  unknown filter is 400. `reject`: every unknown filter, `filter[q]` included, is 400
  `badRequest` naming it. `ignore`: unknown filters are dropped, as if not sent.
- `name_filters` (`--name-filters`): `filter[firstName]` and `filter[lastName]`. `folded`
  (default) ignores case and surrounding blanks; `exact` matches the stored value exactly.
- `disposition_outcomes` (`--disposition-outcomes`): call dispositions' `outcome`. `answered`
  (default): `Answered`/`Not Answered` (Outreach's docs); `completed`: `completed`/`no_answer`
  (a real org's answer). Calls keep the spec's `Answered`/`Not Answered` either way.
- `calls_complete_tasks` (`--calls-complete-tasks`): `false` (default): a call linking a task
  leaves it open; `true`: a call with `task` and `sequenceAction` completes that task as
  `markComplete` would, with the completion action its sequence action implies.
- `phone_match` (`--phone-match`): `filter[number]` of phone numbers. `exact` (default)
  compares the stored E.164 text; `normalised` compares digits only (`00` reads as `+`), and a
  value without a country code matches every number ending in its digits (a leading trunk `0`
  dropped), so a partial number matches several.

Read lag is not a dialect of this module.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .resources import CALL_DISPOSITION, PHONE_NUMBER, PROSPECT, Filter, ResourceType

JsonObject = dict[str, Any]
UNKNOWN_FILTERS = ("search", "reject", "ignore")
NAME_FILTERS = ("folded", "exact")
DISPOSITION_OUTCOMES = ("answered", "completed")
PHONE_MATCH = ("exact", "normalised")
# How each vocabulary spells a disposition's outcome (the store keeps Outreach's documented one).
OUTCOME_WORDS = {
    "answered": {"Answered": "Answered", "Not Answered": "Not Answered"},
    "completed": {"Answered": "completed", "Not Answered": "no_answer"},
}
NAME_ATTRIBUTES = {"firstName": "firstName", "lastName": "lastName"}
CHOICES: dict[str, tuple[str, ...]] = {
    "unknown_filters": UNKNOWN_FILTERS,
    "name_filters": NAME_FILTERS,
    "disposition_outcomes": DISPOSITION_OUTCOMES,
    "phone_match": PHONE_MATCH,
}


class DialectError(ValueError):
    """Bad dialect settings; `problems` maps each setting to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in problems.items()))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Dialect:
    """One answer to every open question."""

    unknown_filters: str = "search"
    name_filters: str = "folded"
    disposition_outcomes: str = "answered"
    calls_complete_tasks: bool = False
    phone_match: str = "exact"

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    def updated(self, changes: Mapping[str, object]) -> Dialect:
        """A copy with `changes` applied; `DialectError` naming every bad one, nothing applied."""
        known = {f.name for f in fields(self)}
        problems: dict[str, str] = {}
        for name, value in changes.items():
            if name not in known:
                problems[name] = "unknown setting"
            elif name == "calls_complete_tasks":
                if not isinstance(value, bool):
                    problems[name] = "must be true or false"
            elif value not in CHOICES[name]:
                problems[name] = f"must be one of {', '.join(CHOICES[name])}"
        if problems:
            raise DialectError(problems)
        return replace(self, **dict(changes))  # type: ignore[arg-type]

    def filters(self, rtype: ResourceType) -> dict[str, Filter]:
        """The `filter[...]` names `rtype` answers in this dialect, and how."""
        out = rtype.filters()
        if self.unknown_filters != "search":
            out.pop("q", None)
        if rtype is PROSPECT and self.name_filters == "exact":
            for name, attribute in NAME_ATTRIBUTES.items():
                if name in out:
                    out[name] = replace(out[name], exact_attr=attribute)
        if rtype is PHONE_NUMBER and self.phone_match == "normalised":
            out["number"] = replace(out["number"], kind="phone")
        return out

    def ignores_unknown_filters(self) -> bool:
        return self.unknown_filters == "ignore"

    def render(self, resources: Iterable[JsonObject]) -> None:
        """Spell the answer's resources in this dialect (in place)."""
        words = OUTCOME_WORDS[self.disposition_outcomes]
        for res in resources:
            if res.get("type") != CALL_DISPOSITION.type:
                continue
            attrs = res.get("attributes")
            if isinstance(attrs, dict) and attrs.get("outcome") in words:
                attrs["outcome"] = words[attrs["outcome"]]


class LiveDialect:
    """The dialect a running server speaks; the admin API changes it."""

    def __init__(self, start: Dialect | None = None) -> None:
        self.start = start or Dialect()
        self.current = self.start

    def update(self, changes: Mapping[str, object]) -> Dialect:
        self.current = self.current.updated(changes)
        return self.current


# ---- flags ---------------------------------------------------------------------------------


def add_dialect_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "dialects (how the sandbox answers the open questions of Outreach's contract; change "
        "them at run time with PUT /_admin/dialect)"
    )
    group.add_argument(
        "--unknown-filters",
        choices=UNKNOWN_FILTERS,
        default="search",
        help="a filter[...] the resource does not have: 'search' (default) keeps filter[q] on "
        "prospects as a search-as-you-type extension and refuses others with 400; 'reject' "
        "refuses all, filter[q] included, with 400 badRequest; 'ignore' drops them",
    )
    group.add_argument(
        "--name-filters",
        choices=NAME_FILTERS,
        default="folded",
        help="filter[firstName] and filter[lastName] of prospects: 'folded' (default) ignores "
        "case; 'exact' matches the stored value exactly",
    )
    group.add_argument(
        "--disposition-outcomes",
        choices=DISPOSITION_OUTCOMES,
        default="answered",
        help="call dispositions' outcome: 'answered' (default) for Answered / Not Answered, "
        "'completed' for completed / no_answer",
    )
    group.add_argument(
        "--calls-complete-tasks",
        action="store_true",
        help="a call posted with task and sequenceAction completes that task itself (default: "
        "the task stays open until markComplete)",
    )
    group.add_argument(
        "--phone-match",
        choices=PHONE_MATCH,
        default="exact",
        help="filter[number] of phoneNumbers: 'exact' (default) compares the E.164 text; "
        "'normalised' compares digits only and lets a number without country code match "
        "every number ending in it",
    )


def dialect_of(args: argparse.Namespace) -> Dialect:
    """The dialect the flags ask for."""
    return Dialect(
        unknown_filters=args.unknown_filters,
        name_filters=args.name_filters,
        disposition_outcomes=args.disposition_outcomes,
        calls_complete_tasks=args.calls_complete_tasks,
        phone_match=args.phone_match,
    )
