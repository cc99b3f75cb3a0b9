"""Every read a housing page or endpoint uses, scoped to the user: a talent sees their own records, housing staff
see the desk. Anything else is ``NotFound`` (a forbidden object and a missing one look the same)."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from onestop.core.exceptions import NotFound
from onestop.core.models import User
from onestop.workflow import calendar as wd

from .choices import (
    ApplicationStatus,
    GiftStatus,
    LeaseStatus,
    OfferStatus,
    ProjectKind,
    RoundStatus,
    StayStatus,
    UnitStatus,
)
from .models import (
    AllocationRound,
    Application,
    Bed,
    BedNight,
    GiftedEntitlement,
    Lease,
    Offer,
    Project,
    Publication,
    StayBooking,
    Unit,
    WarmStation,
)
from .permissions import is_housing_staff


def _staff_or_404(user: User) -> None:
    if not is_housing_staff(user):
        raise NotFound(_("记录不存在，或您无权访问。"))


# --- talent ----------------------------------------------------------------------------------------------------------

def stations_open() -> QuerySet[WarmStation]:
    return WarmStation.objects.filter(is_active=True).annotate(
        bed_count=Count("rooms__beds", filter=Q(rooms__beds__is_active=True)))


def stays_for(*, user: User) -> QuerySet[StayBooking]:
    return StayBooking.objects.filter(guest=user).select_related("station", "bed__room")


def stay_for(*, user: User, pk: int) -> StayBooking:
    booking = StayBooking.objects.select_related("station", "bed__room", "guest").filter(pk=pk).first()
    if booking is None or (booking.guest_id != user.pk and not is_housing_staff(user)):
        raise NotFound(_("预订不存在。"))
    return booking


def rounds_visible(*, user: User) -> QuerySet[AllocationRound]:
    qs = AllocationRound.objects.annotate(unit_count=Count("round_units", distinct=True))
    if is_housing_staff(user):
        return qs
    return qs.exclude(status=RoundStatus.DRAFT)


def rounds_public() -> QuerySet[AllocationRound]:
    return AllocationRound.objects.exclude(status=RoundStatus.DRAFT).annotate(
        unit_count=Count("round_units", distinct=True))


def round_for(*, user: User, code: str) -> AllocationRound:
    rnd = rounds_visible(user=user).select_related("rule_set").filter(code=code).first()
    if rnd is None:
        raise NotFound(_("批次不存在。"))
    return rnd


def round_public(*, code: str) -> AllocationRound:
    rnd = AllocationRound.objects.exclude(status=RoundStatus.DRAFT).filter(code=code).first()
    if rnd is None:
        raise NotFound(_("批次不存在。"))
    return rnd


def application_in_round(*, user: User, rnd: AllocationRound) -> Application | None:
    return Application.objects.filter(round=rnd, applicant=user).first()


def applications_for(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("round").order_by("-applied_at")


def offers_for(*, user: User) -> QuerySet[Offer]:
    return Offer.objects.filter(application__applicant=user).select_related("unit__building__project",
                                                                             "application__round")


def offer_for(*, user: User, pk: int) -> Offer:
    offer = offers_for(user=user).filter(pk=pk).first()
    if offer is None:
        raise NotFound(_("配租通知不存在。"))
    return offer


def leases_for(*, user: User) -> QuerySet[Lease]:
    return Lease.objects.filter(tenant=user).select_related("unit__building__project")


def lease_for(*, user: User, pk: int) -> Lease:
    lease = Lease.objects.select_related("unit__building__project", "tenant").filter(pk=pk).first()
    if lease is None or (lease.tenant_id != user.pk and not is_housing_staff(user)):
        raise NotFound(_("合同不存在。"))
    return lease


def gifts_for(*, user: User) -> QuerySet[GiftedEntitlement]:
    return GiftedEntitlement.objects.filter(holder=user).select_related("unit__building__project")


def publications_of(*, rnd: AllocationRound) -> QuerySet[Publication]:
    return Publication.objects.filter(round=rnd).only("name", "sha256", "published_at", "round_id")


def publication_of(*, rnd: AllocationRound, name: str) -> Publication:
    pub = Publication.objects.filter(round=rnd, name=name).first()
    if pub is None:
        raise NotFound(_("该文件尚未公布。"))
    return pub


def round_results(*, rnd: AllocationRound) -> list[dict[str, Any]]:
    """The published result with masked names (for the public results page)."""
    import json

    if rnd.status not in (RoundStatus.DRAWN, RoundStatus.FINISHED):
        return []
    applicants = {a["code"]: a for a in json.loads(publication_of(rnd=rnd, name="applicants.json").content)[
        "applicants"]}
    result = json.loads(publication_of(rnd=rnd, name="result.json").content)
    return [{**row, "name": applicants[row["code"]]["name"], "group": applicants[row["code"]]["group"]}
            for row in result["order"]]


# --- staff -----------------------------------------------------------------------------------------------------------

def desk_pending(*, user: User) -> QuerySet[StayBooking]:
    _staff_or_404(user)
    return (StayBooking.objects.filter(status=StayStatus.PENDING).select_related("guest", "station",
                                                                                   "bed__room__station")
            .order_by("decision_due", "created_at"))


def desk_arrivals(*, user: User, day: date | None = None) -> QuerySet[StayBooking]:
    _staff_or_404(user)
    today = day or wd.today()
    return (StayBooking.objects.filter(Q(status=StayStatus.CONFIRMED, check_in__lte=today, check_out__gt=today)
                                       | Q(status=StayStatus.CHECKED_IN))
            .select_related("guest", "station", "bed__room__station").order_by("check_in", "pk"))


def stay_for_staff(*, user: User, pk: int) -> StayBooking:
    _staff_or_404(user)
    booking = StayBooking.objects.select_related("guest", "station", "bed__room").filter(pk=pk).first()
    if booking is None:
        raise NotFound(_("预订不存在。"))
    return booking


def projects_for_staff(*, user: User) -> QuerySet[Project]:
    _staff_or_404(user)
    return Project.objects.annotate(unit_count=Count("buildings__units"))


def units_for_staff(*, user: User, project: str = "", status: str = "") -> QuerySet[Unit]:
    _staff_or_404(user)
    qs = Unit.objects.select_related("building__project")
    if project:
        qs = qs.filter(building__project__code=project)
    if status:
        qs = qs.filter(status=status)
    return qs


def unit_for_staff(*, user: User, pk: int) -> Unit:
    unit = units_for_staff(user=user).filter(pk=pk).first()
    if unit is None:
        raise NotFound(_("房源不存在。"))
    return unit


def stations_for_staff(*, user: User) -> QuerySet[WarmStation]:
    _staff_or_404(user)
    return WarmStation.objects.annotate(bed_count=Count("rooms__beds"))


def station_for_staff(*, user: User, pk: int) -> WarmStation:
    station = stations_for_staff(user=user).filter(pk=pk).first()
    if station is None:
        raise NotFound(_("驿站不存在。"))
    return station


def bed_for_staff(*, user: User, pk: int) -> Bed:
    _staff_or_404(user)
    bed = Bed.objects.select_related("room__station").filter(pk=pk).first()
    if bed is None:
        raise NotFound(_("床位不存在。"))
    return bed


def bed_upcoming_nights(*, user: User, bed: Bed, today: date) -> QuerySet[BedNight]:
    """The bed's booked nights from tonight on, with their bookings (what taking it out of service would move)."""
    _staff_or_404(user)
    return (BedNight.objects.filter(bed=bed, night__gte=today).select_related("booking__guest")
            .order_by("night"))


