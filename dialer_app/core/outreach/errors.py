"""What can go wrong talking to Outreach, as one tree the UI can show without knowing httpx.

OutreachError                  anything below; `.message` is fit to show a rep
├── TransportError             the request may not have reached Outreach
│   ├── ConnectError           refused, unreachable, DNS, a proxy or transport failure
│   │   └── ConnectionDropped  dropped after the request went out: it may have been processed
│   ├── RequestTimeout         no whole answer within the deadline (a POST's fate is unknown);
│   │                          the deadline covers the whole exchange, a dripped body included
│   └── TlsError               certificate or TLS handshake failure
├── HttpError                  Outreach answered with an error status; `.status`, `.errors`,
│   │                          `.retry_after` (seconds, clamped; None when not said)
│   ├── Unauthorized           401: token missing, invalid or expired (refreshed once first)
│   │   └── SignInRequired     no new token without the rep: refresh token revoked or expired
│   ├── Forbidden              403: the token lacks a scope or the user a permission
│   ├── NotFound               404: no such resource
│   ├── UnsupportedMediaType   415: body not sent as application/vnd.api+json
│   ├── ValidationFailed       422: `.field_errors` name each field Outreach refused
│   ├── RateLimited            429: `.reset_at` says when the budget comes back (clamped)
│   └── ServerError            5xx: Outreach failed; `.retry_after` when it said so
│                              (any other status, a redirect included, is a plain HttpError)
├── MalformedResponse          the answer was not JSON:API of the expected shape: not JSON,
│   │                          nested deeper than the limit, NaN or Infinity, a link or id of
│   │                          the wrong type, an encoding the app did not ask for
│   ├── ResponseTooLarge       the body, decompressed, is larger than the size cap
│   └── ForeignLink            a `links.next` (or any URL) outside the configured API origin
└── SignInError                the browser sign-in did not finish: declined, wrong `state`,
                               timed out, the redirect port busy, the token endpoint failing

Every failure inside the client's choke point ends as one of these; an unforeseen exception
there is logged with its traceback and reported as a `MalformedResponse`, never raised raw.
"""

from __future__ import annotations

from datetime import datetime

from ..jsonapi import ErrorObject, FieldError


class OutreachError(Exception):
    """Base of every error the Outreach client raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class TransportError(OutreachError):
    """The request failed below HTTP; it may or may not have reached Outreach."""


class ConnectError(TransportError):
    """Could not reach Outreach; the request did not go out."""


class ConnectionDropped(ConnectError):
    """The connection dropped after the request went out: it may have been processed."""


class RequestTimeout(TransportError):
    """Outreach did not answer in time."""


class TlsError(TransportError):
    """The TLS handshake or certificate check failed."""


class HttpError(OutreachError):
    """Outreach answered with an error status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: list[ErrorObject] | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.errors = errors or []
        self.retry_after = retry_after


class Unauthorized(HttpError):
    """401: the access token is missing, invalid or expired."""


class SignInRequired(Unauthorized):
    """The sign-in is gone (refresh token revoked or expired, or signed out): sign in again."""

    def __init__(
        self, message: str = "Sign in again: Outreach no longer accepts this sign-in."
    ) -> None:
        super().__init__(message, status=401)


class Forbidden(HttpError):
    """403: the token lacks the scope, or the user the permission."""


class NotFound(HttpError):
    """404: the resource does not exist."""


class UnsupportedMediaType(HttpError):
    """415: the request body was not `application/vnd.api+json`."""


class ValidationFailed(HttpError):
    """422: Outreach refused the body; `field_errors` say which fields and why."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: list[ErrorObject],
        field_errors: list[FieldError],
    ) -> None:
        super().__init__(message, status=status, errors=errors)
        self.field_errors = field_errors


class RateLimited(HttpError):
    """429: the hourly request budget is spent until `reset_at`."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        errors: list[ErrorObject] | None = None,
        retry_after: float | None = None,
        reset_at: datetime | None = None,
    ) -> None:
        super().__init__(message, status=status, errors=errors, retry_after=retry_after)
        self.reset_at = reset_at


class ServerError(HttpError):
    """5xx: Outreach failed or is in maintenance."""


class MalformedResponse(OutreachError):
    """The answer was not JSON, or not the JSON:API shape the operation expects."""


class ResponseTooLarge(MalformedResponse):
    """The answer's body, once decompressed, is larger than the client accepts."""


class ForeignLink(MalformedResponse):
    """Outreach pointed at a URL outside the configured API origin: it is never followed."""


class SignInError(OutreachError):
    """The sign-in flow did not finish (declined, wrong state, timed out, refused)."""
