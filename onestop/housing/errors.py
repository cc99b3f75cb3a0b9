"""Housing's business errors: ApplicationError subclasses with Chinese field errors (one handler renders them as a
form error, an htmx partial or an API problem)."""

from __future__ import annotations

from onestop.core.exceptions import Conflict, ErrorCode, ValidationFailed


class TransitionNotAllowed(Conflict):
    """The record is no longer in a state that allows this (a lost race or a stale page)."""

    code = ErrorCode.INVALID_TRANSITION


class BedUnavailable(Conflict):
    """No bed of the station is free for every night asked for."""


class NotEligible(ValidationFailed):
    """The rule set refused the person; ``field_errors['eligibility']`` lists the conditions not met."""
