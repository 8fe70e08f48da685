"""The admin API under `/_admin/`: change faults and tokens at run time, count stored calls.

Enabled only with `--admin-token` (else every `/_admin/` path is 404), answered only to
loopback clients (else 403), and only with `Authorization: Bearer <admin token>` (else 401).
Bodies are plain JSON (`application/json`):

- `GET /_admin/faults` → the fault settings (`dialer_app.sandbox.faults`).
- `PUT /_admin/faults` with any of those settings → applied (the rest unchanged), all returned;
  422 `{"errors": {setting: problem}}` and nothing applied when one is bad.
- `POST /_admin/reset-faults` → every fault off.
- `POST /_admin/tokens/expire` → every OAuth access token expires now (`{"expired": n}`).
- `POST /_admin/tokens/revoke-refresh` → every refresh token stops working (`{"revoked": n}`).
- `GET /_admin/calls/count` → `{"count": n}` stored calls.
- `GET /_admin/read-lag` → `{"seconds": n}`; `PUT` with `{"seconds": n}` (0 to 3600) sets how long
  a POSTed call stays out of reads (`dialer_app.sandbox.readlag`); 422 when out of range.
- `GET /_admin/dialect` → the dialect (`dialer_app.sandbox.dialects`); `PUT /_admin/dialect` with
  any of its settings → applied (the rest unchanged), all returned; 422 as for faults.
"""

from __future__ import annotations

import ipaddress
import json
import secrets

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .dialects import DialectError, LiveDialect
from .faults import Faults, FaultSettingsError
from .readlag import ReadLag
from .resources import CALL
from .settings import SandboxSettings
from .tokens import TokenBook
from .worker import StoreWorker

ADMIN_ROOT = "/_admin"
MAX_BODY = 16_384


def _is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


class AdminApi:
    """The admin routes of one app."""

    def __init__(
        self,
        worker: StoreWorker,
        book: TokenBook,
        faults: Faults,
        settings: SandboxSettings,
        lag: ReadLag | None = None,
        dialect: LiveDialect | None = None,
    ) -> None:
        self._worker = worker
        self._book = book
        self._faults = faults
        self._settings = settings
        self._lag = lag or ReadLag(settings.read_lag)
        self._dialect = dialect or LiveDialect()

    def _refusal(self, request: Request) -> Response | None:
        token = self._settings.admin_token
        if not token:
            raise HTTPException(404)
        if not _is_loopback(request.client.host if request.client else None):
            return _problem(403, "The admin API answers loopback clients only.")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(
            given.strip().encode(), token.encode()
        ):
            return _problem(401, "Send Authorization: Bearer <admin token>.")
        return None

    async def get_faults(self, request: Request) -> Response:
        return self._refusal(request) or JSONResponse(self._faults.settings.as_json())

    async def put_faults(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await request.body()
        try:
            changes = json.loads(body) if len(body) <= MAX_BODY else None
        except (UnicodeDecodeError, ValueError):
            changes = None
        if not isinstance(changes, dict):
            return _problem(400, "Send a JSON object of fault settings.")
        try:
            settings = self._faults.update(changes)
        except FaultSettingsError as exc:
            return JSONResponse({"errors": exc.problems}, 422)
        return JSONResponse(settings.as_json())

    async def get_dialect(self, request: Request) -> Response:
        return self._refusal(request) or JSONResponse(self._dialect.current.as_json())

    async def put_dialect(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        changes = await _json_object(request)
        if changes is None:
            return _problem(400, "Send a JSON object of dialect settings.")
        try:
            return JSONResponse(self._dialect.update(changes).as_json())
        except DialectError as exc:
            return JSONResponse({"errors": exc.problems}, 422)

    async def reset_faults(self, request: Request) -> Response:
        return self._refusal(request) or JSONResponse(self._faults.reset().as_json())

    async def expire_tokens(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        count = await self._worker.run(self._book.expire_access, self._settings.now())
        return JSONResponse({"expired": count})

    async def revoke_refresh(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        return JSONResponse({"revoked": await self._worker.run(self._book.revoke_refresh)})

    async def count_calls(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        return JSONResponse({"count": await self._worker.run(self._worker.store.count, CALL)})

    async def get_read_lag(self, request: Request) -> Response:
        return self._refusal(request) or JSONResponse({"seconds": self._lag.seconds})

    async def put_read_lag(self, request: Request) -> Response:
        if (refused := self._refusal(request)) is not None:
            return refused
        body = await request.body()
        try:
            change = json.loads(body) if len(body) <= MAX_BODY else None
        except (UnicodeDecodeError, ValueError):
            change = None
        if not isinstance(change, dict) or "seconds" not in change:
            return _problem(400, 'Send {"seconds": N}.')
        try:
            seconds = self._lag.set(change["seconds"])
        except ValueError as exc:
            return JSONResponse({"errors": {"seconds": str(exc)}}, 422)
        return JSONResponse({"seconds": seconds})

    def routes(self) -> list[Route]:
        return [
            Route(f"{ADMIN_ROOT}/faults", self.get_faults, methods=["GET"]),
            Route(f"{ADMIN_ROOT}/faults", self.put_faults, methods=["PUT"]),
            Route(f"{ADMIN_ROOT}/reset-faults", self.reset_faults, methods=["POST"]),
            Route(f"{ADMIN_ROOT}/tokens/expire", self.expire_tokens, methods=["POST"]),
            Route(f"{ADMIN_ROOT}/tokens/revoke-refresh", self.revoke_refresh, methods=["POST"]),
            Route(f"{ADMIN_ROOT}/calls/count", self.count_calls, methods=["GET"]),
            Route(f"{ADMIN_ROOT}/read-lag", self.get_read_lag, methods=["GET"]),
            Route(f"{ADMIN_ROOT}/read-lag", self.put_read_lag, methods=["PUT"]),
            Route(f"{ADMIN_ROOT}/dialect", self.get_dialect, methods=["GET"]),
            Route(f"{ADMIN_ROOT}/dialect", self.put_dialect, methods=["PUT"]),
        ]


async def _json_object(request: Request) -> dict[str, object] | None:
    """The body as a JSON object (at most MAX_BODY bytes); None when it is not one."""
    body = await request.body()
    try:
        value = json.loads(body) if len(body) <= MAX_BODY else None
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
