from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    RECRUITMENT = "recruitment", _("招才引智活动")
    PUBLICITY = "publicity", _("政策宣讲")


class EventVenue(models.TextChoices):
    ZONE = "zone", _("区内")
    OUTSIDE = "outside", _("区外")
    BEIJING = "beijing_station", _("北京人才服务站")
    SHANGHAI = "shanghai_station", _("上海人才服务站")


class EventStatus(models.TextChoices):
    PLANNED = "planned", _("筹备中")
    PUBLISHED = "published", _("报名中")
    FINISHED = "finished", _("已结束")
    CANCELLED = "cancelled", _("已取消")


class NeedStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    PUBLISHED = "published", _("揭榜中")
    REJECTED = "rejected", _("已退回")
    CONTRACTED = "contracted", _("已选定揭榜方")
    CLOSED = "closed", _("已关闭")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    SELECTED = "selected", _("已选定")
    NOT_SELECTED = "not_selected", _("未选定")
    WITHDRAWN = "withdrawn", _("已撤回")


class ContractStatus(models.TextChoices):
    DRAFT = "draft", _("待签约")
    SIGNED = "signed", _("履约中")
    COMPLETED = "completed", _("已完成")


class MilestoneStatus(models.TextChoices):
    PENDING = "pending", _("进行中")
    SUBMITTED = "submitted", _("已提交成果")
    ACCEPTED = "accepted", _("已验收")


class ProblemStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    REPLIED = "replied", _("已答复")
    IN_PROGRESS = "in_progress", _("办理中")
    RESOLVED = "resolved", _("待企业确认")
    CLOSED = "closed", _("已销号")


class ProblemUpdateKind(models.TextChoices):
    RAISED = "raised", _("提出问题")
    REPLY = "reply", _("首次答复")
    PROGRESS = "progress", _("办理进展")
    RESOLVE = "resolve", _("办结待确认")
    CONFIRM = "confirm", _("企业确认销号")
    REOPEN = "reopen", _("企业退回")
    CASE = "case", _("办件进展")
