"""Pluggable SMS delivery. Production plugs in the zone's SMS gateway by dotted path in ``SMS_BACKEND``."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import ClassVar

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from .masking import mask_phone

logger = logging.getLogger(__name__)


class BaseSmsBackend:
    def send(self, *, phone: str, text: str) -> None:
        raise NotImplementedError("an SMS backend must implement send()")


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: prints the message with the number masked."""

    def send(self, *, phone: str, text: str) -> None:
        sys.stdout.write(f"[SMS to {mask_phone(phone)}] {text}\n")


class FileSmsBackend(BaseSmsBackend):
    """Development: appends one JSON line per message to ``SMS_FILE_PATH/sms.jsonl``."""

    def send(self, *, phone: str, text: str) -> None:
        folder = Path(str(settings.SMS_FILE_PATH))
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "sms.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"at": timezone.now().isoformat(), "to": mask_phone(phone), "text": text},
                                ensure_ascii=False) + "\n")


class MemorySmsBackend(BaseSmsBackend):
    """Tests: keeps messages in ``MemorySmsBackend.outbox``."""

    outbox: ClassVar[list[dict[str, str]]] = []

    def send(self, *, phone: str, text: str) -> None:
        self.outbox.append({"phone": phone, "text": text})


class RateLimitedSmsBackend(BaseSmsBackend):
    """Wraps the configured backend: at most ``ONESTOP_RATE_LIMITS["sms"]`` messages per number and window (SMS
    flooding protection). A message over the limit is dropped and logged with the number masked, never raised:
    sending happens after the transaction committed, where an error could not undo anything."""

    def __init__(self, inner: BaseSmsBackend) -> None:
        self.inner = inner

    def send(self, *, phone: str, text: str) -> None:
        from .ratelimit import consume

        if not consume("sms", phone):
            logger.warning("SMS to %s dropped: rate limit reached", mask_phone(phone))
            return
        self.inner.send(phone=phone, text=text)


def get_sms_backend() -> BaseSmsBackend:
    cls = import_string(str(settings.SMS_BACKEND))
    backend: BaseSmsBackend = cls()
    return RateLimitedSmsBackend(backend)
