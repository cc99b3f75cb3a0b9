"""Status and category enums of the workflow engine; labels are Chinese (gettext), English comes from the catalog."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DayType(models.TextChoices):
    HOLIDAY = "holiday", _("休息日（法定节假日）")
    WORKDAY = "workday", _("调休上班日")


class CalendarSource(models.TextChoices):
    PACKAGE = "package", _("chinese-calendar 软件包")
    ADMIN = "admin", _("管理员按国务院通知录入")


class OwnerKind(models.TextChoices):
    DEPARTMENT = "department", _("部门")
    EMPLOYER = "employer", _("申请人所在单位")


class CaseStatus(models.TextChoices):
    OPEN = "open", _("办理中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    CANCELLED = "cancelled", _("已取消")


class TaskState(models.TextChoices):
    PENDING = "pending", _("待认领")
    IN_PROGRESS = "in_progress", _("办理中")
    INFO_REQUESTED = "info_requested", _("待补充材料")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已退回")
    CANCELLED = "cancelled", _("已取消")
    WITHDRAWN = "withdrawn", _("已撤回")
    SKIPPED = "skipped", _("不适用（已跳过）")


OPEN_TASK_STATES = (TaskState.PENDING, TaskState.IN_PROGRESS, TaskState.INFO_REQUESTED)
# The deadline clock runs in these states; it pauses while more information is requested.
CLOCK_RUNNING_STATES = (TaskState.PENDING, TaskState.IN_PROGRESS)
DONE_TASK_STATES = (TaskState.APPROVED, TaskState.SKIPPED)


class TaskAction(models.TextChoices):
    """What a person can do to a task. The allowed source states of each are in ``services.TRANSITIONS``."""

    CLAIM = "claim", _("认领")
    RELEASE = "release", _("退回待认领")
    REASSIGN = "reassign", _("转办")
    APPROVE = "approve", _("通过")
    REJECT = "reject", _("退回（不通过）")
    REQUEST_INFO = "request_info", _("要求补充材料")


class EventKind(models.TextChoices):
    CASE_STARTED = "case_started", _("提交申请")
    TASK_CREATED = "task_created", _("进入办理环节")
    TASK_SKIPPED = "task_skipped", _("环节不适用，已跳过")
    CLAIMED = "claimed", _("认领")
    RELEASED = "released", _("退回待认领")
    REASSIGNED = "reassigned", _("转办")
    APPROVED = "approved", _("通过")
    REJECTED = "rejected", _("退回（不通过）")
    INFO_REQUESTED = "info_requested", _("要求补充材料")
    INFO_PROVIDED = "info_provided", _("申请人已补充材料")
    REMINDED = "reminded", _("到期提醒")
    ESCALATED = "escalated", _("超期，已上报部门负责人")
    CANCELLED = "cancelled", _("已取消")
    WITHDRAWN = "withdrawn", _("申请人撤回")
    CASE_CLOSED = "case_closed", _("办结")


class ServiceKind(models.TextChoices):
    """Kinds of the generic talent service request (the sample subject of the engine)."""

    CERTIFICATION_CONSULT = "certification", _("人才认定咨询")
    SCHOOL_PLACE = "school", _("子女入学")
    SPOUSE_JOB = "spouse_job", _("配偶安置")
    HOUSING = "housing", _("住房保障")
    MEDICAL = "medical", _("医疗保健")
    WORK_PERMIT = "work_permit", _("外国人来华工作许可")