def unit_rounds(*, user: User, unit: Unit) -> QuerySet[AllocationRound]:
    _staff_or_404(user)
    return AllocationRound.objects.filter(round_units__unit=unit).order_by("-opens_on")


def round_applications(*, user: User, rnd: AllocationRound) -> QuerySet[Application]:
    _staff_or_404(user)
    return (Application.objects.filter(round=rnd).select_related("applicant")
            .prefetch_related("offers__unit").order_by("position", "rank", "code"))


def leases_for_staff(*, user: User, flagged: bool = False) -> QuerySet[Lease]:
    _staff_or_404(user)
    qs = Lease.objects.select_related("tenant", "unit__building__project")
    return qs.filter(review_flag=True) if flagged else qs


def gifts_for_staff(*, user: User) -> QuerySet[GiftedEntitlement]:
    _staff_or_404(user)
    return GiftedEntitlement.objects.select_related("holder", "unit")


def gift_for_staff(*, user: User, pk: int) -> GiftedEntitlement:
    gift = gifts_for_staff(user=user).filter(pk=pk).first()
    if gift is None:
        raise NotFound(_("记录不存在。"))
    return gift


def gifted_units_free(*, user: User, max_area: int | None = None) -> QuerySet[Unit]:
    _staff_or_404(user)
    qs = Unit.objects.filter(building__project__kind=ProjectKind.GIFTED, status=UnitStatus.VACANT)
    return qs.filter(area_m2__lte=max_area) if max_area is not None else qs.order_by("-area_m2", "code")


def apartment_units_free(*, user: User) -> QuerySet[Unit]:
    _staff_or_404(user)
    return Unit.objects.filter(building__project__kind=ProjectKind.APARTMENT, status=UnitStatus.VACANT).exclude(
        round_offers__round__status__in=[RoundStatus.DRAFT, RoundStatus.OPEN, RoundStatus.CLOSED,
                                         RoundStatus.PUBLISHED, RoundStatus.DRAWN]).select_related("building__project")


