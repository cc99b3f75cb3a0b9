"""Business errors. Services raise these; one handler turns them into a form error, an htmx partial or an API
problem response (see api.py and views)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    FORBIDDEN = "forbidden"
    CONFLICT = "conflict"
    INVALID_TRANSITION = "invalid_transition"
    LOCKED_OUT = "locked_out"
    RATE_LIMITED = "rate_limited"


class ApplicationError(Exception):
    """A business rule refused the request. ``field_errors`` maps a field name to its messages (Chinese)."""

    code: ErrorCode = ErrorCode.INVALID
    status: int = 400

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None,
                 code: ErrorCode | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        if code is not None:
            self.code = code
        self.extra = extra or {}

    def as_problem(self) -> dict[str, Any]:
        return {"code": str(self.code), "message": self.message, "errors": self.field_errors, **self.extra}


class ValidationFailed(ApplicationError):
    code = ErrorCode.INVALID
    status = 422


class NotFound(ApplicationError):
    code = ErrorCode.NOT_FOUND
    status = 404


class PermissionDenied(ApplicationError):
    """Use NotFound instead where existence itself must not leak (habit 2)."""

    code = ErrorCode.FORBIDDEN
    status = 403


class Conflict(ApplicationError):
    code = ErrorCode.CONFLICT
    status = 409
