"""Business errors of the workflow engine (ApplicationError subclasses, Chinese messages)."""

from __future__ import annotations

from onestop.core.exceptions import Conflict, ErrorCode


class TransitionNotAllowed(Conflict):
    """The task is not in a state that allows this action — or someone else changed it a moment ago."""

    code = ErrorCode.INVALID_TRANSITION
    status = 409