# --- occupancy over time (dashboard) ---------------------------------------------------------------------------------

def occupancy(*, user: User, start: date, end: date) -> dict[str, Any]:
    """Per day in [start, end]: beds and units free / reserved / occupied. Beds from the per-night slots (a night of
    a checked-in or checked-out stay is occupied, of a pending or confirmed one reserved); units from leases (active
    on that day → occupied), offers open on that day and assigned gifted housing (reserved). A handful of queries."""
    _staff_or_404(user)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    beds_total = Bed.objects.filter(is_active=True).count()
    occupied_states = [StayStatus.CHECKED_IN, StayStatus.CHECKED_OUT]
    bed_rows: Counter[tuple[date, str]] = Counter()
    for night, status in BedNight.objects.filter(night__gte=start, night__lte=end).values_list(
            "night", "booking__status"):
        bed_rows[(night, "occupied" if status in occupied_states else "reserved")] += 1
    units_total = Unit.objects.exclude(status=UnitStatus.MAINTENANCE).count()
    leases = list(Lease.objects.filter(start_date__lte=end).filter(
        Q(moved_out_on__isnull=True) | Q(moved_out_on__gte=start)).values_list("start_date", "moved_out_on"))
    offers = [(timezone.localtime(c).date(), timezone.localtime(d).date() if d else None)
              for c, d in Offer.objects.filter(created_at__date__lte=end).filter(
                  Q(decided_at__isnull=True) | Q(decided_at__date__gte=start)).exclude(
                  status=OfferStatus.ACCEPTED, decided_at__date__lt=start).values_list("created_at", "decided_at")]
    gifts = list(GiftedEntitlement.objects.filter(status__in=[GiftStatus.ASSIGNED, GiftStatus.DELIVERED,
                                                              GiftStatus.REVIEW], unit__isnull=False)
                 .values_list("assigned_at", "delivered_on"))
    series: dict[str, list[int]] = {k: [] for k in ("beds_free", "beds_reserved", "beds_occupied", "units_free",
                                                    "units_reserved", "units_occupied")}
    for d in days:
        occ, res = bed_rows[(d, "occupied")], bed_rows[(d, "reserved")]
        series["beds_occupied"].append(occ)
        series["beds_reserved"].append(res)
        series["beds_free"].append(max(beds_total - occ - res, 0))
        u_occ = sum(1 for s, m in leases if s <= d and (m is None or m > d))
        u_occ += sum(1 for a, dl in gifts if dl is not None and dl <= d)
        u_res = sum(1 for c, dd in offers if c <= d and (dd is None or dd > d))
        u_res += sum(1 for a, dl in gifts if a is not None and timezone.localtime(a).date() <= d
                     and (dl is None or dl > d))
        series["units_occupied"].append(u_occ)
        series["units_reserved"].append(u_res)
        series["units_free"].append(max(units_total - u_occ - u_res, 0))
    return {"days": [d.isoformat() for d in days], "beds_total": beds_total, "units_total": units_total, **series}


def occupancy_chart(data: dict[str, Any], *, prefix: str, title: str) -> dict[str, Any]:
    """An ECharts option (stacked areas) for beds or units."""
    names = [("free", _("空闲"), "#adb5bd"), ("reserved", _("已预留"), "#ffc107"), ("occupied", _("已入住"), "#198754")]
    return {
        "title": {"text": title, "left": "center", "textStyle": {"fontSize": 14}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 48},
        "xAxis": {"type": "category", "data": data["days"], "boundaryGap": False},
        "yAxis": {"type": "value", "minInterval": 1},
        "series": [{"name": label, "type": "line", "stack": "total", "areaStyle": {}, "symbol": "none",
                    "itemStyle": {"color": color}, "data": data[f"{prefix}_{key}"]} for key, label, color in names],
    }


def desk_counts(*, user: User) -> dict[str, int]:
    _staff_or_404(user)
    today = wd.today()
    return {
        "pending": StayBooking.objects.filter(status=StayStatus.PENDING).count(),
        "overdue": StayBooking.objects.filter(status=StayStatus.PENDING, decision_due__lt=today).count(),
        "arrivals": StayBooking.objects.filter(status=StayStatus.CONFIRMED, check_in=today).count(),
        "flagged": Lease.objects.filter(review_flag=True, status=LeaseStatus.ACTIVE).count(),
        "offers_open": Offer.objects.filter(status=OfferStatus.OPEN).count(),
        "gifts_waiting": GiftedEntitlement.objects.filter(status=GiftStatus.ENTITLED).count(),
        "applications": Application.objects.filter(status=ApplicationStatus.SUBMITTED).count(),
    }
