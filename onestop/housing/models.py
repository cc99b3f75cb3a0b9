"""Talent housing: inventory (apartment projects, buildings, units; warm stations, rooms, beds), warm-station stays,
apartment allocation rounds with a verifiable lottery, offers, leases and gifted housing.

The invariants that matter most are the database's, on SQLite and PostgreSQL alike:

* a bed is never given twice for one night — ``BedNight`` has one row per bed and night, unique;
* a person never sleeps in two beds on one night — ``BedNight`` is unique per guest and night too;
* a person never holds two talent apartments, a unit never has two tenants — partial unique constraints on ``Lease``;
* a unit is never offered twice at once — a partial unique constraint on open ``Offer`` rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onestop.core.fields import EncryptedTextField

from .choices import (
    ACTIVE_GIFT_STATES,
    ApplicationStatus,
    GiftStatus,
    Layout,
    LeaseStatus,
    OfferStatus,
    ProjectKind,
    RoundStatus,
    RuleSetKind,
    StayStatus,
    UnitStatus,
)


def _values(choices: type[models.TextChoices]) -> list[str]:
    return [str(c.value) for c in choices]


# --- inventory -------------------------------------------------------------------------------------------------------

class Project(models.Model):
    code = models.SlugField(_("项目代码"), max_length=32, unique=True)
    name = models.CharField(_("项目名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=12, choices=ProjectKind.choices, default=ProjectKind.APARTMENT)
    address = models.CharField(_("地址"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("住房项目")
        verbose_name_plural = _("住房项目")
        constraints = [models.CheckConstraint(condition=Q(kind__in=_values(ProjectKind)), name="housing_project_kind")]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="buildings")
    name = models.CharField(_("楼栋"), max_length=32)

    class Meta:
        ordering = ["project", "name"]
        verbose_name = _("楼栋")
        verbose_name_plural = _("楼栋")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="housing_building_unique")]

    def __str__(self) -> str:
        return f"{self.project.name} {self.name}"


class Unit(models.Model):
    building = models.ForeignKey(Building, on_delete=models.PROTECT, related_name="units")
    number = models.CharField(_("房号"), max_length=16)
    code = models.CharField(_("房源编号"), max_length=64, unique=True, editable=False)
    floor = models.SmallIntegerField(_("楼层"))
    area_m2 = models.DecimalField(_("建筑面积（㎡）"), max_digits=7, decimal_places=2)
    layout = models.CharField(_("户型"), max_length=12, choices=Layout.choices)
    monthly_rent_fen = models.PositiveIntegerField(_("月租金（分）"))
    discount_percent = models.PositiveSmallIntegerField(_("租金优惠（%）"), default=0,
                                                        help_text=_("相对市场租金减免的百分比，如 50 表示五折。"))
    status = models.CharField(_("状态"), max_length=12, choices=UnitStatus.choices, default=UnitStatus.VACANT)

    class Meta:
        ordering = ["code"]
        verbose_name = _("房源")
        verbose_name_plural = _("房源")
        constraints = [
            models.UniqueConstraint(fields=["building", "number"], name="housing_unit_unique"),
            models.CheckConstraint(condition=Q(status__in=_values(UnitStatus)), name="housing_unit_status"),
            models.CheckConstraint(condition=Q(layout__in=_values(Layout)), name="housing_unit_layout"),
            models.CheckConstraint(condition=Q(area_m2__gt=0), name="housing_unit_area_positive"),
            models.CheckConstraint(condition=Q(discount_percent__lte=100), name="housing_unit_discount_range"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def payable_rent_fen(self) -> int:
        return payable_rent(self.monthly_rent_fen, self.discount_percent)


def payable_rent(rent_fen: int, discount_percent: int) -> int:
    """Rent after the discount, in fen, rounded half up."""
    return (rent_fen * (100 - discount_percent) + 50) // 100


class WarmStation(models.Model):
    code = models.SlugField(_("驿站代码"), max_length=32, unique=True)
    name = models.CharField(_("驿站名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    is_active = models.BooleanField(_("开放预订"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("暖心驿站")
        verbose_name_plural = _("暖心驿站")

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    station = models.ForeignKey(WarmStation, on_delete=models.PROTECT, related_name="rooms")
    number = models.CharField(_("房间号"), max_length=16)

    class Meta:
        ordering = ["station", "number"]
        verbose_name = _("驿站房间")
        verbose_name_plural = _("驿站房间")
        constraints = [models.UniqueConstraint(fields=["station", "number"], name="housing_room_unique")]

    def __str__(self) -> str:
        return f"{self.station.name} {self.number}"


class Bed(models.Model):
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="beds")
    label = models.CharField(_("床位"), max_length=16)
    is_active = models.BooleanField(_("可用"), default=True)
    out_of_service_reason = models.CharField(_("停用原因"), max_length=200, blank=True)
    out_of_service_since = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        ordering = ["room", "label"]
        verbose_name = _("床位")
        verbose_name_plural = _("床位")
        constraints = [
            models.UniqueConstraint(fields=["room", "label"], name="housing_bed_unique"),
            models.CheckConstraint(condition=Q(is_active=True) | ~Q(out_of_service_reason=""),
                                   name="housing_bed_out_of_service_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.label}"


# --- rule sets (data) ------------------------------------------------------------------------------------------------

class HousingRuleSet(models.Model):
    """A rulebook document (docs/rules.md) for one housing decision, versioned; ``ranking`` says how the apartment
    rules' outputs become priority groups and tie-breakers. Loaded from ``rulesets/*.json`` by
    ``manage.py load_housing_rules``; a changed file becomes a new version, rounds keep the version they started with."""

    kind = models.CharField(_("用途"), max_length=16, choices=RuleSetKind.choices)
    code = models.SlugField(_("规则集代码"), max_length=64)
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("名称"), max_length=120)
    document = models.JSONField(_("规则集"))
    ranking = models.JSONField(_("排序规则"), default=dict, blank=True)
    sha256 = models.CharField(max_length=64)
    is_active = models.BooleanField(_("当前使用"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "-version"]
        verbose_name = _("住房规则集")
        verbose_name_plural = _("住房规则集")
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="housing_ruleset_version_unique"),
            models.UniqueConstraint(fields=["kind"], condition=Q(is_active=True), name="housing_ruleset_one_active"),
            models.CheckConstraint(condition=Q(kind__in=_values(RuleSetKind)), name="housing_ruleset_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


# --- warm stations ---------------------------------------------------------------------------------------------------

class StayAllowance(models.Model):
    """Free nights used by one person, moved only by a conditional UPDATE that keeps it within the limit."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="stay_allowance")
    nights_used = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(nights_used__gte=0), name="housing_allowance_nonnegative")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.nights_used}"


