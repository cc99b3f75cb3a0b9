"""The task worker: django-tasks-db's db_worker plus a heartbeat row that /healthz reads."""

from __future__ import annotations

import logging
import os
import socket
import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

logger = logging.getLogger(__name__)


def _beat(worker_id: str, stop: threading.Event) -> None:
    from onestop.core.models import WorkerHeartbeat

    host = socket.gethostname()[:128]
    while not stop.is_set():
        try:
            WorkerHeartbeat.objects.update_or_create(
                worker_id=worker_id, defaults={"hostname": host, "last_seen": timezone.now()})
        except Exception as exc:  # the database may be briefly unavailable; try again next beat
            logger.warning("heartbeat failed: %s", exc)
        finally:
            close_old_connections()
        stop.wait(settings.WORKER_HEARTBEAT_SECONDS)


class Command(DbWorkerCommand):
    help = "Run the background task worker (django-tasks-db) and report a heartbeat for /healthz."

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = options.get("worker_id") or f"{socket.gethostname()}-{os.getpid()}-{get_random_string(4)}"
        options["worker_id"] = worker_id[:64]
        stop = threading.Event()
        thread = threading.Thread(target=_beat, args=(worker_id[:64], stop), daemon=True, name="heartbeat")
        thread.start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
