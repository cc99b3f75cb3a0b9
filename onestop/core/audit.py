"""The audit trail: append one event, verify the chain.

Appends are serialised on the single ``AuditChainHead`` row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's
IMMEDIATE transactions already serialise writers), and ``prev_hash`` is unique, so two concurrent appends can never
both link to the same predecessor: one of them fails and is retried.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .choices import AuditResult
from .context import client_ip, current_request
from .models import AuditChainHead, AuditEvent, User

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "occurred_at", "actor_id", "actor_label", "role", "department", "source_ip", "action", "object_type",
    "object_id", "object_repr", "result", "before", "after", "detail",
)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value


def event_digest(prev_hash: str, fields: dict[str, Any]) -> str:
    payload = json.dumps({k: _canonical(fields[k]) for k in HASHED_FIELDS}, ensure_ascii=False, sort_keys=True,
                         separators=(",", ":"), default=str)
    return hashlib.sha256(f"{prev_hash}|{payload}".encode()).hexdigest()


def _fields_of(event: AuditEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in HASHED_FIELDS}


def _actor_context(actor: User | None) -> tuple[str, str, str]:
    if actor is None or not getattr(actor, "pk", None):
        return "", "", ""
    rows = actor.role_rows()
    roles = sorted({r for r, *_ in rows})
    from .models import Department

    dept_ids = {d for _r, d, _e, _p in rows if d}
    depts = ",".join(Department.objects.filter(pk__in=dept_ids).values_list("code", flat=True)) if dept_ids else ""
    return actor.display_name[:128], ",".join(roles)[:64], depts[:64]


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def audit_record(*, action: str, actor: User | None = None, obj: models.Model | None = None,
                 object_type: str = "", object_id: str = "", object_repr: str = "",
                 result: str = AuditResult.SUCCESS, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None, detail: dict[str, Any] | None = None,
                 source_ip: str | None = None, actor_label: str = "") -> AuditEvent:
    """Append one event to the chain. Joins the caller's transaction, so the event and the change commit together."""
    request = current_request.get()
    if actor is None and request is not None and getattr(request, "user", None) is not None \
            and request.user.is_authenticated:
        actor = request.user
    label, role, dept = _actor_context(actor)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    fields: dict[str, Any] = {
        "occurred_at": timezone.now(),
        "actor_id": actor.pk if actor is not None else None,
        "actor_label": actor_label or label,
        "role": role,
        "department": dept,
        "source_ip": source_ip or client_ip(request),
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr[:200],
        "result": str(result),
        "before": _jsonable(before),
        "after": _jsonable(after),
        "detail": _jsonable(detail),
    }
    for attempt in range(5):
        try:
            with transaction.atomic():
                head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
                if head is None:
                    head = AuditChainHead.objects.create(pk=1, last_seq=0, last_hash=GENESIS)
                seq = head.last_seq + 1
                digest = event_digest(head.last_hash, {"seq": seq, **fields})
                event = AuditEvent(seq=seq, prev_hash=head.last_hash, hash=digest, **fields)
                event.save(force_insert=True)
                updated = AuditChainHead.objects.filter(pk=1, last_hash=head.last_hash).update(
                    last_seq=seq, last_hash=digest
                )
                if updated != 1:
                    raise IntegrityError("audit chain head moved")
                return event
        except IntegrityError:
            if attempt == 4:
                raise
    raise RuntimeError("unreachable")


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def audit_verify(*, batch: int = 2000, using: str = "default") -> ChainReport:
    """Walk the chain in order; name the first event whose link or content does not match. ``using`` names the
    database (the restore drill verifies a restored copy beside the live one)."""
    prev = GENESIS
    checked = 0
    last_seq = 0
    queryset = AuditEvent.objects.using(using).order_by("seq")
    for event in queryset.iterator(chunk_size=batch):
        if event.prev_hash != prev:
            return ChainReport(False, checked, event.seq,
                               "link broken: an earlier event was deleted or altered / 链接断裂：前一条事件被删除或篡改")
        if event_digest(prev, _fields_of(event)) != event.hash:
            return ChainReport(False, checked, event.seq, "content altered / 内容被篡改")
        prev = event.hash
        last_seq = event.seq
        checked += 1
    head = AuditChainHead.objects.using(using).filter(pk=1).first()
    if head is not None and (head.last_hash != prev or head.last_seq != last_seq):
        return ChainReport(False, checked, last_seq + 1 if checked else 1,
                           "the newest events were deleted / 链尾事件被删除")
    return ChainReport(True, checked)
