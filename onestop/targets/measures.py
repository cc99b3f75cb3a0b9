"""The measures: how each figure is counted from the platform's own records.

A *source* is a set of records dated within a period (new jobs, registrations, certificates, events, visits, stays,
leases, decided tasks, closed problems) with the date field that places a record in a month, the breakdowns it
supports and how one record is shown in a drill-down (personal names masked). A *measure* is a filter on a source
plus what is computed: a count, a ratio (per cent of records meeting a condition), an average, or the number of
months with at least one record.

Every figure of one source is computed by **one aggregate query** grouped by month (``COUNT(*) FILTER (WHERE …)`` per
measure), so the dashboard costs one query per source however many targets read it; the drill-down lists exactly the
records the figure counts (the same queryset, filtered). docs/modules/targets.md states each definition in words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from onestop.core.masking import mask_name
from onestop.employers.choices import KEY_INDUSTRIES, Industry

COUNT, RATIO, AVERAGE, MONTHS = "count", "ratio", "average", "months"
DIMENSIONS: dict[str, Promise] = {
    "industry": _("重点产业"), "tier": _("人才层次"), "employer": _("用人单位"), "department": _("部门"),
}
HIGH_LEVEL_TIERS = ("A", "B", "C", "D", "国际一流", "国内一流", "省内一流")
COLLEGE_EDUCATION = ("junior_college", "bachelor", "master", "doctor")
EMPLOYER_TOP = 10
OTHER, NONE = "other", "none"


def aware(day: date) -> datetime:
    """Local midnight at the start of ``day`` (the platform's time zone), for ranges over DateTimeFields."""
    return timezone.make_aware(datetime.combine(day, time.min))


def period(year: int, as_of: date) -> tuple[date, date]:
    """[first, end): from 1 January to the day after ``as_of`` (never past the year's end)."""
    first = date(year, 1, 1)
    end = min(as_of + timedelta(days=1), date(year + 1, 1, 1))
    return first, max(end, first)


# --- sources --------------------------------------------------------------------------------------------------------

Row = dict[str, Any]


@dataclass(frozen=True)
class Source:
    key: str
    title: Promise
    date_field: str
    base: Callable[[date, date], QuerySet[Any]]
    columns: tuple[tuple[str, Promise], ...]
    row: Callable[[Any], Row]
    related: tuple[str, ...] = ()
    dims: dict[str, str] = field(default_factory=dict)
    order: tuple[str, ...] = ("pk",)


def _dt_range(name: str, first: date, end: date) -> Q:
    return Q(**{f"{name}__gte": aware(first), f"{name}__lt": aware(end)})


def _employment(first: date, end: date) -> QuerySet[Any]:
    """New jobs in the period, one per person: a job starting in the period that the employer has not denied, and
    no earlier (or same-day, lower-numbered) such job of the same person in the period — so a person who changes jobs
    within the year is counted once, in the month of their first new job."""
    from onestop.employers.models import EmploymentDecision
    from onestop.talents.models import Employment

    denied = EmploymentDecision.objects.filter(employment_id=OuterRef("pk"), decision="denied")
    earlier_denied = EmploymentDecision.objects.filter(employment_id=OuterRef("pk"), decision="denied")
    earlier = (Employment.objects.filter(profile_id=OuterRef("profile_id"), start_date__gte=first)
               .filter(Q(start_date__lt=OuterRef("start_date")) | Q(start_date=OuterRef("start_date"), pk__lt=OuterRef("pk")))
               .filter(~Exists(earlier_denied)))
    return Employment.objects.filter(start_date__gte=first, start_date__lt=end).filter(~Exists(denied), ~Exists(earlier))


def _registry(first: date, end: date) -> QuerySet[Any]:
    from onestop.talents.models import TalentProfile

    return TalentProfile.objects.filter(_dt_range("created_at", first, end))


def _certificates(first: date, end: date) -> QuerySet[Any]:
    from onestop.talents.models import Certificate

    return Certificate.objects.filter(_dt_range("issued_at", first, end)).exclude(status="revoked")


def _nominations(first: date, end: date) -> QuerySet[Any]:
    from onestop.talents.models import CertificationApplication

    return (CertificationApplication.objects.filter(_dt_range("created_at", first, end))
            .exclude(status="withdrawn").exclude(applied_by_id=F("profile__user_id")))


def _events(first: date, end: date) -> QuerySet[Any]:
    from onestop.engagement.models import Event

    # Held: finished, or published and already started (never counted before it starts).
    until = min(aware(end), timezone.now())
    return Event.objects.filter(starts_at__gte=aware(first), starts_at__lt=until, status__in=["finished", "published"])


def _visits(first: date, end: date) -> QuerySet[Any]:
    from onestop.engagement.models import Visit

    return Visit.objects.filter(visited_on__gte=first, visited_on__lt=end)


def _stays(first: date, end: date) -> QuerySet[Any]:
    from onestop.housing.models import StayBooking

    return StayBooking.objects.filter(check_in__gte=first, check_in__lt=end, status__in=["checked_in", "checked_out"])


def _leases(first: date, end: date) -> QuerySet[Any]:
    from onestop.housing.models import Lease

    return Lease.objects.filter(start_date__gte=first, start_date__lt=end)


def _tasks(first: date, end: date) -> QuerySet[Any]:
    from onestop.workflow.models import Task

    return Task.objects.filter(_dt_range("decided_at", first, end), state__in=["approved", "rejected"],
                               department__isnull=False, due_date__isnull=False)


def _problems(first: date, end: date) -> QuerySet[Any]:
    from onestop.engagement.models import Problem

    return Problem.objects.filter(_dt_range("closed_at", first, end), status="closed", satisfaction__isnull=False)


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _name(user: Any) -> str:
    return mask_name(getattr(user, "real_name", "") or "")


SOURCES: dict[str, Source] = {s.key: s for s in (
    Source("employment", _("新入职（人才档案·工作经历）"), "start_date", _employment,
           columns=(("talent", _("人才")), ("number", _("档案号")), ("employer", _("用人单位")),
                    ("industry", _("产业")), ("start", _("入职日期")), ("education", _("学历")),
                    ("skill", _("技能等级"))),
           row=lambda e: {"talent": _name(e.profile.user), "number": e.profile.registry_number,
                          "employer": e.enterprise.name, "industry": e.enterprise.get_industry_display(),
                          "start": e.start_date.isoformat(), "education": e.profile.get_education_display(),
                          "skill": e.profile.get_skill_level_display()},
           related=("profile__user", "enterprise"), dims={"industry": "enterprise__industry", "employer": "enterprise_id"},
           order=("start_date", "pk")),
    Source("registry", _("人才登记（人才档案）"), "created_at", _registry,
           columns=(("talent", _("人才")), ("number", _("档案号")), ("skill", _("技能等级")), ("education", _("学历")),
                    ("employer", _("工作单位")), ("industry", _("产业")), ("registered", _("登记时间"))),
           row=lambda p: {"talent": _name(p.user), "number": p.registry_number, "skill": p.get_skill_level_display(),
                          "education": p.get_education_display(), "employer": p.employer.name if p.employer else "",
                          "industry": p.get_industry_display(), "registered": _local(p.created_at)},
           related=("user", "employer"), dims={"industry": "industry", "employer": "employer_id"},
           order=("created_at", "pk")),
    Source("certificates", _("人才认定证书"), "issued_at", _certificates,
           columns=(("number", _("证书编号")), ("talent", _("人才")), ("tier", _("人才层次")), ("employer", _("用人单位")),
                    ("issued", _("发证时间"))),
           row=lambda c: {"number": c.number, "talent": _name(c.profile.user), "tier": c.get_tier_display(),
                          "employer": c.application.enterprise.name if c.application.enterprise else "",
                          "issued": _local(c.issued_at)},
           related=("profile__user", "application__enterprise"),
           dims={"tier": "tier", "industry": "profile__industry", "employer": "application__enterprise_id"},
           order=("issued_at", "pk")),
    Source("nominations", _("用人单位推荐认定（认定申请）"), "created_at", _nominations,
           columns=(("reference", _("申请编号")), ("talent", _("人才")), ("employer", _("推荐单位")),
                    ("tier", _("申报层次")), ("status", _("状态")), ("applied", _("申请时间"))),
           row=lambda a: {"reference": a.reference, "talent": _name(a.profile.user),
                          "employer": a.enterprise.name if a.enterprise else "", "tier": a.get_claimed_tier_display(),
                          "status": a.get_status_display(), "applied": _local(a.created_at)},
           related=("profile__user", "enterprise"),
           dims={"tier": "claimed_tier", "industry": "enterprise__industry", "employer": "enterprise_id"},
           order=("created_at", "pk")),
    Source("events", _("活动（已举办）"), "starts_at", _events,
           columns=(("title", _("活动")), ("kind", _("类型")), ("venue", _("举办地")), ("starts", _("开始时间")),
                    ("department", _("主办部门")), ("registered", _("报名人数")), ("status", _("状态"))),
           row=lambda e: {"title": e.title, "kind": e.get_kind_display(), "venue": e.get_venue_kind_display(),
                          "starts": _local(e.starts_at), "department": e.department.name,
                          "registered": e.registered_count, "status": e.get_status_display()},
           related=("department",), dims={"department": "department_id"}, order=("starts_at", "pk")),
    Source("visits", _("万人助万企走访记录"), "visited_on", _visits,
           columns=(("date", _("走访日期")), ("enterprise", _("企业")), ("official", _("包联干部")),
                    ("explained", _("宣讲的政策"))),
           row=lambda v: {"date": v.visited_on.isoformat(), "enterprise": v.enterprise.name,
                          "official": _name(v.official), "explained": v.explained[:60]},
           related=("enterprise", "official"),
           dims={"industry": "enterprise__industry", "employer": "enterprise_id"}, order=("visited_on", "pk")),
    Source("stays", _("暖心驿站入住"), "check_in", _stays,
           columns=(("reference", _("预订编号")), ("guest", _("入住人")), ("station", _("驿站")), ("check_in", _("入住日期")),
                    ("nights", _("晚数")), ("status", _("状态"))),
           row=lambda s: {"reference": s.reference, "guest": _name(s.guest), "station": s.station.name,
                          "check_in": s.check_in.isoformat(), "nights": s.nights, "status": s.get_status_display()},
           related=("guest", "station"), order=("check_in", "pk")),
    Source("leases", _("人才公寓租赁合同"), "start_date", _leases,
           columns=(("reference", _("合同编号")), ("tenant", _("承租人")), ("unit", _("房源")), ("start", _("起租日")),
                    ("end", _("到期日")), ("status", _("状态"))),
           row=lambda x: {"reference": x.reference, "tenant": _name(x.tenant), "unit": x.unit.code,
                          "start": x.start_date.isoformat(), "end": x.end_date.isoformat(),
                          "status": x.get_status_display()},
           related=("tenant", "unit"), order=("start_date", "pk")),
    Source("tasks", _("办件环节（已办结）"), "decided_at", _tasks,
           columns=(("reference", _("办件编号")), ("workflow", _("事项")), ("step", _("环节")), ("department", _("部门")),
                    ("due", _("办理期限")), ("decided", _("办结时间")), ("met", _("按期"))),
           row=lambda t: {"reference": t.case.reference, "workflow": t.case.definition.name, "step": t.step.name,
                          "department": t.department.name if t.department else "", "due": t.due_date.isoformat(),
                          "decided": _local(t.decided_at),
                          "met": str(_("是")) if timezone.localtime(t.decided_at).date() <= t.due_date else str(_("否"))},
           related=("case__definition", "step", "department"), dims={"department": "department_id"},
           order=("decided_at", "pk")),
    Source("problems", _("万人助万企问题台账（已销号）"), "closed_at", _problems,
           columns=(("reference", _("编号")), ("enterprise", _("企业")), ("title", _("问题")), ("department", _("责任部门")),
                    ("closed", _("销号时间")), ("satisfaction", _("满意度"))),
           row=lambda p: {"reference": p.reference, "enterprise": p.enterprise.name, "title": p.title,
                          "department": p.owner_department.name, "closed": _local(p.closed_at),
                          "satisfaction": p.satisfaction},
           related=("enterprise", "owner_department"),
           dims={"department": "owner_department_id", "industry": "enterprise__industry", "employer": "enterprise_id"},
           order=("closed_at", "pk")),
)}


# --- measures ---------------------------------------------------------------------------------------------------------

Where = Q | Callable[[int], Q]


@dataclass(frozen=True)
class Measure:
    key: str
    title: Promise
    definition: Promise
    source: str
    kind: str = COUNT
    where: Where = field(default_factory=Q)
    met: Where | None = None  # ratio: the records meeting the condition
    value_field: str = ""  # average: the field averaged
    # For the grouped count only: disjoint conditions whose counts add up to ``where``'s. The first joins the
    # source's shared query; each other one is its own small query. Used where ``where`` holds a correlated
    # subquery, which would keep PostgreSQL from aggregating in its parallel workers (every row gathered to one).
    parts: tuple[Callable[[int], Q], ...] = ()

    def condition(self, year: int) -> Q:
        return self.where(year) if callable(self.where) else self.where

    def met_condition(self, year: int) -> Q:
        assert self.met is not None
        return self.met(year) if callable(self.met) else self.met


def _graduates(year: int) -> Q:
    return Q(profile__education__in=COLLEGE_EDUCATION, profile__graduation_date__gte=date(year - 2, 1, 1),
             profile__graduation_date__lt=date(year + 1, 1, 1))


def _doctor_records() -> QuerySet[Any]:
    from onestop.talents.models import EducationRecord

    return EducationRecord.objects.filter(level__in=["doctor", "postdoc"])


def _doctors(year: int) -> Q:
    return Q(profile__education="doctor") | Q(Exists(_doctor_records().filter(profile_id=OuterRef("profile_id"))))


def _doctor_by_degree(year: int) -> Q:
    return Q(profile__education="doctor")


def _doctor_by_record_only(year: int) -> Q:
    return Q(profile_id__in=_doctor_records().values("profile_id")) & ~Q(profile__education="doctor")


def _fixed_offset(year: int) -> timedelta | None:
    """The platform time zone's UTC offset if it is the same all through ``year`` (no daylight saving)."""
    zone = timezone.get_default_timezone()
    offsets = {datetime(year, month, 1, 12, tzinfo=zone).utcoffset() for month in (1, 4, 7, 10, 12)}
    return offsets.pop() if len(offsets) == 1 else None


def _decided_by_due_date(year: int) -> Q:
    """Decided on or before the due date (a local calendar date). On PostgreSQL, when the zone's offset is fixed,
    as ``decided_at < due_date + (1 day − offset)`` — the due date's local end in UTC, the connection's time zone —
    which spares a time-zone conversion per row; otherwise the local date of the decision is compared."""
    offset = _fixed_offset(year) if connection.vendor == "postgresql" else None
    if offset is not None:
        end_of_due = ExpressionWrapper(F("due_date") + Value(timedelta(days=1) - offset), output_field=DateTimeField())
        return Q(decided_at__lt=end_of_due)
    return Q(decided_at__date__lte=F("due_date"))


MEASURES: dict[str, Measure] = {m.key: m for m in (
    Measure("employed_new", _("新增就业人数"), _(
        "当年在区内用人单位开始新工作的人数：工作经历的入职日期在当年、且未被单位否认在职；同一人当年多次入职只计一次"
        "（计入首次入职的月份）。按入职日期统计。"), "employment"),
    Measure("graduates_employed", _("高校毕业生就业人数"), _(
        "新增就业人数中，最高学历为大专及以上、毕业时间在当年或前两年（择业期内）的人数。按入职日期统计。"
        "自主创业平台无记录，未计入。"), "employment", where=_graduates),
    Measure("skilled_employed", _("技能人才就业人数"), _(
        "新增就业人数中，人才档案登记了职业技能等级（高级工、预备技师、技师、高级技师）的人数。按入职日期统计。"),
        "employment", where=~Q(profile__skill_level="")),
    Measure("phd_recruited", _("新引进博士、博士后"), _(
        "新增就业人数中，最高学历为博士或学历记录中有博士、博士后经历的人数。按入职日期统计。"),
        "employment", where=_doctors, parts=(_doctor_by_degree, _doctor_by_record_only)),
    Measure("nominations", _("推荐申报高层次人才"), _(
        "用人单位代人才提交的人才认定申请（提交人不是人才本人），申报层次为 A–D 类或医学科学城三类，当年提交、未撤回。"
        "按申请时间统计。"), "nominations", where=Q(claimed_tier__in=HIGH_LEVEL_TIERS)),
    Measure("high_skilled_new", _("新增高技能人才"), _(
        "当年在平台登记、档案中职业技能等级为高级工及以上（高级工、预备技师、技师、高级技师）的人才。按登记时间统计。"),
        "registry", where=~Q(skill_level="")),
    Measure("technicians_new", _("其中：技师、高级技师"), _(
        "新增高技能人才中，职业技能等级为技师或高级技师的人才。按登记时间统计。"),
        "registry", where=Q(skill_level__in=["technician", "senior_technician"])),
    Measure("high_level_introduced", _("引进高层次人才"), _(
        "当年颁发、未撤销的人才认定证书中，层次为 A–D 类或医学科学城国际一流、国内一流、省内一流的证书数。按发证时间统计。"),
        "certificates", where=Q(tier__in=HIGH_LEVEL_TIERS)),
    Measure("certifications", _("人才认定（按层次）"), _(
        "当年颁发、未撤销的人才认定证书数（A–E 类及医学科学城三类），可按层次分类。按发证时间统计。"), "certificates"),
    Measure("recruitment_events", _("招才引智活动"), _(
        "当年已举办的招才引智活动：状态为已结束，或已发布且已开始；已取消、筹备中的不计。按开始时间统计。"),
        "events", where=Q(kind="recruitment")),
    Measure("publicity_events", _("政策宣讲活动"), _(
        "当年已举办的政策宣讲活动：状态为已结束，或已发布且已开始；已取消、筹备中的不计。按开始时间统计。"),
        "events", where=Q(kind="publicity")),
    Measure("visit_months", _("万人助万企按月走访"), _(
        "当年有万人助万企走访记录的月份数（每月至少一次走访即计该月）。下钻列出这些月份的走访记录。按走访日期统计。"),
        "visits", kind=MONTHS),
    Measure("enterprise_visits", _("万人助万企走访次数"), _("当年登记的万人助万企走访记录数。按走访日期统计。"), "visits"),
    Measure("warm_stays", _("暖心驿站入住人次"), _(
        "入住日期在当年、状态为已入住或已退房的驿站预订数（未到店、取消、未通过的不计）。按入住日期统计。"), "stays"),
    Measure("apartments_let", _("人才公寓签约出租"), _("起租日在当年的人才公寓租赁合同数。按起租日统计。"), "leases"),
    Measure("deadlines_met", _("办件按期办结率"), _(
        "当年办结（通过或退回）的部门办理环节中，在办理期限当日或之前办结的比例（%）。期限按法定工作日计算，"
        "补充材料期间暂停计时。按办结时间统计。"), "tasks", kind=RATIO,
        met=lambda year: _decided_by_due_date(year)),
    Measure("satisfaction", _("企业问题办理满意度"), _(
        "当年销号的万人助万企问题中，企业确认时给出的满意度（1–5 分）的平均值。按销号时间统计。"),
        "problems", kind=AVERAGE, value_field="satisfaction"),
)}


def measure_choices() -> list[tuple[str, str]]:
    return [(m.key, str(m.title)) for m in MEASURES.values()]


# --- computing ---------------------------------------------------------------------------------------------------------

@dataclass
class Monthly:
    """A measure's aggregates per month (index 0 = January): ``a`` counts (or the numerator, or the sum averaged),
    ``b`` the denominator (ratio) or the number of values (average)."""

    kind: str
    a: list[float] = field(default_factory=lambda: [0.0] * 12)
    b: list[float] = field(default_factory=lambda: [0.0] * 12)

    def value(self, months: int = 12) -> float | None:
        a, b = sum(self.a[:months]), sum(self.b[:months])
        if self.kind == MONTHS:
            return float(sum(1 for x in self.a[:months] if x > 0))
        if self.kind == RATIO:
            return round(100.0 * a / b, 1) if b else None
        if self.kind == AVERAGE:
            return round(a / b, 2) if b else None
        return a

    def month_value(self, i: int) -> float | None:
        if self.kind == MONTHS:
            return 1.0 if self.a[i] > 0 else 0.0
        if self.kind == RATIO:
            return round(100.0 * self.a[i] / self.b[i], 1) if self.b[i] else None
        if self.kind == AVERAGE:
            return round(self.a[i] / self.b[i], 2) if self.b[i] else None
        return self.a[i]


def _num(value: Any) -> float:
    if value is None:
        return 0.0
    return float(value)


def _aggregates(measure: Measure, year: int, alias: str, *, whole: bool = False) -> dict[str, Any]:
    """The measure's aggregates; with ``whole`` its full condition even where it has ``parts``."""
    cond: Q | None = (measure.parts[0](year) if measure.parts and not whole else measure.condition(year)) or None
    if measure.kind == RATIO:
        met = measure.met_condition(year)
        return {f"{alias}_a": Count("pk", filter=cond & met if cond else met),
                f"{alias}_b": Count("pk", filter=cond)}
    if measure.kind == AVERAGE:
        return {f"{alias}_a": Sum(measure.value_field, filter=cond),
                f"{alias}_b": Count(measure.value_field, filter=cond)}
    return {f"{alias}_a": Count("pk", filter=cond)}


def _is_datetime(source: Source) -> bool:
    model = source.base(date(2000, 1, 1), date(2000, 1, 2)).model
    return isinstance(model._meta.get_field(source.date_field), DateTimeField)


def month_of(source: Source, year: int) -> Any:
    """The month (1–12) of a record's date within ``year``. For a date-time: a CASE over the year's local month
    boundaries (comparisons only, on any database) instead of a time-zone conversion per row — on the benchmark it
    is several times cheaper than EXTRACT(month FROM … AT TIME ZONE …) or width_bucket. Both place a record by local
    midnight, as the drill-down's month filter does."""
    if _is_datetime(source):
        whens = [When(Q(**{f"{source.date_field}__lt": aware(date(year, m + 1, 1))}), then=Value(m))
                 for m in range(1, 12)]
        return Case(*whens, default=Value(12), output_field=IntegerField())
    return ExtractMonth(source.date_field)


@contextmanager
def _aggregate_session() -> Iterator[None]:
    """PostgreSQL's JIT compiler costs more than these aggregates take (seconds against tens of milliseconds on the
    benchmark): off for this transaction only; enough work memory to group in memory."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '32MB'")  # group in memory, never an on-disk sort
        # Solid-state storage: an index lookup costs about a sequential read. With the default (4) the planner
        # scans a million profiles to join a few thousand nominations (≈ 5× slower on the benchmark).
        cursor.execute("SET LOCAL random_page_cost = 1.1")
        yield


def _source_rows(source_key: str, measures: list[Measure], year: int, first: date, end: date) -> list[dict[str, Any]]:
    source = SOURCES[source_key]
    aggs: dict[str, Any] = {}
    for i, m in enumerate(measures):
        aggs.update(_aggregates(m, year, f"m{i}"))
    with _aggregate_session():
        return list(source.base(first, end).annotate(_month=month_of(source, year))
                    .values("_month").annotate(**aggs).order_by())


def _in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    try:
        return fn(*args)
    finally:
        connections.close_all()  # this thread's own connections


LARGE_SOURCES = ["employment", "tasks", "nominations", "registry"]


def _parallel() -> int:
    """Sources are counted on this many connections at once (PostgreSQL, outside a transaction: a thread cannot
    see another connection's uncommitted rows, so inside one — tests, a service — they run one after the other)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return 1
    return max(1, int(getattr(settings, "TARGETS_PARALLEL_QUERIES", 2)))


def monthly(keys: Iterable[str], year: int, as_of: date) -> dict[str, Monthly]:
    """Every named measure's monthly aggregates for ``year`` up to ``as_of``: one grouped query per source."""
    first, end = period(year, as_of)
    wanted = [MEASURES[k] for k in dict.fromkeys(keys) if k in MEASURES]
    out = {m.key: Monthly(m.kind) for m in wanted}
    if end <= first:
        return out
    by_source: dict[str, list[Measure]] = {}
    for m in wanted:
        by_source.setdefault(m.source, []).append(m)
    workers = min(_parallel(), len(by_source))
    if workers > 1:
        # the largest sources first, so the pool's connections finish together
        by_source = dict(sorted(by_source.items(), key=lambda kv: LARGE_SOURCES.index(kv[0])
                                if kv[0] in LARGE_SOURCES else len(LARGE_SOURCES)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {key: pool.submit(_in_thread, _source_rows, key, ms, year, first, end)
                       for key, ms in by_source.items()}
            results = {key: f.result() for key, f in futures.items()}
    else:
        results = {key: _source_rows(key, ms, year, first, end) for key, ms in by_source.items()}
    for source_key, measures in by_source.items():
        for row in results[source_key]:
            month = int(row["_month"]) - 1
            for i, m in enumerate(measures):
                out[m.key].a[month] += _num(row.get(f"m{i}_a"))
                out[m.key].b[month] += _num(row.get(f"m{i}_b"))
    for m in wanted:
        for part in m.parts[1:]:
            source = SOURCES[m.source]
            with _aggregate_session():
                rows = list(source.base(first, end).filter(part(year)).annotate(_month=month_of(source, year))
                            .values("_month").annotate(n=Count("pk")).order_by())
            for row in rows:
                out[m.key].a[int(row["_month"]) - 1] += _num(row["n"])
    return out


# --- breakdowns and drill-down -------------------------------------------------------------------------------------------

def dimensions_of(measure: Measure) -> list[str]:
    return list(SOURCES[measure.source].dims)


def records(measure: Measure, year: int, as_of: date, *, month: int | None = None, dim: str = "",
            key: str = "") -> QuerySet[Any]:
    """The records behind a figure (or one month's, or one breakdown bar's): the same queryset the figure counts."""
    source = SOURCES[measure.source]
    first, end = period(year, as_of)
    qs = source.base(first, end)
    cond = measure.condition(year)
    if cond:
        qs = qs.filter(cond)
    if month is not None:
        qs = qs.annotate(_month=ExtractMonth(source.date_field)).filter(_month=month)
    if dim:
        qs = qs.filter(_dimension_filter(measure, year, as_of, dim, key))
    return qs.select_related(*source.related).order_by(*source.order)


def _dimension_filter(measure: Measure, year: int, as_of: date, dim: str, key: str) -> Q:
    field_name = SOURCES[measure.source].dims[dim]
    if key == NONE:
        return Q(**{f"{field_name}__isnull": True}) | Q(**{field_name: ""}) if dim in ("industry", "tier") else \
            Q(**{f"{field_name}__isnull": True})
    if dim == "industry":
        if key == OTHER:
            return ~Q(**{f"{field_name}__in": [str(i) for i in KEY_INDUSTRIES]}) & ~Q(**{field_name: ""}) & Q(
                **{f"{field_name}__isnull": False})
        return Q(**{field_name: key})
    if dim == "employer" and key == OTHER:
        top = [int(row["key"]) for row in breakdown(measure, year, as_of, "employer") if row["key"] not in (OTHER, NONE)]
        return Q(**{f"{field_name}__isnull": False}) & ~Q(**{f"{field_name}__in": top})
    if dim in ("employer", "department"):
        try:
            return Q(**{field_name: int(key)})
        except ValueError:
            return Q(pk__in=[])
    return Q(**{field_name: key})


def _agg_value(kind: str, a: float, b: float) -> float | None:
    if kind == RATIO:
        return round(100.0 * a / b, 1) if b else None
    if kind == AVERAGE:
        return round(a / b, 2) if b else None
    return a


def breakdown(measure: Measure, year: int, as_of: date, dim: str) -> list[dict[str, Any]]:
    """The figure split by one dimension: ``[{key, label, value, records}]``. Industries: the four key industries,
    then the others together; employers: the ten largest, then the others together; months-measures count the
    months with records in each group."""
    source = SOURCES[measure.source]
    field_name = source.dims[dim]
    first, end = period(year, as_of)
    qs = source.base(first, end)
    cond = measure.condition(year)
    if cond:
        qs = qs.filter(cond)
    aggs: dict[str, Any] = {"records": Count("pk")}
    if measure.kind == RATIO:
        aggs["a"] = Count("pk", filter=measure.met_condition(year))
        aggs["b"] = Count("pk")
    elif measure.kind == AVERAGE:
        aggs["a"] = Sum(measure.value_field)
        aggs["b"] = Count(measure.value_field)
    elif measure.kind == MONTHS:
        aggs["a"] = Count(ExtractMonth(source.date_field), distinct=True)
    groups: dict[str, list[float]] = {}
    with _aggregate_session():
        grouped = list(qs.values(field_name).annotate(**aggs).order_by())
    for row in grouped:
        raw = row[field_name]
        if raw in (None, ""):
            k = NONE
        elif dim == "industry" and raw not in [str(i) for i in KEY_INDUSTRIES]:
            k = OTHER
        else:
            k = str(raw)
        acc = groups.setdefault(k, [0.0, 0.0, 0.0])
        acc[0] += _num(row.get("a", row["records"]))
        acc[1] += _num(row.get("b", 0))
        acc[2] += _num(row["records"])
    if measure.kind == MONTHS and dim == "industry" and OTHER in groups:
        # distinct months cannot be added across merged groups: count them again for the merged "others"
        other = qs.filter(_dimension_filter(measure, year, as_of, dim, OTHER)).aggregate(
            a=Count(ExtractMonth(source.date_field), distinct=True))
        groups[OTHER][0] = _num(other["a"])
    if dim == "employer":
        groups = _top_employers(measure, qs, groups, source)
    rows: list[dict[str, Any]] = [{"key": k, "value": _agg_value(measure.kind, v[0], v[1]), "records": int(v[2])}
                                  for k, v in groups.items()]
    labels = _labels(dim, [str(r["key"]) for r in rows])
    for r in rows:
        r["label"] = labels.get(r["key"], r["key"])
    order = _dimension_order(dim)
    rows.sort(key=lambda r: (order.get(r["key"], 50), -(r["value"] or 0), str(r["label"])))
    return rows


def _top_employers(measure: Measure, qs: QuerySet[Any], groups: dict[str, list[float]],
                   source: Source) -> dict[str, list[float]]:
    """The ten largest employers and the rest as one group. Counts, ratios and averages add up from the groups
    already read; distinct months do not, so for a months-measure the rest is counted once more."""
    named = sorted((k for k in groups if k != NONE),
                   key=lambda k: (-(_agg_value(measure.kind, groups[k][0], groups[k][1]) or 0), k))
    top, rest = named[:EMPLOYER_TOP], named[EMPLOYER_TOP:]
    out = {k: groups[k] for k in top}
    if NONE in groups:
        out[NONE] = groups[NONE]
    if rest:
        merged = [sum(groups[k][i] for k in rest) for i in range(3)]
        if measure.kind == MONTHS:
            field_name = source.dims["employer"]
            again = qs.filter(**{f"{field_name}__in": [int(k) for k in rest]}).aggregate(
                a=Count(ExtractMonth(source.date_field), distinct=True))
            merged[0] = _num(again["a"])
        out[OTHER] = merged
    return out


def _dimension_order(dim: str) -> dict[str, int]:
    if dim == "industry":
        order = {str(k): i for i, k in enumerate(KEY_INDUSTRIES)}
    elif dim == "tier":
        order = {t: i for i, t in enumerate(("A", "B", "C", "D", "E", "国际一流", "国内一流", "省内一流"))}
    else:
        order = {}
    order.update({OTHER: 90, NONE: 95})
    return order


def _labels(dim: str, keys: list[str]) -> dict[str, str]:
    labels: dict[str, str] = {OTHER: str(_("其他")), NONE: str(_("未填写"))}
    if dim == "industry":
        labels.update({str(k): str(Industry(k).label) for k in KEY_INDUSTRIES})
        labels[OTHER] = str(_("其他产业"))
    elif dim == "tier":
        from onestop.talents.choices import Tier

        labels.update({str(t.value): str(t.label) for t in Tier})
    elif dim == "employer":
        from onestop.employers.models import Enterprise

        ids = [int(k) for k in keys if k not in (OTHER, NONE)]
        labels.update({str(pk): name for pk, name in Enterprise.objects.filter(pk__in=ids).values_list("pk", "name")})
        labels[OTHER] = str(_("其他单位"))
        labels[NONE] = str(_("无单位"))
    elif dim == "department":
        from onestop.core.models import Department

        ids = [int(k) for k in keys if k not in (OTHER, NONE)]
        labels.update({str(pk): name for pk, name in Department.objects.filter(pk__in=ids).values_list("pk", "name")})
    return labels


def row_of(measure: Measure, record: Model) -> Row:
    return SOURCES[measure.source].row(record)


def average_of(qs: QuerySet[Any], field_name: str) -> float | None:
    value = qs.aggregate(v=Avg(field_name))["v"]
    return round(float(value), 2) if value is not None else None
