"""OAuth's own error shape (RFC 6749 §5.2), not JSON:API: `{"error", "error_description"}`."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """Raised by the token endpoint; answered as `status` with `error` and a description."""

    def __init__(
        self, status: int, error: str, description: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}

    def response(self) -> Response:
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, self.status, {**NO_STORE, **self.headers})


def invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def invalid_grant(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


def invalid_client() -> OAuthError:
    description = "Unknown client or wrong client secret."
    return OAuthError(401, "invalid_client", description, {"WWW-Authenticate": "Basic"})


def unsupported_grant_type(grant_type: str) -> OAuthError:
    description = (
        f"grant_type {grant_type!r} is not supported: use authorization_code or refresh_token."
    )
    return OAuthError(400, "unsupported_grant_type", description)


def rate_limited(retry_after: int) -> OAuthError:
    description = f"One token per user per interval: try again in {retry_after} s."
    return OAuthError(429, "rate_limited", description, {"Retry-After": str(retry_after)})


async def on_oauth_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OAuthError)
    return exc.response()
