"""OAuth scopes: `<resource>.<read|write|delete|all>`, and which one each API route needs.

`GET` of a resource type needs `<type>.read`; `POST` and `PATCH` need `<type>.write` (`POST
/calls` `calls.write`, `POST /tasks` and the task actions — markComplete, snooze, reschedule —
`tasks.write`, `POST /prospects` and `PATCH /prospects/{id}` `prospects.write`, `POST
/phoneNumbers` and `PATCH /phoneNumbers/{id}` `phoneNumbers.write`); `DELETE` needs
`<type>.delete`. `<type>.all` grants every action on that type. `GET /api/v2` (the token's
user) needs only a valid token. Static `--access-token` tokens hold every scope.
"""

from __future__ import annotations

from .resources import RESOURCE_TYPES

ACTIONS = ("read", "write", "delete", "all")
RESOURCES = frozenset(r.path for r in RESOURCE_TYPES)
EVERY_SCOPE = frozenset(f"{r}.{a}" for r in RESOURCES for a in ACTIONS)


def unknown_scopes(scopes: list[str]) -> list[str]:
    """The requested scopes this server does not know."""
    return [s for s in scopes if s not in EVERY_SCOPE]


def required_scope(method: str, api_path: str) -> str | None:
    """The scope `method api_path` needs (`api_path` is relative to `/api/v2/`), None if none."""
    resource = api_path.strip("/").split("/", 1)[0]
    if resource not in RESOURCES:
        return None  # the root, or a route that does not exist (404 follows)
    if method in ("GET", "HEAD"):
        return f"{resource}.read"
    if method == "DELETE":
        return f"{resource}.delete"
    return f"{resource}.write"


def allows(granted: frozenset[str], needed: str) -> bool:
    resource = needed.split(".", 1)[0]
    return needed in granted or f"{resource}.all" in granted
