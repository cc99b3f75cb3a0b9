"""Retention and automatic deletion of personal data (PIPL art. 19 and 47; MLPS level 3 residual information).

Each app declares, in its own ``retention.py`` module, which of its records expire and after how long: a
``RetentionRule`` names the records past their period at a cutoff and what happens to them (deleted with their files,
or anonymised in place). The periods are data: each rule carries its default, and ``settings.ONESTOP_RETENTION_DAYS``
(``{"core.session": 0, ...}``) overrides any of them without a code change. ``retention_run`` goes through every
rule in batches — each batch's deletion and its audit entry (``retention.batch``) commit together, so no record goes
without a trace —, removes stored files once the deletion has committed, and ends with one summary audit event per
run (``retention.run``) with the counts. Running it again deletes nothing more: it is idempotent.

The audit trail itself is never in scope: MLPS level 3 requires at least six months of it, and the platform keeps it
whole (a registry refuses a rule on the audit tables).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

DELETE = "delete"
ANONYMISE = "anonymise"
RUN_ACTION = "retention.run"
BATCH_ACTION = "retention.batch"
DEFAULT_BATCH = 500


@dataclass(frozen=True)
class RetentionRule:
    """One kind of record and how long it is kept after the moment its purpose ends.

    ``expired(cutoff)`` returns the records whose period ended before ``cutoff`` (now minus ``days``). For
    ``action=ANONYMISE``, ``anonymise(queryset)`` rewrites them so that they no longer match ``expired`` (that is what
    makes a run idempotent). ``files`` names the file fields whose stored files go with a deleted record."""

    key: str
    model: type[models.Model]
    label: str
    days: int
    basis: str
    expired: Callable[[datetime], QuerySet[Any]]
    action: str = DELETE
    anonymise: Callable[[QuerySet[Any]], int] | None = None
    files: tuple[str, ...] = field(default_factory=tuple)

    def period(self) -> int:
        """Days kept: the settings table wins over the rule's default."""
        overrides: dict[str, int] = getattr(settings, "ONESTOP_RETENTION_DAYS", {}) or {}
        return int(overrides.get(self.key, self.days))


_RULES: dict[str, RetentionRule] = {}
_NEVER = frozenset({"core.auditevent", "core.auditchainhead"})


def register(rule: RetentionRule) -> RetentionRule:
    """Add a rule (from an app's ``retention.py``). The audit trail cannot be registered."""
    label = rule.model._meta.label_lower
    if label in _NEVER:
        raise ValueError(f"{label}: the audit trail is kept whole and never expires")
    if rule.action not in (DELETE, ANONYMISE) or (rule.action == ANONYMISE and rule.anonymise is None):
        raise ValueError(f"{rule.key}: an anonymising rule needs its anonymise function")
    if rule.days < 0:
        raise ValueError(f"{rule.key}: a period cannot be negative")
    _RULES[rule.key] = rule
    return rule


def rules() -> list[RetentionRule]:
    """Every registered rule, after importing each installed app's ``retention`` module (once)."""
    autodiscover_modules("retention")
    return sorted(_RULES.values(), key=lambda r: r.key)


@dataclass
class RetentionReport:
    dry_run: bool
    now: datetime
    counts: dict[str, int] = field(default_factory=dict)
    files: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _file_names(objs: list[models.Model], names: tuple[str, ...]) -> list[tuple[Any, str]]:
    found = []
    for obj in objs:
        for name in names:
            f = getattr(obj, name, None)
            if f:
                found.append((f.storage, f.name))
    return found


def _remove_files(found: list[tuple[Any, str]]) -> None:
    for storage, name in found:
        try:
            storage.delete(name)
        except OSError:  # a file already gone is not an error; the next run has nothing to do for it
            logger.warning("retention: could not delete %s", name)


def _apply(rule: RetentionRule, cutoff: datetime, batch: int, report: RetentionReport) -> int:
    """Each batch is one transaction holding its deletion (or anonymisation) and the audit entry that records it:
    if the entry cannot be written, the batch's rows stay (and its files, removed only after the commit)."""
    from .audit import audit_record

    done = 0
    while True:
        pks = list(rule.expired(cutoff).order_by("pk").values_list("pk", flat=True)[:batch])
        if not pks:
            return done
        with transaction.atomic():
            qs = rule.model._default_manager.filter(pk__in=pks)
            found: list[tuple[Any, str]] = []
            if rule.action == DELETE:
                found = _file_names(list(qs), rule.files) if rule.files else []
                qs.delete()
                n = len(pks)
            else:
                assert rule.anonymise is not None
                n = rule.anonymise(qs)
            if n:
                audit_record(action=BATCH_ACTION, actor_label="system", object_type="retention", object_id=rule.key,
                             detail={"kind": rule.key, "action": rule.action, "count": n, "files": len(found),
                                     "first_pk": str(pks[0]), "last_pk": str(pks[-1]), "cutoff": cutoff.isoformat()})
            # Files go once the rows and the entry are committed for good: a rollback keeps both.
            transaction.on_commit(partial(_remove_files, found))
        report.files += len(found)
        done += n
        if n == 0:  # an anonymiser that changes nothing would loop for ever
            logger.error("retention: rule %s made no progress", rule.key)
            return done