class StayBooking(models.Model):
    guest = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stay_bookings",
                              verbose_name=_("入住人"))
    station = models.ForeignKey(WarmStation, on_delete=models.PROTECT, related_name="bookings",
                                verbose_name=_("驿站"))
    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("床位"))
    check_in = models.DateField(_("入住日期"))
    check_out = models.DateField(_("离店日期"))
    nights = models.PositiveSmallIntegerField(_("晚数"))
    purpose = models.CharField(_("来港事由"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=StayStatus.choices, default=StayStatus.PENDING)
    token = models.CharField(max_length=32, unique=True, editable=False)
    decision_due = models.DateField(_("答复期限"))
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    reason = models.TextField(_("说明"), blank=True)
    eligibility = models.JSONField(_("资格判定"), default=dict, blank=True)
    checked_in_at = models.DateTimeField(_("入住时间"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("退房时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("超期督办时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("申请时间"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("驿站预订")
        verbose_name_plural = _("驿站预订")
        constraints = [
            models.CheckConstraint(condition=Q(check_out__gt=F("check_in")), name="housing_stay_dates_ordered"),
            models.CheckConstraint(condition=Q(status__in=_values(StayStatus)), name="housing_stay_status"),
            models.CheckConstraint(condition=Q(nights__gte=1), name="housing_stay_nights_positive"),
        ]
        indexes = [models.Index(fields=["status", "check_in"])]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"YZ{self.created_at:%Y%m%d}{self.pk:05d}" if self.pk else ""


class BedNight(models.Model):
    """One bed for one night (the night starting on ``night``). The unique constraints are the no-double-booking
    guarantee: whoever inserts second gets an IntegrityError, whatever the isolation level."""

    bed = models.ForeignKey(Bed, on_delete=models.PROTECT, related_name="nights")
    night = models.DateField()
    booking = models.ForeignKey(StayBooking, on_delete=models.CASCADE, related_name="bed_nights")
    guest = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bed", "night"], name="housing_bed_night_once"),
            models.UniqueConstraint(fields=["guest", "night"], name="housing_guest_night_once"),
        ]
        indexes = [models.Index(fields=["night"])]

    def __str__(self) -> str:
        return f"{self.bed_id}@{self.night}"


# --- apartment rounds ------------------------------------------------------------------------------------------------

class AllocationRound(models.Model):
    code = models.SlugField(_("批次编号"), max_length=32, unique=True)
    title = models.CharField(_("批次名称"), max_length=120)
    rule_set = models.ForeignKey(HousingRuleSet, on_delete=models.PROTECT, related_name="rounds",
                                 verbose_name=_("规则集"))
    opens_on = models.DateField(_("申请开始"))
    closes_on = models.DateField(_("申请截止"))
    offer_days = models.PositiveSmallIntegerField(_("确认期限（工作日）"), default=5)
    status = models.CharField(_("状态"), max_length=12, choices=RoundStatus.choices, default=RoundStatus.DRAFT)
    seed = EncryptedTextField(_("摇号种子"), blank=True)
    seed_sha256 = models.CharField(_("种子 SHA-256"), max_length=64, blank=True)
    published_at = models.DateTimeField(_("排序公示时间"), null=True, blank=True)
    drawn_at = models.DateTimeField(_("摇号时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opens_on", "-id"]
        verbose_name = _("配租批次")
        verbose_name_plural = _("配租批次")
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=F("opens_on")), name="housing_round_window"),
            models.CheckConstraint(condition=Q(status__in=_values(RoundStatus)), name="housing_round_status"),
            models.CheckConstraint(
                condition=Q(status__in=[RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSED])
                | ~Q(seed_sha256=""), name="housing_round_seed_committed"),
        ]

    def __str__(self) -> str:
        return self.title


class RoundUnit(models.Model):
    round = models.ForeignKey(AllocationRound, on_delete=models.CASCADE, related_name="round_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="round_offers")

    class Meta:
        ordering = ["unit__code"]
        constraints = [models.UniqueConstraint(fields=["round", "unit"], name="housing_round_unit_once")]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.unit_id}"


class Application(models.Model):
    round = models.ForeignKey(AllocationRound, on_delete=models.PROTECT, related_name="applications")
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="apartment_applications")
    code = models.CharField(_("申请编号"), max_length=16)
    status = models.CharField(_("状态"), max_length=12, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.SUBMITTED)
    preferences = models.JSONField(_("户型意向"), default=list)
    applied_at = models.DateTimeField(_("申请时间"), default=timezone.now)
    group_tier = models.CharField(_("优先组"), max_length=32, blank=True)
    group_label = models.CharField(_("优先组名称"), max_length=64, blank=True)
    group_order = models.PositiveSmallIntegerField(null=True, blank=True)
    guaranteed = models.BooleanField(_("应保尽保"), default=False)
    points = models.IntegerField(_("积分"), default=0)
    cert_batch = models.CharField(_("认定批次"), max_length=32, blank=True)
    pension_start = models.DateField(_("本地养老保险起缴"), null=True, blank=True)
    rank = models.PositiveIntegerField(_("排序名次"), null=True, blank=True)
    position = models.PositiveIntegerField(_("摇号后顺位"), null=True, blank=True)
    explanation = models.JSONField(_("资格说明"), default=dict, blank=True)

    class Meta:
        ordering = ["round", "position", "rank", "code"]
        verbose_name = _("公寓申请")
        verbose_name_plural = _("公寓申请")
        constraints = [
            models.UniqueConstraint(fields=["round", "applicant"], name="housing_one_application_per_round"),
            models.UniqueConstraint(fields=["round", "code"], name="housing_application_code_unique"),
            models.CheckConstraint(condition=Q(status__in=_values(ApplicationStatus)), name="housing_app_status"),
        ]

    def __str__(self) -> str:
        return self.code


class Offer(models.Model):
    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="offers")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="offers")
    status = models.CharField(_("状态"), max_length=12, choices=OfferStatus.choices, default=OfferStatus.OPEN)
    deadline = models.DateField(_("确认期限"))
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("配租通知")
        verbose_name_plural = _("配租通知")
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(status=OfferStatus.OPEN),
                                    name="housing_unit_one_open_offer"),
            models.UniqueConstraint(fields=["application"], condition=Q(status=OfferStatus.OPEN),
                                    name="housing_application_one_open_offer"),
            models.CheckConstraint(condition=Q(status__in=_values(OfferStatus)), name="housing_offer_status"),
        ]

    def __str__(self) -> str:
        return f"{self.application.code} → {self.unit.code}"


