"""Enums of the targets module; labels in Chinese (gettext), English comes from the catalog."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Pace(models.TextChoices):
    """How much of a target is due by a given day."""

    LINEAR = "linear", _("全年均衡推进")
    MONTHLY = "monthly", _("按月度计划推进")
    LEVEL = "level", _("全年保持水平（比率、平均值）")


class PaceStatus(models.TextChoices):
    ACHIEVED = "achieved", _("已完成")
    AHEAD = "ahead", _("进度超前")
    ON_PACE = "on_pace", _("符合进度")
    BEHIND = "behind", _("进度滞后")
    INDICATOR = "indicator", _("监测指标")


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已生成")
    FAILED = "failed", _("生成失败")


RUNNING_REPORT_STATES = (ReportStatus.QUEUED, ReportStatus.RUNNING)

# The measure key of a target whose figure the owner department enters (source + evidence) instead of the platform
# counting it from its records.
REPORTED = "reported"
