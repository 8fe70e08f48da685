"""Outreach-shaped error documents: `{"errors": [{"id", "title", "detail", "source"?}]}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JSONAPI_MEDIA_TYPE = "application/vnd.api+json"


@dataclass(frozen=True, slots=True)
class ErrorObject:
    """One entry of `errors`; `pointer` locates a body member, `parameter` a query parameter."""

    id: str
    title: str
    detail: str
    pointer: str | None = None
    parameter: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "title": self.title, "detail": self.detail}
        if self.pointer is not None:
            out["source"] = {"pointer": self.pointer}
        elif self.parameter is not None:
            out["source"] = {"parameter": self.parameter}
        return out


class ApiError(Exception):
    """Raised anywhere in a request; answered with `status` and the error objects."""

    def __init__(
        self, status: int, errors: list[ErrorObject], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{status}: " + "; ".join(e.detail for e in errors))
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    def document(self) -> dict[str, Any]:
        return {"errors": [e.as_json() for e in self.errors]}


def bad_request(detail: str, parameter: str | None = None) -> ApiError:
    return ApiError(400, [ErrorObject("badRequest", "Bad Request", detail, parameter=parameter)])


def unauthorized(detail: str) -> ApiError:
    return ApiError(
        401,
        [ErrorObject("unauthorized", "Unauthorized", detail)],
        {"WWW-Authenticate": 'Bearer realm="sandbox"'},
    )


def not_found(detail: str) -> ApiError:
    return ApiError(404, [ErrorObject("resourceNotFound", "Resource Not Found", detail)])


def method_not_allowed(detail: str) -> ApiError:
    return ApiError(405, [ErrorObject("methodNotAllowed", "Method Not Allowed", detail)])


def payload_too_large(limit: int) -> ApiError:
    detail = f"The request body is larger than {limit:,} bytes."
    return ApiError(413, [ErrorObject("payloadTooLarge", "Payload Too Large", detail)])


def unsupported_media_type(got: str) -> ApiError:
    detail = f"Send the body as {JSONAPI_MEDIA_TYPE}, not {got or 'no Content-Type'}."
    return ApiError(415, [ErrorObject("unsupportedMediaType", "Unsupported Media Type", detail)])


def validation_error(detail: str, pointer: str) -> ErrorObject:
    return ErrorObject("validationError", "Validation Error", detail, pointer=pointer)


def validation_failed(errors: list[ErrorObject]) -> ApiError:
    return ApiError(422, errors)


def missing_scope(needed: str) -> ApiError:
    detail = f"The access token lacks the OAuth scope {needed} this request needs."
    return ApiError(
        403, [ErrorObject("unauthorizedOauthScope", "Unauthorized OAuth Scope", detail)]
    )


def rate_limit_exceeded(detail: str, headers: dict[str, str]) -> ApiError:
    return ApiError(429, [ErrorObject("rateLimitExceeded", "Rate Limit Exceeded", detail)], headers)


def maintenance(retry_after: int) -> ApiError:
    detail = "The server is down for scheduled maintenance; try again later."
    error = ErrorObject("scheduledServerMaintenance", "Scheduled Server Maintenance", detail)
    return ApiError(503, [error], {"Retry-After": str(retry_after)})


INJECTED = {
    500: ("internalServerError", "Internal Server Error"),
    502: ("badGateway", "Bad Gateway"),
    503: ("serviceUnavailable", "Service Unavailable"),
    504: ("gatewayTimeout", "Gateway Timeout"),
}


def injected_failure(status: int) -> ApiError:
    """A 5xx the fault injector answers with (`--error-rate`)."""
    error_id, title = INJECTED[status]
    detail = "An injected failure (sandbox fault --error-rate): the request was not handled."
    return ApiError(status, [ErrorObject(error_id, title, detail)])


def internal_error() -> ApiError:
    detail = "The sandbox failed to answer; its log says why."
    return ApiError(500, [ErrorObject("internalServerError", "Internal Server Error", detail)])
