"""Each measure's definition on a world of records whose figures were computed by hand (conftest.EXPECTED), with
the monthly trend, breakdowns, and the drill-down: the records listed are exactly the records counted."""

from __future__ import annotations

from datetime import date

import pytest

from onestop.targets import figures, measures
from onestop.targets.models import Target

from .conftest import EXPECTED, TODAY, target

pytestmark = pytest.mark.django_db


def _figures() -> dict[str, dict]:
    data = figures.compute(2024, TODAY)
    return {t["code"]: t for t in data["targets"]}


def test_every_target_of_the_brief_is_shipped_with_a_live_or_reported_definition(org):
    codes = set(Target.objects.filter(year=2024).values_list("code", flat=True))
    brief = {"employed_new", "graduates_employed", "skilled_employed", "phd_recruited", "nominations",
             "industry_declarations", "skilled_new", "high_skilled_new", "technicians_new", "training_sessions",
             "rd_platforms", "high_level_introduced", "recruitment_events", "publicity_events", "enterprise_visits"}
    assert brief <= codes
    for t in Target.objects.filter(year=2024):
        assert t.measure == "reported" or t.measure in measures.MEASURES, t.code
    assert Target.objects.get(year=2024, code="technicians_new").parent.code == "high_skilled_new"
    assert Target.objects.filter(year=2024, target_value__isnull=False, parent__isnull=True).count() == 14


def test_each_figure_equals_the_hand_computed_value(world):
    got = _figures()
    assert {code: got[code]["value"] for code in EXPECTED} == EXPECTED


def test_monthly_trend_places_each_record_in_its_month(world):
    got = _figures()
    # employed: Jan p3, Feb p8, Mar p1, Jul p2, Sep p7; months after September are not counted yet.
    assert got["employed_new"]["months"] == [1, 1, 1, 0, 0, 0, 1, 0, 1, None, None, None]
    assert got["employed_new"]["cumulative"][:9] == [1, 2, 3, 3, 3, 3, 4, 4, 5]
    # the certificate issued 00:30 on 1 January (local time) is January's
    assert got["certifications"]["months"][:6] == [1, 0, 1, 1, 0, 1]
    assert got["enterprise_visits"]["months"][:9] == [1, 0, 1, 0, 0, 0, 0, 0, 1]
    assert got["deadlines_met"]["months"][2] == 50.0 and got["deadlines_met"]["months"][5] == 100.0
    assert got["training_sessions"]["months"][:3] == [1000, 1500.5, 0]


def test_figures_move_with_the_day_counted_to(world):
    early = {t["code"]: t["value"] for t in figures.compute(2024, date(2024, 3, 31))["targets"]}
    assert early["employed_new"] == 3  # p3, p8, p1
    assert early["recruitment_events"] == 0
    full = {t["code"]: t["value"] for t in figures.compute(2024, date(2024, 12, 31))["targets"]}
    assert full["employed_new"] == 6  # p6 starts in October
    assert full["satisfaction"] == 3.0  # (5 + 3 + 1) / 3
    assert full["enterprise_visits"] == 3  # the 30 September visit adds no new month


@pytest.mark.parametrize("code", [c for c in EXPECTED if c not in ("industry_declarations", "skilled_new",
                                                                    "rd_platforms")])
def test_drill_down_lists_exactly_the_records_counted(world, org, code):
    from onestop.targets.selectors import drill_down

    t = target(code)
    got = _figures()[code]
    drill = drill_down(user=org.office_head, target=t)
    rows = list(drill.queryset)
    if got["kind"] == "ratio":
        met = sum(1 for r in drill.rows(rows) if r["met"] == "是")
        assert round(100 * met / len(rows), 1) == got["value"]
    elif got["kind"] == "average":
        assert sum(r.satisfaction for r in rows) / len(rows) == got["value"]
    elif got["kind"] == "months":
        assert len({r.visited_on.month for r in rows}) == got["value"]
    elif t.measure == "reported":
        assert float(sum(r.value for r in rows)) == got["value"]
    else:
        assert len(rows) == got["value"]
    for month in range(1, 10):
        monthly = list(drill_down(user=org.office_head, target=t, month=month).queryset)
        if t.measure == "reported":
            assert float(sum(r.value for r in monthly)) == got["months"][month - 1], (code, month)
        elif got["kind"] == "count":
            assert len(monthly) == got["months"][month - 1], (code, month)


