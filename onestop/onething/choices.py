"""Statuses of one-thing applications, their matters, benefit offers and matching runs (labels in Chinese)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("办理中")
    COMPLETED = "completed", _("已办结")
    WITHDRAWN = "withdrawn", _("已撤回")


class MatterStatus(models.TextChoices):
    SELECTED = "selected", _("待提交")
    WAITING = "waiting", _("等待前置事项")
    RUNNING = "running", _("办理中")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    WITHDRAWN = "withdrawn", _("已撤回")
    CANCELLED = "cancelled", _("已取消")


OPEN_MATTER_STATUSES = (MatterStatus.SELECTED, MatterStatus.WAITING, MatterStatus.RUNNING)
FINAL_MATTER_STATUSES = (MatterStatus.APPROVED, MatterStatus.REJECTED, MatterStatus.WITHDRAWN,
                         MatterStatus.CANCELLED)


class Verdict(models.TextChoices):
    """The pre-check of one matter before submitting (rulebook)."""

    LIKELY = "likely", _("预计可以通过")
    MISSING = "missing", _("还缺材料或信息")
    NOT_ELIGIBLE = "not_eligible", _("不符合条件")


class HistoryKind(models.TextChoices):
    CREATED = "created", _("创建申请")
    MATTER_ADDED = "matter_added", _("选择事项")
    MATTER_REMOVED = "matter_removed", _("取消选择事项")
    DOCUMENT = "document", _("上传材料")
    SUBMITTED = "submitted", _("提交申请")
    MATTER_STARTED = "matter_started", _("事项转交部门办理")
    MATTER_WAITING = "matter_waiting", _("事项等待前置事项")
    MATTER_DECIDED = "matter_decided", _("事项办结")
    MATTER_WITHDRAWN = "matter_withdrawn", _("撤回事项")
    WITHDRAWN = "withdrawn", _("撤回申请")
    COMPLETED = "completed", _("全部事项办结")


class BenefitMode(models.TextChoices):
    OFF = "off", _("不适用免申即享")
    GRANT = "grant", _("免申即享：直接兑现并通知")
    OFFER = "offer", _("免申即享：推送待确认（一键确认）")


class OfferStatus(models.TextChoices):
    OFFERED = "offered", _("待确认")
    ACCEPTED = "accepted", _("已确认")
    GRANTED = "granted", _("已兑现")
    DECLINED = "declined", _("已放弃")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("运行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