def retention_run(*, dry_run: bool = False, now: datetime | None = None,
                  batch: int = DEFAULT_BATCH) -> RetentionReport:
    """Delete or anonymise every record past its retention period. ``dry_run`` only counts them."""
    from .audit import audit_record

    report = RetentionReport(dry_run=dry_run, now=now or timezone.now())
    for rule in rules():
        cutoff = report.now - timedelta(days=rule.period())
        if dry_run:
            report.counts[rule.key] = rule.expired(cutoff).count()
        else:
            report.counts[rule.key] = _apply(rule, cutoff, batch, report)
    if not dry_run:
        audit_record(action=RUN_ACTION, actor_label="system", object_type="retention",
                     detail={"counts": report.counts, "files": report.files, "total": report.total,
                             "periods": {r.key: r.period() for r in rules()}})
    return report


def retention_due(*, now: datetime | None = None) -> bool:
    """Once a day: no run recorded yet on today's date (local time)."""
    from .models import AuditEvent

    today = timezone.localdate(now or timezone.now())
    start = timezone.make_aware(datetime(today.year, today.month, today.day))
    return not AuditEvent.objects.filter(action=RUN_ACTION, occurred_at__gte=start).exists()


# --- the core app's own records ------------------------------------------------------------------------------------

def _core_rules() -> None:
    from django.contrib.sessions.models import Session

    from .models import Notification, NotificationDelivery, WorkerHeartbeat

    register(RetentionRule(
        key="core.session", model=Session, label="已过期的登录会话", days=0,
        basis="PIPL 第 19 条（最短必要期限）；GB/T 22239-2019 8.1.4.8 剩余信息保护",
        expired=lambda cutoff: Session.objects.filter(expire_date__lt=cutoff)))
    register(RetentionRule(
        key="core.notification_delivery", model=NotificationDelivery, label="短信 / 邮件发送记录", days=180,
        basis="PIPL 第 19 条；发送结果仅用于重发和投诉核查，6 个月足够",
        expired=lambda cutoff: NotificationDelivery.objects.filter(
            status__in=["sent", "failed"], notification__created_at__lt=cutoff)))
    register(RetentionRule(
        key="core.notification", model=Notification, label="已读的站内消息", days=365,
        basis="PIPL 第 19 条；办理结果另在案件时间线中保存",
        expired=lambda cutoff: Notification.objects.filter(read_at__lt=cutoff)))
    register(RetentionRule(
        key="core.worker_heartbeat", model=WorkerHeartbeat, label="停止的后台进程心跳", days=7,
        basis="运维数据，无个人信息；只保留排障所需",
        expired=lambda cutoff: WorkerHeartbeat.objects.filter(last_seen__lt=cutoff)))
    try:
        from django_tasks_db.models import DBTaskResult
    except ImportError:  # pragma: no cover - the worker backend is always installed here
        pass
    else:
        register(RetentionRule(
            key="core.task_result", model=DBTaskResult, label="已完成的后台任务结果", days=30,
            basis="PIPL 第 19 条；任务参数含记录编号，结果只用于排障",
            expired=lambda cutoff: DBTaskResult.objects.filter(finished_at__lt=cutoff)))
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    register(RetentionRule(
        key="core.login_attempt", model=AccessAttempt, label="登录失败计数（锁定用）", days=1,
        basis="锁定冷却期 30 分钟后不再需要",
        expired=lambda cutoff: AccessAttempt.objects.filter(attempt_time__lt=cutoff)))
    log_basis = "GB/T 22239-2019 8.1.4.3 安全审计：日志至少保存 6 个月（《网络安全法》第 21 条），本平台保存 1 年"
    register(RetentionRule(
        key="core.login_log", model=AccessLog, label="登录日志", days=365, basis=log_basis,
        expired=lambda cutoff: AccessLog.objects.filter(attempt_time__lt=cutoff)))
    register(RetentionRule(
        key="core.login_failure_log", model=AccessFailureLog, label="登录失败日志", days=365, basis=log_basis,
        expired=lambda cutoff: AccessFailureLog.objects.filter(attempt_time__lt=cutoff)))


_core_rules()