@pytest.mark.parametrize("code", ["employed_new", "high_level_introduced", "certifications", "nominations",
                                  "deadlines_met", "satisfaction", "recruitment_events", "enterprise_visits"])
def test_each_breakdown_bar_drills_down_to_its_records(world, org, code):
    from onestop.targets.selectors import breakdowns, drill_down

    t = target(code)
    measure = measures.MEASURES[t.measure]
    split = breakdowns(target=t, as_of=TODAY)
    assert set(split) == set(measures.dimensions_of(measure))
    total = _figures()[code]["value"]
    for dim, rows in split.items():
        if measure.kind == measures.COUNT:
            assert sum(r["value"] for r in rows) == total, (code, dim)
        for row in rows:
            records = list(drill_down(user=org.office_head, target=t, dim=dim, key=row["key"]).queryset)
            assert len(records) == row["records"], (code, dim, row)
            if measure.kind == measures.COUNT:
                assert len(records) == row["value"]


def test_breakdowns_by_key_industry_tier_employer_and_department(world):
    from onestop.targets.selectors import breakdowns

    by = breakdowns(target=target("employed_new"), as_of=TODAY)
    industry = {r["label"]: r["value"] for r in by["industry"]}
    # electronic info: p1 (first job at 甲电子), p7; biomedicine: p2; others (logistics): p3, p8
    assert industry == {"电子信息": 2, "生物医药": 1, "其他产业": 2}
    assert [r["key"] for r in by["industry"]][-1] == "other"
    employers = {r["label"]: r["value"] for r in by["employer"]}
    assert employers == {"甲电子": 2, "乙生物": 1, "丙物流": 2}
    tiers = {r["key"]: r["value"] for r in breakdowns(target=target("certifications"), as_of=TODAY)["tier"]}
    assert tiers == {"B": 1, "E": 1, "国内一流": 1, "D": 1}
    depts = {r["label"]: r["value"] for r in breakdowns(target=target("deadlines_met"), as_of=TODAY)["department"]}
    assert depts == {"人力资源和社会保障局": 50.0, "人才工作领导小组办公室": 100.0}


def test_employers_beyond_the_ten_largest_are_one_bar(org):
    from onestop.core.tests.factories import EnterpriseFactory, TalentFactory
    from onestop.talents.models import Employment, TalentProfile
    from onestop.targets.selectors import breakdowns, drill_down

    for i in range(12):
        enterprise = EnterpriseFactory(name=f"企业{i:02d}")
        for _ in range(1 if i >= 10 else 2):
            profile = TalentProfile.objects.get(user=TalentFactory())
            Employment.objects.create(profile=profile, enterprise=enterprise, start_date=date(2024, 5, 1))
    rows = breakdowns(target=target("employed_new"), as_of=TODAY)["employer"]
    assert len(rows) == 11 and rows[-1]["key"] == "other" and rows[-1]["value"] == 2
    assert drill_down(user=org.office_staff, target=target("employed_new"), dim="employer", key="other"
                      ).queryset.count() == 2


def test_one_query_per_source(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    keys = list(measures.MEASURES)
    with CaptureQueriesContext(connection) as ctx:
        measures.monthly(keys, 2024, TODAY)
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().upper().startswith("SELECT")]
    parts = sum(len(m.parts[1:]) for m in measures.MEASURES.values())
    assert len(selects) == len({m.source for m in measures.MEASURES.values()}) + parts  # the rest: SET LOCAL …


def test_a_doctor_with_a_postdoc_record_counts_once(world):
    from onestop.core.tests.factories import TalentFactory
    from onestop.talents.models import EducationRecord, Employment, TalentProfile

    TalentProfile.objects.filter(user=TalentFactory()).update(education="doctor")
    profile = TalentProfile.objects.order_by("-pk").first()
    EducationRecord.objects.create(profile=profile, level="postdoc", school="中科院", graduation_date=date(2023, 1, 1))
    Employment.objects.create(profile=profile, enterprise=world.e1, start_date=date(2024, 4, 2))
    got = _figures()
    assert got["phd_recruited"]["value"] == EXPECTED["phd_recruited"] + 1
    assert got["phd_recruited"]["months"][3] == 1
