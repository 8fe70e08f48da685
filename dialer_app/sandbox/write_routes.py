"""The write routes besides calls: tasks (create, snooze, reschedule, delete), prospects (create,
update) and phone numbers (create, update, delete).

Each reads a JSON:API body (415 unless `application/vnd.api+json`, 400 unless JSON, 413 when
huge), checks it against the type's writable members (`dialer_app.sandbox.attributes`), does its
work on the database thread and answers with the resource as a read would render it: 201 with
`Location` for a create, 200 for an update or an action, 204 for a delete, 404
`resourceNotFound` for an id that names nothing. What each type accepts and refuses is in its
module: `task_writes`, `task_actions`, `prospect_writes`, `phone_writes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from . import phone_writes, prospect_writes, task_actions, task_writes
from .attributes import MAX_INT, Write, WriteSpec, parse_write
from .calls import check_media_type, parse_body
from .documents import JsonObject
from .errors import ApiError, not_found
from .query import parse_read_options
from .reads import read_one
from .resources import PHONE_NUMBER, PROSPECT, TASK, ResourceType
from .responses import jsonapi_response
from .settings import SandboxSettings
from .worker import StoreWorker

API_ROOT = "/api/v2"


def _missing(rtype: ResourceType, rid: int) -> ApiError:
    return not_found(f"There is no {rtype.type} with id {rid}.")


class WriteRoutes:
    """The write endpoints of one app, sharing its database worker and settings."""

    def __init__(self, worker: StoreWorker, settings: SandboxSettings) -> None:
        self.worker = worker
        self.settings = settings

    # -- shared ------------------------------------------------------------------------------

    @staticmethod
    def _id(request: Request, rtype: ResourceType) -> int:
        rid: int = request.path_params["id"]
        if rid > MAX_INT:
            raise _missing(rtype, rid)
        return rid

    @staticmethod
    async def _body(request: Request, spec: WriteSpec, member_id: int | None = None) -> Write:
        check_media_type(request.headers.get("content-type", ""))
        return parse_write(spec, parse_body(await request.body()), member_id)

    @staticmethod
    async def _optional_body(request: Request) -> None:
        body = await request.body()
        if body.strip():  # a body is optional on actions; if sent, it must be JSON:API
            check_media_type(request.headers.get("content-type", ""))
            parse_body(body)

    async def _render(self, request: Request, rtype: ResourceType, rid: int) -> JsonObject:
        root = str(request.base_url).rstrip("/") + API_ROOT
        options = parse_read_options(rtype, {})
        found = await self.worker.run(read_one, self.worker.store, rtype, rid, options, root)
        if found is None:
            raise _missing(rtype, rid)
        return found[0]

    async def _created(self, request: Request, rtype: ResourceType, rid: int) -> Response:
        data = await self._render(request, rtype, rid)
        return jsonapi_response({"data": data}, 201, {"Location": data["links"]["self"]})

    async def _answer(self, request: Request, rtype: ResourceType, rid: int) -> Response:
        return jsonapi_response({"data": await self._render(request, rtype, rid)})

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await self.worker.run(fn, self.worker.store, *args)

    # -- tasks ------------------------------------------------------------------------------

    async def post_task(self, request: Request) -> Response:
        write = await self._body(request, task_writes.TASK_WRITES)
        now = self.settings.clock()
        row = await self._run(task_writes.create_task, write, request.state.user_id, now)
        return await self._created(request, TASK, row.id)

    async def delete_task(self, request: Request) -> Response:
        rid = self._id(request, TASK)
        if not await self._run(task_writes.delete_task, rid):
            raise _missing(TASK, rid)
        return Response(status_code=204)

    async def snooze_task(self, request: Request) -> Response:
        rid = self._id(request, TASK)
        await self._optional_body(request)
        due = task_actions.due_param(request.query_params, required=False)
        task_actions.check_urgent_param(request.query_params)
        if await self._run(task_actions.snooze, rid, due, self.settings.clock()) is None:
            raise _missing(TASK, rid)
        return await self._answer(request, TASK, rid)

    async def reschedule_task(self, request: Request) -> Response:
        rid = self._id(request, TASK)
        await self._optional_body(request)
        due = task_actions.due_param(request.query_params, required=True)
        assert due is not None
        if await self._run(task_actions.reschedule, rid, due, self.settings.clock()) is None:
            raise _missing(TASK, rid)
        return await self._answer(request, TASK, rid)

    # -- prospects --------------------------------------------------------------------------

    async def post_prospect(self, request: Request) -> Response:
        write = await self._body(request, prospect_writes.PROSPECT_WRITES)
        now = self.settings.clock()
        row = await self._run(prospect_writes.create_prospect, write, request.state.user_id, now)
        return await self._created(request, PROSPECT, row.id)

    async def patch_prospect(self, request: Request) -> Response:
        rid = self._id(request, PROSPECT)
        write = await self._body(request, prospect_writes.PROSPECT_WRITES, rid)
        if (
            await self._run(prospect_writes.update_prospect, rid, write, self.settings.clock())
            is None
        ):
            raise _missing(PROSPECT, rid)
        return await self._answer(request, PROSPECT, rid)

    # -- phone numbers ----------------------------------------------------------------------

    async def post_phone_number(self, request: Request) -> Response:
        write = await self._body(request, phone_writes.PHONE_NUMBER_WRITES)
        row = await self._run(phone_writes.create_phone_number, write, self.settings.clock())
        return await self._created(request, PHONE_NUMBER, row.id)

    async def patch_phone_number(self, request: Request) -> Response:
        rid = self._id(request, PHONE_NUMBER)
        write = await self._body(request, phone_writes.PHONE_NUMBER_WRITES, rid)
        now = self.settings.clock()
        if await self._run(phone_writes.update_phone_number, rid, write, now) is None:
            raise _missing(PHONE_NUMBER, rid)
        return await self._answer(request, PHONE_NUMBER, rid)

    async def delete_phone_number(self, request: Request) -> Response:
        rid = self._id(request, PHONE_NUMBER)
        now = self.settings.clock()
        if not await self._run(phone_writes.delete_phone_number, rid, now):
            raise _missing(PHONE_NUMBER, rid)
        return Response(status_code=204)

    def routes(self) -> list[Route]:
        tasks, prospects, phones = (f"{API_ROOT}/{t.path}" for t in (TASK, PROSPECT, PHONE_NUMBER))
        member = "/{id:int}"
        return [
            Route(tasks, self.post_task, methods=["POST"]),
            Route(tasks + member, self.delete_task, methods=["DELETE"]),
            Route(f"{tasks}{member}/actions/snooze", self.snooze_task, methods=["POST"]),
            Route(f"{tasks}{member}/actions/reschedule", self.reschedule_task, methods=["POST"]),
            Route(prospects, self.post_prospect, methods=["POST"]),
            Route(prospects + member, self.patch_prospect, methods=["PATCH"]),
            Route(phones, self.post_phone_number, methods=["POST"]),
            Route(phones + member, self.patch_phone_number, methods=["PATCH"]),
            Route(phones + member, self.delete_phone_number, methods=["DELETE"]),
        ]
