from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectKind(models.TextChoices):
    APARTMENT = "apartment", _("人才公寓")
    GIFTED = "gifted", _("人才住房（医学科学城）")


class Layout(models.TextChoices):
    STUDIO = "studio", _("单间")
    ONE_BED = "one_bed", _("一室一厅")
    TWO_BED = "two_bed", _("两室一厅")
    THREE_BED = "three_bed", _("三室一厅")
    FOUR_BED = "four_bed", _("四室及以上")


class UnitStatus(models.TextChoices):
    VACANT = "vacant", _("空闲")
    RESERVED = "reserved", _("已预留")
    OCCUPIED = "occupied", _("已入住")
    MAINTENANCE = "maintenance", _("维修中")


class StayStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("未通过")
    CANCELLED = "cancelled", _("已取消")
    CHECKED_IN = "checked_in", _("已入住")
    CHECKED_OUT = "checked_out", _("已退房")
    NO_SHOW = "no_show", _("未到店（已释放）")


HOLDING_STAY_STATES = (StayStatus.PENDING, StayStatus.CONFIRMED, StayStatus.CHECKED_IN)


class RuleSetKind(models.TextChoices):
    WARM_STATION = "warm_station", _("暖心驿站")
    APARTMENT = "apartment", _("人才公寓配租")
    GIFTED = "gifted", _("人才住房面积标准")


class RoundStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("申请中")
    CLOSED = "closed", _("申请截止")
    PUBLISHED = "published", _("已公示排序")
    DRAWN = "drawn", _("已摇号")
    FINISHED = "finished", _("已结束")


class ApplicationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已提交")
    INELIGIBLE = "ineligible", _("不符合条件")
    RANKED = "ranked", _("已排序")
    OFFERED = "offered", _("已配租待确认")
    ACCEPTED = "accepted", _("已签约")
    DECLINED = "declined", _("已放弃")
    LAPSED = "lapsed", _("逾期未确认")
    WAITLISTED = "waitlisted", _("轮候中")
    WITHDRAWN = "withdrawn", _("已撤回")


class OfferStatus(models.TextChoices):
    OPEN = "open", _("待确认")
    ACCEPTED = "accepted", _("已接受")
    DECLINED = "declined", _("已放弃")
    LAPSED = "lapsed", _("已逾期")


class LeaseStatus(models.TextChoices):
    ACTIVE = "active", _("租赁中")
    ENDED = "ended", _("已退租")


class GiftStatus(models.TextChoices):
    ENTITLED = "entitled", _("待分配房源")
    ASSIGNED = "assigned", _("已分配房源")
    DELIVERED = "delivered", _("已交付")
    REVIEW = "review", _("待复核（认定已撤销）")
    CANCELLED = "cancelled", _("已取消")


ACTIVE_GIFT_STATES = (GiftStatus.ENTITLED, GiftStatus.ASSIGNED, GiftStatus.DELIVERED, GiftStatus.REVIEW)
