"""Domain events of the certification, for other modules to act on (green card, housing, subsidies).

Subscribe explicitly, e.g. in your ``AppConfig.ready()``::

    from onestop.talents.events import CertificationRevoked, certification_events
    certification_events.subscribe(CertificationRevoked, suspend_green_card)

Handlers run inside the transaction that made the change (the change and the reactions commit together); slow work
should be enqueued with ``transaction.on_commit``. No model signals are involved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class CertificationGranted:
    certificate_id: int
    certificate_number: str
    profile_id: int
    talent_user_id: int
    track: str
    tier: str
    valid_until: date


@dataclass(frozen=True)
class CertificationRevoked:
    certificate_id: int
    certificate_number: str
    profile_id: int
    talent_user_id: int
    track: str
    tier: str
    reason: str
    revoked_at: datetime
    actor_id: int | None


@dataclass(frozen=True)
class CertificationRejected:
    """A certification that had passed review ends without a certificate: an objection upheld during publicity.
    (A refusal during review ends the workflow case, whose outcome handlers already tell other modules.)"""

    application_id: int
    profile_id: int
    talent_user_id: int
    track: str
    reason: str
    actor_id: int | None


Handler = Callable[[Any], Any]


class EventBus:
    def __init__(self) -> None:
        self._handlers: dict[type, list[Handler]] = {}

    def subscribe(self, event_type: type, handler: Handler) -> None:
        """Idempotent: the same handler is kept once."""
        handlers = self._handlers.setdefault(event_type, [])
        if handler not in handlers:
            handlers.append(handler)

    def unsubscribe(self, event_type: type, handler: Handler) -> None:
        handlers = self._handlers.get(event_type, [])
        if handler in handlers:
            handlers.remove(handler)

    def publish(self, event: Any) -> None:
        for handler in list(self._handlers.get(type(event), [])):
            handler(event)


certification_events = EventBus()