class Publication(models.Model):
    """A file a round publishes (applicants before the draw; preferences, seed and result after). Immutable."""

    round = models.ForeignKey(AllocationRound, on_delete=models.PROTECT, related_name="publications")
    name = models.CharField(max_length=32)
    content = models.TextField()
    sha256 = models.CharField(max_length=64)
    published_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["published_at", "id"]
        constraints = [models.UniqueConstraint(fields=["round", "name"], name="housing_publication_once")]

    def __str__(self) -> str:
        return f"{self.round.code}/{self.name}"


class Lease(models.Model):
    tenant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="leases",
                               verbose_name=_("承租人"))
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="leases", verbose_name=_("房源"))
    offer = models.OneToOneField(Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="lease")
    start_date = models.DateField(_("起租日"))
    end_date = models.DateField(_("到期日"))
    monthly_rent_fen = models.PositiveIntegerField(_("市场月租金（分）"))
    discount_percent = models.PositiveSmallIntegerField(_("租金优惠（%）"))
    payable_rent_fen = models.PositiveIntegerField(_("实付月租金（分）"))
    deposit_fen = models.PositiveIntegerField(_("押金（分）"))
    status = models.CharField(_("状态"), max_length=8, choices=LeaseStatus.choices, default=LeaseStatus.ACTIVE)
    renewals = models.PositiveSmallIntegerField(_("续租次数"), default=0)
    moved_out_on = models.DateField(_("退租日"), null=True, blank=True)
    deposit_returned_fen = models.PositiveIntegerField(_("退还押金（分）"), null=True, blank=True)
    deposit_note = models.CharField(_("押金扣减说明"), max_length=200, blank=True)
    review_flag = models.BooleanField(_("待复核"), default=False)
    review_reason = models.TextField(_("复核原因"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = _("租赁合同")
        verbose_name_plural = _("租赁合同")
        constraints = [
            models.UniqueConstraint(fields=["tenant"], condition=Q(status=LeaseStatus.ACTIVE),
                                    name="housing_one_apartment_per_person"),
            models.UniqueConstraint(fields=["unit"], condition=Q(status=LeaseStatus.ACTIVE),
                                    name="housing_one_tenant_per_unit"),
            models.CheckConstraint(condition=Q(end_date__gt=F("start_date")), name="housing_lease_term_positive"),
            models.CheckConstraint(condition=Q(status__in=_values(LeaseStatus)), name="housing_lease_status"),
            models.CheckConstraint(condition=Q(discount_percent__lte=100), name="housing_lease_discount_range"),
            models.CheckConstraint(
                condition=Q(status=LeaseStatus.ACTIVE, moved_out_on__isnull=True)
                | Q(status=LeaseStatus.ENDED, moved_out_on__isnull=False), name="housing_lease_moveout_matches"),
            models.CheckConstraint(
                condition=Q(deposit_returned_fen__isnull=True) | Q(deposit_returned_fen__lte=F("deposit_fen")),
                name="housing_lease_deposit_refund_bounded"),
        ]

    def __str__(self) -> str:
        return f"{self.unit.code} · {self.tenant}"

    @property
    def reference(self) -> str:
        return f"ZL{self.start_date:%Y}{self.pk:06d}" if self.pk else ""


# --- gifted housing (人才住房) ----------------------------------------------------------------------------------------

class GiftedEntitlement(models.Model):
    """A medical-science-city talent's entitlement to housing of at most ``max_area_m2``, created from the
    certification, with the unit assigned and its delivery."""

    holder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="gifted_housing",
                               verbose_name=_("人才"))
    certificate_number = models.CharField(_("证书编号"), max_length=32, unique=True)
    medical_class = models.CharField(_("人才类别"), max_length=16)
    max_area_m2 = models.PositiveSmallIntegerField(_("面积上限（㎡）"))
    status = models.CharField(_("状态"), max_length=12, choices=GiftStatus.choices, default=GiftStatus.ENTITLED)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="gifts",
                             verbose_name=_("分配房源"))
    assigned_at = models.DateTimeField(null=True, blank=True)
    delivered_on = models.DateField(_("交付日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("人才住房待遇")
        verbose_name_plural = _("人才住房待遇")
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(unit__isnull=False, status__in=ACTIVE_GIFT_STATES),
                                    name="housing_gift_unit_once"),
            models.CheckConstraint(condition=Q(status__in=_values(GiftStatus)), name="housing_gift_status"),
            models.CheckConstraint(
                condition=~Q(status__in=[GiftStatus.ASSIGNED, GiftStatus.DELIVERED]) | Q(unit__isnull=False),
                name="housing_gift_assigned_has_unit"),
            models.CheckConstraint(condition=~Q(status=GiftStatus.DELIVERED) | Q(delivered_on__isnull=False),
                                   name="housing_gift_delivered_has_date"),
        ]

    def __str__(self) -> str:
        return f"{self.certificate_number} {self.medical_class}"
