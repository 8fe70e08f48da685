"""The sandbox's ASGI app: Outreach's JSON:API under `/api/v2`, backed by the SQLite store.

Routes (all need `Authorization: Bearer <token>`; bodies are `application/vnd.api+json`):

- `GET /api/v2` → `meta.user` of the token's user.
- `GET /api/v2/<type>` and `GET /api/v2/<type>/{id}` for users, accounts, prospects,
  phoneNumbers, callDispositions, callPurposes, sequences, sequenceSteps, sequenceStates, tasks
  and calls, with filters (`dialer_app.sandbox.resources`), `sort`, cursor pagination
  (`page[size]` 1..1000, default 50, `page[after]` from `links.next`), `count=true` (`meta.count`),
  `include=` and `fields[type]=` (`dialer_app.sandbox.query`).
- Prospects' `filter[q]` is a search-as-you-type extension (in the default dialect): a
  case-insensitive prefix match on first name, last name, "first last", any email or the
  company (`dialer_app.sandbox.search`). Date-time filters take ranges (`A..B`, `neginf`/`inf`).
- `POST /api/v2/calls` (201) and `DELETE /api/v2/calls/{id}` (204) (`dialer_app.sandbox.calls`).
- `POST /api/v2/tasks/{id}/actions/markComplete` (200) (`dialer_app.sandbox.tasks`).
- `POST /api/v2/tasks`, `.../tasks/{id}/actions/snooze|reschedule`, `DELETE .../tasks/{id}`;
  `POST /api/v2/prospects`, `PATCH .../prospects/{id}`; `POST /api/v2/phoneNumbers`,
  `PATCH` and `DELETE .../phoneNumbers/{id}` (`dialer_app.sandbox.write_routes`).
- `/oauth/authorize` and `/oauth/token`: Outreach's sign-in (`dialer_app.sandbox.oauth_authorize`,
  `dialer_app.sandbox.oauth_token`); scopes per route (`dialer_app.sandbox.scopes`).
- With a read lag (`--read-lag`, `dialer_app.sandbox.readlag`), a POSTed call shows in reads
  only that many seconds later.
- `/_admin/...`: faults, tokens, read lag and the dialect at run time (`dialer_app.sandbox.admin`).

How the open questions of Outreach's contract are answered (unknown filters, name filters,
dispositions' outcome words, whether a call completes its task, phone matching) is the dialect
(`dialer_app.sandbox.dialects`).

API requests pass, outermost first: added latency, maintenance (503), the bearer token (401),
the hourly budget (429, `X-RateLimit-*` headers), injected faults, the scope check (403), the
route. Errors use Outreach's shape: 400 `badRequest`, 401 `unauthorized`, 403
`unauthorizedOauthScope`, 404 `resourceNotFound`, 415 `unsupportedMediaType`, 422
`validationError` (one per field, with `source.pointer`), 429 `rateLimitExceeded`, 503
`scheduledServerMaintenance`. A 5xx is only ever an injected fault or a sandbox bug.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .admin import AdminApi
from .auth import BearerAuth, ScopeCheck
from .calls import check_media_type, create_call, parse_body, parse_new_call
from .dialects import Dialect, LiveDialect
from .documents import JsonObject
from .errors import ApiError, not_found
from .faults import Faults, FaultSettings
from .injector import FaultInjector, MaintenanceGate
from .latency import AddedLatency
from .oauth_authorize import AuthorizeEndpoints
from .oauth_errors import OAuthError, on_oauth_error
from .oauth_token import TokenEndpoint
from .query import encode_cursor, parse_list_query, parse_read_options
from .ratelimit import RateBudgets, RateLimit
from .readlag import ReadLag
from .reads import NOTHING, read_list, read_one
from .resources import CALL, RESOURCE_TYPES, TASK, USER, ResourceType
from .responses import jsonapi_response, on_api_error, on_http_exception, on_unexpected
from .settings import SandboxSettings
from .store import Store
from .tasks import complete_task_of_call, mark_complete
from .tokens import TokenBook
from .worker import StoreWorker
from .write_routes import WriteRoutes

API_ROOT = "/api/v2"
Endpoint = Callable[[Request], Awaitable[Response]]


def _api_root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + API_ROOT


def _missing(rtype: ResourceType, rid: int) -> ApiError:
    return not_found(f"There is no {rtype.type} with id {rid}.")


MAX_ID = 2**63 - 1  # SQLite's largest integer: a larger id names nothing


def _member_id(request: Request, rtype: ResourceType) -> int:
    """The `{id}` of a member route; an id no row can have is a 404, not a database error."""
    rid: int = request.path_params["id"]
    if rid > MAX_ID:
        raise _missing(rtype, rid)
    return rid


class Handlers:
    """The endpoints of one app, sharing its database worker and settings."""

    def __init__(
        self,
        worker: StoreWorker,
        settings: SandboxSettings,
        lag: ReadLag,
        dialect: LiveDialect,
    ) -> None:
        self.worker = worker
        self.settings = settings
        self.lag = lag
        self.dialect = dialect

    def _hidden(self, rtype: ResourceType) -> frozenset[int]:
        return self.lag.hidden() if rtype is CALL else NOTHING

    async def root(self, request: Request) -> Response:
        user_id: int = request.state.user_id
        row = await self.worker.run(self.worker.store.get, USER, user_id)
        if row is None:
            raise _missing(USER, user_id)
        keys = ("email", "firstName", "lastName")
        user = {"id": row.id, **{k: row.attrs.get(k) for k in keys}}
        return jsonapi_response({"meta": {"user": user}})

    def lister(self, rtype: ResourceType) -> Endpoint:
        async def list_resources(request: Request) -> Response:
            dialect = self.dialect.current
            query = parse_list_query(rtype, request.query_params, dialect)
            options = parse_read_options(rtype, request.query_params)
            result = await self.worker.run(
                read_list,
                self.worker.store,
                rtype,
                query,
                options,
                _api_root(request),
                self._hidden(rtype),
            )
            dialect.render([*result.data, *result.included])
            doc: dict[str, object] = {"data": result.data}
            if options.include:
                doc["included"] = result.included
            links = {"first": str(request.url.remove_query_params("page[after]"))}
            if result.next_key is not None:
                cursor = encode_cursor(query.sort, result.next_key)
                links["next"] = str(request.url.include_query_params(**{"page[after]": cursor}))
            doc["links"] = links
            if result.count is not None:
                doc["meta"] = {"count": result.count}
            return jsonapi_response(doc)

        return list_resources

    def getter(self, rtype: ResourceType) -> Endpoint:
        async def get_resource(request: Request) -> Response:
            rid = _member_id(request, rtype)
            options = parse_read_options(rtype, request.query_params)
            found = await self.worker.run(
                read_one,
                self.worker.store,
                rtype,
                rid,
                options,
                _api_root(request),
                self._hidden(rtype),
            )
            if found is None:
                raise _missing(rtype, rid)
            data, included = found
            self.dialect.current.render([data, *included])
            doc: dict[str, object] = {"data": data}
            if options.include:
                doc["included"] = included
            return jsonapi_response(doc)

        return get_resource

    async def _rendered(self, request: Request, rtype: ResourceType, rid: int) -> JsonObject:
        found = await self.worker.run(
            read_one,
            self.worker.store,
            rtype,
            rid,
            parse_read_options(rtype, {}),
            _api_root(request),
        )
        if found is None:
            raise _missing(rtype, rid)
        return found[0]

    async def post_call(self, request: Request) -> Response:
        check_media_type(request.headers.get("content-type", ""))
        call = parse_new_call(parse_body(await request.body()))
        row = await self.worker.run(
            create_call, self.worker.store, call, request.state.user_id, self.settings.clock()
        )
        if self.dialect.current.calls_complete_tasks:
            await self.worker.run(
                complete_task_of_call, self.worker.store, row, self.settings.clock()
            )
        data = await self._rendered(request, CALL, row.id)
        self.lag.created(row.id)
        return jsonapi_response({"data": data}, 201, {"Location": data["links"]["self"]})

    async def mark_task_complete(self, request: Request) -> Response:
        rid = _member_id(request, TASK)
        body = await request.body()
        if body.strip():  # a body is optional; if sent, it must be JSON:API
            check_media_type(request.headers.get("content-type", ""))
            parse_body(body)
        action = request.query_params.get("actionParams[completionAction]", "")
        done = await self.worker.run(
            mark_complete, self.worker.store, rid, action, self.settings.clock()
        )
        if done is None:
            raise _missing(TASK, rid)
        return jsonapi_response({"data": await self._rendered(request, TASK, rid)})

    async def delete_call(self, request: Request) -> Response:
        rid = _member_id(request, CALL)
        if not await self.worker.run(self.worker.store.delete, CALL, rid):
            raise _missing(CALL, rid)
        return Response(status_code=204)


def create_app(
    store: Store,
    settings: SandboxSettings,
    faults: FaultSettings | None = None,
    dialect: Dialect | None = None,
) -> Starlette:
    """The ASGI app serving `store`; it runs database calls on a worker thread of its own.

    `faults` and `dialect` are the settings at start (`--latency-ms` of `settings` included);
    the admin API changes them at run time.
    """
    worker = StoreWorker(store)
    book = TokenBook(store.connection)
    lag = ReadLag(settings.read_lag)
    live_dialect = LiveDialect(dialect)
    handlers = Handlers(worker, settings, lag, live_dialect)
    start = faults or FaultSettings()
    if settings.latency_ms and not start.latency_ms:
        start = start.updated({"latency_ms": settings.latency_ms})
    live_faults = Faults(settings.seed, start)
    authorize = AuthorizeEndpoints(worker, book, settings)
    routes = [Route(path, handlers.root, methods=["GET"]) for path in (API_ROOT, f"{API_ROOT}/")]
    for rtype in RESOURCE_TYPES:
        collection, member = f"{API_ROOT}/{rtype.path}", f"{API_ROOT}/{rtype.path}/{{id:int}}"
        routes.append(Route(collection, handlers.lister(rtype), methods=["GET"]))
        routes.append(Route(member, handlers.getter(rtype), methods=["GET"]))
    routes.append(Route(f"{API_ROOT}/{CALL.path}", handlers.post_call, methods=["POST"]))
    routes.append(
        Route(f"{API_ROOT}/{CALL.path}/{{id:int}}", handlers.delete_call, methods=["DELETE"])
    )
    routes.append(
        Route(
            f"{API_ROOT}/{TASK.path}/{{id:int}}/actions/markComplete",
            handlers.mark_task_complete,
            methods=["POST"],
        )
    )
    routes += WriteRoutes(worker, settings).routes()
    routes.append(Route("/oauth/authorize", authorize.show, methods=["GET"]))
    routes.append(Route("/oauth/authorize", authorize.decide, methods=["POST"]))
    routes.append(
        Route("/oauth/token", TokenEndpoint(worker, book, settings).token, methods=["POST"])
    )
    routes += AdminApi(worker, book, live_faults, settings, lag, live_dialect).routes()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            worker.shutdown()

    return Starlette(
        routes=routes,
        middleware=[
            Middleware(AddedLatency, faults=live_faults),
            Middleware(MaintenanceGate, faults=live_faults),
            Middleware(
                BearerAuth, tokens=settings.tokens, worker=worker, book=book, now=settings.now
            ),
            Middleware(RateLimit, budgets=RateBudgets(settings.rate_limit), now=settings.now),
            Middleware(FaultInjector, faults=live_faults, now=settings.now),
            Middleware(ScopeCheck, api_root=API_ROOT),
        ],
        exception_handlers={
            ApiError: on_api_error,
            OAuthError: on_oauth_error,
            HTTPException: on_http_exception,
            Exception: on_unexpected,
        },
        lifespan=lifespan,
    )
