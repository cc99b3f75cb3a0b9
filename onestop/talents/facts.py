"""The flat facts of a person that policy rules read — one function for one person, one polars query for the whole
registry. Both derive every fact the same way; ``tests/test_facts.py`` proves they agree on a varied registry.

``FACT_ATTRIBUTES`` is the attribute catalogue (rulebook format, docs/rules.md) that every policy rule set of the
platform declares: a rule can only read what the registry knows. Values are rulebook's plain values: Chinese enum
members, ``date`` objects, integer fen, lists for sets; ``None`` is a missing value (Kleene logic: a rule that needs
it is *undetermined*, never granted by accident).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import polars as pl

from onestop.employers.choices import Industry

from .choices import (
    CertificateStatus,
    CertTrack,
    ContractType,
    Education,
    EducationLevel,
    HukouType,
    QualificationKind,
    SkillLevel,
    TitleLevel,
)

EDUCATION_VALUES = ["高中及以下", "大专", "本科", "硕士", "博士"]
EDUCATION_RANK = {Education.HIGH_SCHOOL: 0, Education.JUNIOR_COLLEGE: 1, Education.BACHELOR: 2, Education.MASTER: 3,
                  Education.DOCTOR: 4}
RECORD_RANK = {EducationLevel.JUNIOR_COLLEGE: 1, EducationLevel.BACHELOR: 2, EducationLevel.MASTER: 3,
               EducationLevel.DOCTOR: 4, EducationLevel.POSTDOC: 4}
TITLE_VALUES = ["无", "初级", "中级", "副高", "正高"]
TITLE_RANK = {TitleLevel.JUNIOR: 1, TitleLevel.INTERMEDIATE: 2, TitleLevel.ASSOCIATE_SENIOR: 3, TitleLevel.SENIOR: 4}
SKILL_VALUES = ["无", "高级工", "预备技师", "技师", "高级技师"]
SKILL_LABEL = {SkillLevel.NONE: "无", SkillLevel.SENIOR_WORKER: "高级工", SkillLevel.PRE_TECHNICIAN: "预备技师",
               SkillLevel.TECHNICIAN: "技师", SkillLevel.SENIOR_TECHNICIAN: "高级技师"}
HONOURS = ["院士", "国家最高科学技术奖", "诺贝尔奖", "长江学者", "国家杰青", "国家级人才计划", "中原学者", "省杰青",
           "省级人才计划", "市突出贡献专家"]
CONTRACT_LABEL = {ContractType.LABOUR: "劳动合同", ContractType.PUBLIC: "事业单位聘用合同",
                  ContractType.FLEXIBLE: "柔性引进"}
HUKOU_LABEL = {HukouType.ZONE: "航空港区", HukouType.ZHENGZHOU: "郑州市其他区县", HukouType.HENAN: "河南省其他市",
               HukouType.OTHER: "外省", HukouType.NONE: "无中国户籍"}
INDUSTRY_LABEL: dict[str, str] = {Industry.ELECTRONIC_INFO: "电子信息", Industry.NEW_ENERGY_VEHICLE: "新能源汽车",
                  Industry.BIOMEDICINE: "生物医药", Industry.AEROSPACE: "航空航天", Industry.LOGISTICS: "航空物流",
                  Industry.OTHER: "其他"}
CERT_TIER_VALUES = ["E", "D", "C", "B", "A"]  # ordered: ">= C" means C or better
MEDICAL_VALUES = ["省内一流", "国内一流", "国际一流"]


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh": zh, "en": en}


FACT_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "birth_date": {"type": "date", "label": _t("出生日期", "Date of birth")},
    "education": {"type": "ordered_enum", "values": EDUCATION_VALUES, "label": _t("最高学历", "Highest degree"),
                  "value_labels_en": {"高中及以下": "secondary", "大专": "college", "本科": "bachelor",
                                      "硕士": "master", "博士": "doctorate"}},
    "graduation_date": {"type": "date", "label": _t("毕业时间", "Graduation date")},
    "overseas_degree": {"type": "bool", "label": _t("境外取得学位", "Degree earned abroad")},
    "postdoc": {"type": "bool", "label": _t("博士后经历", "Postdoctoral experience")},
    "degree_verified": {"type": "bool", "label": _t("学历已核验", "Degree verified")},
    "title_level": {"type": "ordered_enum", "values": TITLE_VALUES, "label": _t("专业技术职称", "Professional title")},
    "skill_level": {"type": "ordered_enum", "values": SKILL_VALUES, "label": _t("职业技能等级", "Skill level")},
    "honours": {"type": "enum_set", "values": HONOURS, "label": _t("人才称号", "Talent honours")},
    "employed_in_zone": {"type": "bool", "label": _t("在区内用人单位就业", "Employed by a zone employer")},
    "employment_confirmed": {"type": "bool", "label": _t("用人单位已确认在职", "Employment confirmed by employer")},
    "employed_since": {"type": "date", "label": _t("入职时间", "Employed since")},
    "contract_type": {"type": "enum", "values": list(CONTRACT_LABEL.values()), "label": _t("合同类型", "Contract")},
    "monthly_salary": {"type": "money", "label": _t("月工资", "Monthly salary")},
    "insured_months": {"type": "int", "label": _t("区内社保缴纳月数", "Months of social insurance in the zone"),
                       "unit": _t("月", "months")},
    "hukou": {"type": "enum", "values": list(HUKOU_LABEL.values()), "label": _t("户籍所在地", "Household registration")},
    "owns_home_in_city": {"type": "bool", "label": _t("在郑州有自有住房", "Owns a home in Zhengzhou")},
    "has_spouse": {"type": "bool", "label": _t("有配偶", "Has a spouse")},
    "children_count": {"type": "int", "label": _t("子女人数", "Children"), "unit": _t("人", "persons")},
    "foreign": {"type": "bool", "label": _t("外籍人才", "Foreign national")},
    "industry": {"type": "enum", "values": list(INDUSTRY_LABEL.values()), "label": _t("所属产业", "Industry")},
    "certified_tier": {"type": "ordered_enum", "values": CERT_TIER_VALUES, "label": _t("已认定人才层次", "Certified tier")},
    "medical_class": {"type": "ordered_enum", "values": MEDICAL_VALUES,
                      "label": _t("医学科学城人才类别", "Medical science city class")},
    "job_seeking": {"type": "bool", "label": _t("来港求职面试", "Coming for a job interview")},
}
FACT_NAMES = list(FACT_ATTRIBUTES)


def _best(labels: Iterable[tuple[int, str]], default: str | None) -> str | None:
    ranked = sorted(labels)
    return ranked[-1][1] if ranked else default


def _education(profile_level: str, record_levels: Iterable[str]) -> str | None:
    ranks = [EDUCATION_RANK[Education(profile_level)]] if profile_level else []
    ranks += [RECORD_RANK[EducationLevel(level)] for level in record_levels]
    return EDUCATION_VALUES[max(ranks)] if ranks else None


def facts_for(profile: Any, *, as_of: date) -> dict[str, Any]:
    """The facts of one talent (a ``TalentProfile``) on ``as_of``. A handful of small queries."""
    from .models import Certificate

    records = list(profile.education_records.values_list("level", "country", "graduation_date", "verified"))
    degrees = [r for r in records if r[0] != EducationLevel.POSTDOC]
    quals = list(profile.qualifications.values_list("kind", "name", "title_level"))
    job = profile.employments.filter(end_date__isnull=True).first()
    homes = list(profile.homes.values_list("city", flat=True))
    family = list(profile.family.values_list("relation", flat=True))
    household = getattr(profile, "household", None) if _has_household(profile) else None
    certs = dict(Certificate.objects.filter(profile=profile, status=CertificateStatus.VALID, valid_from__lte=as_of,
                                            valid_until__gte=as_of).values_list("track", "tier"))
    graduation = profile.graduation_date or max((r[2] for r in degrees), default=None)
    titles = [(TITLE_RANK[TitleLevel(q[2])], TITLE_VALUES[TITLE_RANK[TitleLevel(q[2])]])
              for q in quals if q[0] == QualificationKind.TITLE and q[2]]
    return {
        "birth_date": profile.birth_date,
        "education": _education(profile.education, [r[0] for r in records]),
        "graduation_date": graduation,
        "overseas_degree": any(r[1] not in ("中国", "") for r in records),
        "postdoc": any(r[0] == EducationLevel.POSTDOC for r in records),
        "degree_verified": any(r[3] for r in records),
        "title_level": _best(titles, "无"),
        "skill_level": SKILL_LABEL[SkillLevel(profile.skill_level or "")],
        "honours": sorted({q[1] for q in quals if q[0] != QualificationKind.TITLE and q[1] in HONOURS},
                          key=HONOURS.index),
        "employed_in_zone": profile.employer_id is not None,
        "employment_confirmed": bool(job is not None and job.confirmed_at is not None),
        "employed_since": job.start_date if job is not None else profile.employed_since,
        "contract_type": CONTRACT_LABEL[ContractType(job.contract_type)] if job is not None else None,
        "monthly_salary": job.monthly_salary_fen if job is not None else None,
        "insured_months": profile.insurance_months.filter(month__lte=as_of).count(),
        "hukou": HUKOU_LABEL[HukouType(household.hukou_type)] if household is not None else None,
        "owns_home_in_city": (any("郑州" in c or "航空港" in c for c in homes) if profile.homes_declared or homes
                              else None),
        "has_spouse": "spouse" in family,
        "children_count": family.count("child"),
        "foreign": (profile.nationality or "中国") != "中国",
        "industry": INDUSTRY_LABEL[Industry(profile.industry)] if profile.industry else None,
        "certified_tier": certs.get(CertTrack.STANDARD),
        "medical_class": certs.get(CertTrack.MEDICAL),
        "job_seeking": profile.job_seeking,
    }


def _has_household(profile: Any) -> bool:
    from .models import HouseholdRegistration

    try:
        return isinstance(profile.household, HouseholdRegistration)
    except HouseholdRegistration.DoesNotExist:
        return False


def facts_for_user(user: Any, *, as_of: date) -> dict[str, Any] | None:
    from .models import TalentProfile

    profile = TalentProfile.objects.filter(user=user).first()
    return facts_for(profile, as_of=as_of) if profile is not None else None


# --- the whole registry as one polars frame ----------------------------------------------------------------------

def _frame(rows: list[Mapping[str, Any]], schema: dict[str, Any]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)


def registry_frame(*, as_of: date, profile_ids: Iterable[int] | None = None) -> pl.DataFrame:
    """Every talent's facts on ``as_of`` (one row per profile, column ``person_id`` = profile id), plus the grouping
    columns ``tier_group`` and ``industry_group`` for the sandbox. One query per table, joined in polars."""
    from .models import (
        Certificate,
        EducationRecord,
        Employment,
        FamilyMember,
        HomeOwnership,
        HouseholdRegistration,
        Qualification,
        SocialInsuranceMonth,
        TalentProfile,
    )

    def scoped(qs: Any, field: str = "profile_id") -> Any:
        return qs.filter(**{f"{field}__in": list(profile_ids)}) if profile_ids is not None else qs

    base = pl.DataFrame(
        list(scoped(TalentProfile.objects.all(), "id").values_list(
            "id", "birth_date", "education", "graduation_date", "skill_level", "employer_id", "employed_since",
            "nationality", "industry", "job_seeking", "homes_declared")),
        schema={"person_id": pl.Int64, "birth_date": pl.Date, "p_education": pl.String, "p_graduation": pl.Date,
                "p_skill": pl.String, "employer_id": pl.Int64, "p_since": pl.Date, "nationality": pl.String,
                "p_industry": pl.String, "job_seeking": pl.Boolean, "homes_declared": pl.Boolean}, orient="row")
    edu = pl.DataFrame(list(scoped(EducationRecord.objects.all()).values_list(
        "profile_id", "level", "country", "graduation_date", "verified")),
        schema={"person_id": pl.Int64, "level": pl.String, "country": pl.String, "grad": pl.Date,
                "verified": pl.Boolean}, orient="row")
    quals = pl.DataFrame(list(scoped(Qualification.objects.all()).values_list("profile_id", "kind", "name",
                                                                               "title_level")),
                         schema={"person_id": pl.Int64, "kind": pl.String, "name": pl.String,
                                 "title_level": pl.String}, orient="row")
    jobs = pl.DataFrame(list(scoped(Employment.objects.filter(end_date__isnull=True)).values_list(
        "profile_id", "start_date", "contract_type", "monthly_salary_fen", "confirmed_at")),
        schema={"person_id": pl.Int64, "start": pl.Date, "contract": pl.String, "salary": pl.Int64,
                "confirmed_at": pl.Datetime(time_zone="UTC")}, orient="row")
    ins = pl.DataFrame([(pk,) for pk in scoped(SocialInsuranceMonth.objects.filter(month__lte=as_of)).values_list(
        "profile_id", flat=True)], schema={"person_id": pl.Int64}, orient="row")
    homes = pl.DataFrame(list(scoped(HomeOwnership.objects.all()).values_list("profile_id", "city")),
                         schema={"person_id": pl.Int64, "city": pl.String}, orient="row")
    fam = pl.DataFrame(list(scoped(FamilyMember.objects.all()).values_list("profile_id", "relation")),
                       schema={"person_id": pl.Int64, "relation": pl.String}, orient="row")
    hh = pl.DataFrame(list(scoped(HouseholdRegistration.objects.all()).values_list("profile_id", "hukou_type")),
                      schema={"person_id": pl.Int64, "hukou_type": pl.String}, orient="row")
    certs = pl.DataFrame(list(scoped(Certificate.objects.filter(
        status=CertificateStatus.VALID, valid_from__lte=as_of, valid_until__gte=as_of)).values_list(
        "profile_id", "track", "tier")), schema={"person_id": pl.Int64, "track": pl.String, "tier": pl.String},
        orient="row")

    jobs = jobs.select("person_id", "start", "contract", "salary",
                       pl.col("confirmed_at").is_not_null().alias("confirmed"))
    ins = ins.group_by("person_id").agg(pl.len().cast(pl.Int64).alias("insured_months"))
    df = derive_facts({"base": base, "edu": edu, "quals": quals, "jobs": jobs, "ins": ins, "homes": homes,
                       "fam": fam, "hh": hh, "certs": certs})
    df = df.with_columns(
        pl.col("certified_tier").fill_null("未认定").alias("tier_group"),
        pl.col("industry").fill_null("未填写").alias("industry_group"),
    )
    return df.select("person_id", *FACT_NAMES, "tier_group", "industry_group")


# Shape of each source frame ``derive_facts`` takes: one row per registry row (``ins`` already counted per person).
SOURCE_SCHEMAS: dict[str, dict[str, Any]] = {
    "base": {"person_id": pl.Int64, "birth_date": pl.Date, "p_education": pl.String, "p_graduation": pl.Date,
             "p_skill": pl.String, "employer_id": pl.Int64, "p_since": pl.Date, "nationality": pl.String,
             "p_industry": pl.String, "job_seeking": pl.Boolean, "homes_declared": pl.Boolean},
    "edu": {"person_id": pl.Int64, "level": pl.String, "country": pl.String, "grad": pl.Date, "verified": pl.Boolean},
    "quals": {"person_id": pl.Int64, "kind": pl.String, "name": pl.String, "title_level": pl.String},
    "jobs": {"person_id": pl.Int64, "start": pl.Date, "contract": pl.String, "salary": pl.Int64,
             "confirmed": pl.Boolean},
    "ins": {"person_id": pl.Int64, "insured_months": pl.Int64},
    "homes": {"person_id": pl.Int64, "city": pl.String},
    "fam": {"person_id": pl.Int64, "relation": pl.String},
    "hh": {"person_id": pl.Int64, "hukou_type": pl.String},
    "certs": {"person_id": pl.Int64, "track": pl.String, "tier": pl.String},
}


def derive_facts(f: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    """The facts of every person from the registry's source frames (``SOURCE_SCHEMAS``): the one derivation shared
    by ``registry_frame`` (ORM reads) and ``onething.facts_io`` (COPY reads at batch speed), so the two cannot
    drift. One lazy query: polars plans the aggregations and joins together. Sorted by ``person_id``."""
    rank = {str(k): v for k, v in RECORD_RANK.items()}
    edu_agg = f["edu"].lazy().group_by("person_id").agg(
        pl.col("level").replace_strict(rank, return_dtype=pl.Int64).max().alias("rec_rank"),
        pl.col("grad").filter(pl.col("level") != EducationLevel.POSTDOC).max().alias("rec_grad"),
        (~pl.col("country").is_in(["中国", ""])).any().alias("overseas_degree"),
        (pl.col("level") == EducationLevel.POSTDOC).any().alias("postdoc"),
        pl.col("verified").any().alias("degree_verified"),
    )
    title_rank = {str(k): v for k, v in TITLE_RANK.items()}
    honour_order = {h: i for i, h in enumerate(HONOURS)}
    # Honours are sorted in the catalogue's order here, on the few people who hold one, not on every row.
    qual_agg = f["quals"].lazy().group_by("person_id").agg(
        pl.col("title_level").filter(pl.col("kind") == QualificationKind.TITLE)
        .replace_strict(title_rank, default=0, return_dtype=pl.Int64).max().alias("title_rank"),
        pl.col("name").filter((pl.col("kind") != QualificationKind.TITLE) & pl.col("name").is_in(HONOURS))
        .unique().alias("honour_list"),
    ).with_columns(pl.col("honour_list").list.eval(
        pl.element().sort_by(pl.element().replace_strict(honour_order, return_dtype=pl.Int64))))
    home_agg = f["homes"].lazy().group_by("person_id").agg(
        (pl.col("city").str.contains("郑州") | pl.col("city").str.contains("航空港")).any().alias("home_in_city"),
        pl.len().alias("home_count"))
    fam_agg = f["fam"].lazy().group_by("person_id").agg(
        (pl.col("relation") == "spouse").any().alias("has_spouse"),
        (pl.col("relation") == "child").sum().cast(pl.Int64).alias("children"))
    certs = f["certs"].lazy()
    cert_std = certs.filter(pl.col("track") == CertTrack.STANDARD).select("person_id",
                                                                           pl.col("tier").alias("certified_tier"))
    cert_med = certs.filter(pl.col("track") == CertTrack.MEDICAL).select("person_id",
                                                                          pl.col("tier").alias("medical_class"))
    df = f["base"].lazy()
    for other in (edu_agg, qual_agg, f["jobs"].lazy(), f["ins"].lazy(), home_agg, fam_agg, f["hh"].lazy(), cert_std,
                  cert_med):
        df = df.join(other, on="person_id", how="left")
    edu_rank = {str(k): v for k, v in EDUCATION_RANK.items()}
    profile_rank = pl.col("p_education").replace_strict(edu_rank, default=None, return_dtype=pl.Int64)
    best = pl.max_horizontal(profile_rank, pl.col("rec_rank"))
    df = df.with_columns(
        best.replace_strict(dict(enumerate(EDUCATION_VALUES)), default=None, return_dtype=pl.String)
        .alias("education"),
        pl.coalesce("p_graduation", "rec_grad").alias("graduation_date"),
        pl.col("overseas_degree").fill_null(False),
        pl.col("postdoc").fill_null(False),
        pl.col("degree_verified").fill_null(False),
        pl.col("title_rank").fill_null(0).replace_strict(dict(enumerate(TITLE_VALUES)), return_dtype=pl.String)
        .alias("title_level"),
        pl.col("p_skill").fill_null("").replace_strict({str(k): v for k, v in SKILL_LABEL.items()},
                                                        return_dtype=pl.String).alias("skill_level"),
        pl.col("honour_list").fill_null(pl.lit([], dtype=pl.List(pl.String))).alias("honours"),
        pl.col("employer_id").is_not_null().alias("employed_in_zone"),
        pl.col("confirmed").fill_null(False).alias("employment_confirmed"),
        pl.when(pl.col("start").is_not_null()).then(pl.col("start")).otherwise(pl.col("p_since"))
        .alias("employed_since"),
        pl.col("contract").replace_strict({str(k): v for k, v in CONTRACT_LABEL.items()}, default=None,
                                          return_dtype=pl.String).alias("contract_type"),
        pl.col("salary").alias("monthly_salary"),
        pl.col("insured_months").fill_null(0),
        pl.col("hukou_type").replace_strict({str(k): v for k, v in HUKOU_LABEL.items()}, default=None,
                                            return_dtype=pl.String).alias("hukou"),
        pl.when(pl.col("homes_declared") | pl.col("home_count").is_not_null())
        .then(pl.col("home_in_city").fill_null(False)).otherwise(None).alias("owns_home_in_city"),
        pl.col("has_spouse").fill_null(False),
        pl.col("children").fill_null(0).alias("children_count"),
        (pl.col("nationality").fill_null("中国").replace("", "中国") != "中国").alias("foreign"),
        pl.col("p_industry").replace("", None).replace_strict({str(k): v for k, v in INDUSTRY_LABEL.items()},
                                                              default=None, return_dtype=pl.String)
        .alias("industry"),
    )
    return df.select("person_id", *FACT_NAMES).sort("person_id").collect()


# --- employers: the facts employer policies read ---------------------------------------------------------------------

HIGH_LEVEL_TIERS = ["A", "B", "C", "D", *MEDICAL_VALUES]

ENTERPRISE_ATTRIBUTES: dict[str, dict[str, Any]] = {
    "high_level_talents": {"type": "int", "label": _t("经认定的高层次人才人数", "Certified high-level talents"),
                           "unit": _t("人", "persons")},
    "enterprise_active": {"type": "bool", "label": _t("单位已完成核验", "Employer verified")},
    "employee_count": {"type": "int", "label": _t("职工人数", "Employees"), "unit": _t("人", "persons")},
    "industry": FACT_ATTRIBUTES["industry"],
}


def _high_level_counts(as_of: date, enterprise_ids: list[int] | None) -> dict[int, int]:
    from django.db.models import Count

    from .models import Certificate

    qs = Certificate.objects.filter(status=CertificateStatus.VALID, tier__in=HIGH_LEVEL_TIERS, valid_from__lte=as_of,
                                    valid_until__gte=as_of, profile__employer__isnull=False)
    if enterprise_ids is not None:
        qs = qs.filter(profile__employer_id__in=enterprise_ids)
    return dict(qs.values_list("profile__employer_id").annotate(n=Count("profile_id", distinct=True)))


def enterprise_facts_for(enterprise: Any, *, as_of: date) -> dict[str, Any]:
    return {
        "high_level_talents": _high_level_counts(as_of, [enterprise.pk]).get(enterprise.pk, 0),
        "enterprise_active": enterprise.status == "active",
        "employee_count": enterprise.employee_count,
        "industry": INDUSTRY_LABEL.get(enterprise.industry),
    }


def enterprise_frame(*, as_of: date) -> pl.DataFrame:
    from onestop.employers.models import Enterprise

    counts = _high_level_counts(as_of, None)
    rows = [{"person_id": pk, "high_level_talents": counts.get(pk, 0), "enterprise_active": status == "active",
             "employee_count": employees, "industry": INDUSTRY_LABEL.get(industry),
             "tier_group": "用人单位", "industry_group": INDUSTRY_LABEL.get(industry) or "未填写"}
            for pk, status, employees, industry in Enterprise.objects.values_list("pk", "status", "employee_count",
                                                                                  "industry")]
    schema = {"person_id": pl.Int64, "high_level_talents": pl.Int64, "enterprise_active": pl.Boolean,
              "employee_count": pl.Int64, "industry": pl.String, "tier_group": pl.String,
              "industry_group": pl.String}
    return pl.DataFrame(rows, schema=schema) if rows else pl.DataFrame(schema=schema)
