"""Jobs an enterprise publishes."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.audit import audit_record
from onestop.core.exceptions import Conflict
from onestop.core.models import User
from onestop.core.services import FieldErrors

from ..choices import (
    EnterpriseStatus,
    Industry,
    JobStatus,
)
from ..models import (
    EDUCATION_VALUES,
    Enterprise,
    Job,
)
from .common import own_enterprise


def job_create(*, actor: User, enterprise: Enterprise, title: str, industry: str, education_min: str,
               description: str, salary_min_fen: int | None, salary_max_fen: int | None, headcount: int = 1,
               location: str = "郑州航空港区", publish: bool = False, is_demo: bool = False) -> Job:
    own_enterprise(actor, enterprise)
    errors = FieldErrors()
    title = (title or "").strip()
    if not title:
        errors.add("title", _("岗位名称：请填写岗位名称。"))
    elif len(title) > 100:
        errors.add("title", _("岗位名称：不能超过 100 个字符。"))
    if industry not in Industry.values:
        errors.add("industry", _("所属产业：请选择有效的选项。"))
    if education_min not in EDUCATION_VALUES:
        errors.add("education_min", _("最低学历：请选择有效的选项。"))
    if not (description or "").strip():
        errors.add("description", _("岗位职责与要求：请填写此项。"))
    if salary_min_fen is None or salary_min_fen < 0:
        errors.add("salary_min", _("月薪下限：请填写不小于 0 的金额。"))
    if salary_max_fen is None or salary_max_fen < 0:
        errors.add("salary_max", _("月薪上限：请填写不小于 0 的金额。"))
    elif salary_min_fen is not None and salary_max_fen < salary_min_fen:
        errors.add("salary_max", _("月薪上限：不能低于月薪下限。"))
    if headcount is None or headcount < 1:
        errors.add("headcount", _("招聘人数：至少 1 人。"))
    errors.raise_if_any()
    assert salary_min_fen is not None and salary_max_fen is not None
    if publish and enterprise.status != EnterpriseStatus.ACTIVE:
        raise Conflict(_("单位核验通过后才能发布岗位。"))
    now = timezone.now()
    with transaction.atomic():
        job = Job.objects.create(
            enterprise=enterprise, title=title, industry=industry, education_min=education_min,
            education_rank=EDUCATION_VALUES.index(education_min), description=description.strip(),
            salary_min_fen=salary_min_fen, salary_max_fen=salary_max_fen, headcount=headcount,
            location=(location or "").strip() or "郑州航空港区", created_by=actor, is_demo=is_demo,
            status=JobStatus.PUBLISHED if publish else JobStatus.DRAFT, published_at=now if publish else None)
        audit_record(action="job.create", actor=actor, obj=job, after={"title": title, "published": publish})
    return job


def job_set_status(*, actor: User, job: Job, status: str) -> Job:
    own_enterprise(actor, job.enterprise_id)
    allowed: dict[str, list[str]] = {JobStatus.PUBLISHED: [JobStatus.DRAFT, JobStatus.CLOSED],
                                     JobStatus.CLOSED: [JobStatus.PUBLISHED]}
    if status not in allowed:
        raise Conflict(_("状态：不支持的操作。"))
    if status == JobStatus.PUBLISHED and job.enterprise.status != EnterpriseStatus.ACTIVE:
        raise Conflict(_("单位核验通过后才能发布岗位。"))
    with transaction.atomic():
        changed = Job.objects.filter(pk=job.pk, status__in=allowed[status]).update(
            status=status, published_at=timezone.now() if status == JobStatus.PUBLISHED else F("published_at"))
        if changed != 1:
            raise Conflict(_("岗位当前状态不允许该操作。"))
        audit_record(action=f"job.{status}", actor=actor, obj=job, before={"status": job.status},
                     after={"status": status})
    job.refresh_from_db()
    return job
