"""The registry's facts for the whole population, read at database speed.

``onestop.talents.facts.registry_frame`` is the reference: it reads each registry table through the ORM (Python
tuples) and derives the facts in polars. That is right for the sandbox's thousands of rows but not for a nightly run
over a million talents. This reader issues the same per-table queries as SQL — on PostgreSQL as
``COPY (SELECT …) TO STDOUT`` parsed by polars' multi-threaded CSV reader, on SQLite through the DB-API cursor —
aggregates the month-per-row insurance table in the database, and then applies the same derivation. The test
``test_facts_io.py`` proves both give the same frame on a varied registry, so a change on either side is caught.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import polars as pl
from django.db import connection

from onestop.talents.choices import CertificateStatus, CertTrack, EducationLevel, QualificationKind
from onestop.talents.facts import (
    CONTRACT_LABEL,
    EDUCATION_RANK,
    EDUCATION_VALUES,
    FACT_NAMES,
    HONOURS,
    HUKOU_LABEL,
    INDUSTRY_LABEL,
    RECORD_RANK,
    SKILL_LABEL,
    TITLE_RANK,
    TITLE_VALUES,
)


def _table(model_label: str) -> str:
    from django.apps import apps

    return connection.ops.quote_name(apps.get_model(model_label)._meta.db_table)


def read_frame(sql: str, schema: dict[str, Any]) -> pl.DataFrame:
    """Run ``sql`` (no parameters: literals are formatted by the caller from typed values) into a polars frame.
    Dates arrive as ISO text and booleans as 0/1 on both databases."""
    names = list(schema)
    postgres = connection.vendor == "postgresql"
    # Dates arrive as ISO text on both (PostgreSQL's CSV; on SQLite the queries CAST them, which bypasses Django's
    # per-value ``date`` converter) and are parsed by polars in one vectorised pass.
    raw = {n: (pl.String if t == pl.Date else pl.Int8 if t == pl.Boolean else t) for n, t in schema.items()}
    if postgres:
        buf = io.BytesIO()
        with connection.cursor() as cursor, \
                cursor.cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy:
            for block in copy:
                buf.write(block)
        if buf.tell() == 0:
            frame = pl.DataFrame(schema=raw)
        else:
            buf.seek(0)
            frame = pl.read_csv(buf, has_header=False, new_columns=names, schema=raw)
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql)
            rows = cursor.fetchall()
        frame = pl.DataFrame(rows, schema=raw, orient="row") if rows else pl.DataFrame(schema=raw)
    casts = [pl.col(n).str.to_date("%Y-%m-%d", strict=False) if t == pl.Date else pl.col(n).cast(pl.Boolean)
             for n, t in schema.items() if t in (pl.Date, pl.Boolean)]
    return frame.with_columns(casts) if casts else frame


def _b(column: str) -> str:
    return f"CASE WHEN {column} THEN 1 ELSE 0 END"


def _d(column: str) -> str:
    """A DATE column as ISO text."""
    return column if connection.vendor == "postgresql" else f"CAST({column} AS TEXT)"


def source_queries(as_of: date) -> dict[str, tuple[str, dict[str, Any]]]:
    """The SQL of every source table (also what the benchmark's COPY floor reads)."""
    day = f"'{as_of.isoformat()}'"  # a ``date``: no injection possible
    cast_day = f"CAST({day} AS DATE)" if connection.vendor == "postgresql" else day
    return {
        "base": (f"SELECT id, {_d('birth_date')}, education, {_d('graduation_date')}, skill_level, employer_id, "  # noqa: S608 - table names from the model registry
                 f"{_d('employed_since')}, "
                 f"nationality, industry, {_b('job_seeking')}, {_b('homes_declared')} "
                 f"FROM {_table('talents.TalentProfile')}",
                 {"person_id": pl.Int64, "birth_date": pl.Date, "p_education": pl.String, "p_graduation": pl.Date,
                  "p_skill": pl.String, "employer_id": pl.Int64, "p_since": pl.Date, "nationality": pl.String,
                  "p_industry": pl.String, "job_seeking": pl.Boolean, "homes_declared": pl.Boolean}),
        "edu": (f"SELECT profile_id, level, country, {_d('graduation_date')}, {_b('verified')} "  # noqa: S608 - table names from the model registry, literals typed
                f"FROM {_table('talents.EducationRecord')}",
                {"person_id": pl.Int64, "level": pl.String, "country": pl.String, "grad": pl.Date,
                 "verified": pl.Boolean}),
        "quals": (f"SELECT profile_id, kind, name, title_level FROM {_table('talents.Qualification')}",  # noqa: S608 - table names from the model registry, literals typed
                  {"person_id": pl.Int64, "kind": pl.String, "name": pl.String, "title_level": pl.String}),
        "jobs": (f"SELECT profile_id, {_d('start_date')}, contract_type, monthly_salary_fen, "  # noqa: S608 - table names from the model registry, literals typed
                 f"CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END FROM {_table('talents.Employment')} "
                 f"WHERE end_date IS NULL",
                 {"person_id": pl.Int64, "start": pl.Date, "contract": pl.String, "salary": pl.Int64,
                  "confirmed": pl.Boolean}),
        "ins": (f"SELECT profile_id, COUNT(*) FROM {_table('talents.SocialInsuranceMonth')} "  # noqa: S608 - table names from the model registry, literals typed
                f"WHERE month <= {cast_day} GROUP BY profile_id",
                {"person_id": pl.Int64, "insured_months": pl.Int64}),
        "homes": (f"SELECT profile_id, city FROM {_table('talents.HomeOwnership')}",  # noqa: S608 - table names from the model registry, literals typed
                  {"person_id": pl.Int64, "city": pl.String}),
        "fam": (f"SELECT profile_id, relation FROM {_table('talents.FamilyMember')}",  # noqa: S608 - table names from the model registry, literals typed
                {"person_id": pl.Int64, "relation": pl.String}),
        "hh": (f"SELECT profile_id, hukou_type FROM {_table('talents.HouseholdRegistration')}",  # noqa: S608 - table names from the model registry, literals typed
               {"person_id": pl.Int64, "hukou_type": pl.String}),
        "certs": (f"SELECT profile_id, track, tier FROM {_table('talents.Certificate')} "  # noqa: S608 - table names from the model registry, literals typed
                  f"WHERE status = '{CertificateStatus.VALID.value}' AND valid_from <= {cast_day} "
                  f"AND valid_until >= {cast_day}",
                  {"person_id": pl.Int64, "track": pl.String, "tier": pl.String}),
    }


def registry_facts_frame(*, as_of: date) -> pl.DataFrame:
    """Every talent's facts on ``as_of``: column ``person_id`` (profile id) and the catalogue's fact columns, equal
    to ``registry_frame(as_of=…)`` without its two sandbox grouping columns."""
    frames = {name: read_frame(sql, schema) for name, (sql, schema) in source_queries(as_of).items()}
    return derive(frames)


def derive(f: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The derivation of ``talents.facts.registry_frame`` (kept in step by the agreement test)."""
    rank = {str(k): v for k, v in RECORD_RANK.items()}
    edu_agg = f["edu"].group_by("person_id").agg(
        pl.col("level").replace_strict(rank, return_dtype=pl.Int64).max().alias("rec_rank"),
        pl.col("grad").filter(pl.col("level") != EducationLevel.POSTDOC).max().alias("rec_grad"),
        (~pl.col("country").is_in(["中国", ""])).any().alias("overseas_degree"),
        (pl.col("level") == EducationLevel.POSTDOC).any().alias("postdoc"),
        pl.col("verified").any().alias("degree_verified"),
    )
    title_rank = {str(k): v for k, v in TITLE_RANK.items()}
    quals = f["quals"]
    qual_agg = quals.group_by("person_id").agg(
        pl.col("title_level").filter(pl.col("kind") == QualificationKind.TITLE)
        .replace_strict(title_rank, default=0, return_dtype=pl.Int64).max().alias("title_rank"),
        pl.col("name").filter((pl.col("kind") != QualificationKind.TITLE) & pl.col("name").is_in(HONOURS))
        .unique().alias("honour_list"),
    )
    home_agg = f["homes"].group_by("person_id").agg(
        (pl.col("city").str.contains("郑州") | pl.col("city").str.contains("航空港")).any().alias("home_in_city"),
        pl.len().alias("home_count"))
    fam_agg = f["fam"].group_by("person_id").agg(
        (pl.col("relation") == "spouse").any().alias("has_spouse"),
        (pl.col("relation") == "child").sum().cast(pl.Int64).alias("children"))
    certs = f["certs"]
    cert_std = certs.filter(pl.col("track") == CertTrack.STANDARD).select("person_id",
                                                                           pl.col("tier").alias("certified_tier"))
    cert_med = certs.filter(pl.col("track") == CertTrack.MEDICAL).select("person_id",
                                                                          pl.col("tier").alias("medical_class"))
    df = f["base"]
    for other in (edu_agg, qual_agg, f["jobs"], f["ins"], home_agg, fam_agg, f["hh"], cert_std, cert_med):
        df = df.join(other, on="person_id", how="left")
    edu_rank = {str(k): v for k, v in EDUCATION_RANK.items()}
    profile_rank = pl.col("p_education").replace_strict(edu_rank, default=None, return_dtype=pl.Int64)
    best = pl.max_horizontal(profile_rank, pl.col("rec_rank"))
    honour_order = {h: i for i, h in enumerate(HONOURS)}
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
        pl.col("honour_list").fill_null(pl.lit([], dtype=pl.List(pl.String)))
        .list.eval(pl.element().sort_by(pl.element().replace_strict(honour_order, return_dtype=pl.Int64)))
        .alias("honours"),
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
    return df.select("person_id", *FACT_NAMES).sort("person_id")
