"""Errors that carry their HTTP status, mapped to RFC 9457 problem documents in one place (http layer).

Domain code raises these; it never builds HTTP responses itself.
"""

from __future__ import annotations

from typing import Any, ClassVar


class BattraceError(Exception):
    """Base of every error that reaches a client as a problem document."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Bad request"
    type_uri: ClassVar[str] = "about:blank"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def problem(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extra)
        return body


class InvalidInput(BattraceError):
    status = 400
    title = "Invalid input"


class Unauthenticated(BattraceError):
    status = 401
    title = "Unauthenticated"


class Forbidden(BattraceError):
    status = 403
    title = "Forbidden"


class NotFound(BattraceError):
    status = 404
    title = "Not found"


class Conflict(BattraceError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(BattraceError):
    status = 413
    title = "Payload too large"


class BadGateway(BattraceError):
    """Another node or backend this request depended on failed; the caller's input was not the problem."""

    status = 502
    title = "Bad gateway"
