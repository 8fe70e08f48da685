"""JSON:API responses (`application/vnd.api+json`) and the error handlers that produce them."""

from __future__ import annotations

import json
import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .errors import (
    JSONAPI_MEDIA_TYPE,
    ApiError,
    ErrorObject,
    internal_error,
    method_not_allowed,
    not_found,
)

log = logging.getLogger("dialer_app.sandbox")


def jsonapi_response(
    document: object, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(body, status, headers, media_type=JSONAPI_MEDIA_TYPE)


def error_response(error: ApiError) -> Response:
    return jsonapi_response(error.document(), error.status, error.headers)


async def on_api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc)


async def on_http_exception(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no such route, method) in Outreach's error shape."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        return error_response(not_found(f"There is no resource at {request.url.path}."))
    if exc.status_code == 405:
        detail = f"{request.method} is not supported on {request.url.path}."
        return error_response(method_not_allowed(detail))
    error = ApiError(exc.status_code, [ErrorObject("httpError", "HTTP Error", str(exc.detail))])
    return error_response(error)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return error_response(internal_error())
