"""Business errors of the policy catalogue."""

from __future__ import annotations

from onestop.core.exceptions import Conflict, ErrorCode, PermissionDenied


class VersionTransitionNotAllowed(Conflict):
    code = ErrorCode.INVALID_TRANSITION
    status = 409


class FourEyesViolation(PermissionDenied):
    """The person who wrote or submitted a version may not publish it."""
