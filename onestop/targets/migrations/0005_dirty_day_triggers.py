"""Database triggers that mark a (source, day) of the dashboard's stored partial counts dirty in the same transaction
as any write that can change that day's counts (ADR 0009). Every table a measure reads is listed here, with the
columns it reads: a change of any other column marks nothing. Direct tables mark the day of the record's own date
(for a date-time the UTC date; the reader widens it to the local days it can fall on). Indirect writes:

* a job inserted, deleted, moved (start date, person) or denied / un-denied (employers_employmentdecision) marks its
  own day and the days of the same person's later jobs in that year (which one is "the first new job" can move);
* a profile's education, skill level or graduation date marks the days of all that person's jobs; its account
  (user_id) marks the days of that person's certification applications (a nomination is one not filed by the talent);
* an education record (PhD / postdoc) marks the days of all that person's jobs.

PostgreSQL: statement-level triggers with transition tables (a bulk insert marks each distinct day once). SQLite:
row-level triggers. Both upsert ``targets_dirtyday`` and raise its version, so a refresh that read an older version
leaves the mark in place. ``onestop.targets.partials.TRIGGERS`` names them; a test checks they all exist (on SQLite a
later migration that rebuilds one of these tables drops its triggers and must create them again).
"""

from django.db import migrations

# table, source, date column, is a date-time, columns the source's definitions read on this table
DIRECT = [
    ("talents_talentprofile", "registry", "created_at", True, ["created_at", "skill_level"]),
    ("talents_certificate", "certificates", "issued_at", True, ["issued_at", "status", "tier"]),
    ("talents_certificationapplication", "nominations", "created_at", True,
     ["created_at", "status", "applied_by_id", "profile_id", "claimed_tier"]),
    ("engagement_event", "events", "starts_at", True, ["starts_at", "status", "kind"]),
    ("engagement_visit", "visits", "visited_on", False, ["visited_on"]),
    ("housing_staybooking", "stays", "check_in", False, ["check_in", "status"]),
    ("housing_lease", "leases", "start_date", False, ["start_date"]),
    ("workflow_task", "tasks", "decided_at", True, ["decided_at", "state", "department_id", "due_date"]),
    ("engagement_problem", "problems", "closed_at", True, ["closed_at", "status", "satisfaction"]),
]
PROFILE_FACTS = ["education", "skill_level", "graduation_date"]  # read by the employment measures
JOB = ["profile_id", "start_date"]
DECISION = ["employment_id", "decision"]
EDUCATION = ["profile_id", "level"]
INDIRECT_TABLES = ["talents_employment", "employers_employmentdecision", "talents_educationrecord"]

# --- PostgreSQL ------------------------------------------------------------------------------------------------------

PG_UPSERT = "ON CONFLICT (source, day) DO UPDATE SET version = targets_dirtyday.version + 1"


def _pg_day(alias: str, column: str, is_dt: bool) -> str:
    return f"({alias}.{column} AT TIME ZONE 'UTC')::date" if is_dt else f"{alias}.{column}"


def _pg_changed(columns: list[str]) -> str:
    old = ", ".join(f"o.{c}" for c in columns)
    new = ", ".join(f"n.{c}" for c in columns)
    return f"ROW({old}) IS DISTINCT FROM ROW({new})"


def _pg_branches(columns: list[str], select: str, body: str) -> dict[str, str]:
    """``body`` per operation, with ``{rows}`` replaced by the rows the statement touched: a relation of ``select``
    evaluated on each old and new row (for an update, only rows where one of ``columns`` changed)."""
    old, new = select.replace("{r}", "o"), select.replace("{r}", "n")
    join = f"old_rows o JOIN new_rows n ON n.id = o.id WHERE {_pg_changed(columns)}"
    rows = {"INSERT": f"(SELECT {new} FROM new_rows n)", "DELETE": f"(SELECT {old} FROM old_rows o)",
            "UPDATE": f"(SELECT {old} FROM {join} UNION SELECT {new} FROM {join})"}
    return {op: body.replace("{rows}", relation) for op, relation in rows.items()}


def _job_days_sql(rows: str) -> str:
    """A job's day and the days of the same person's later jobs in that year; ``rows`` has profile_id, start_date."""
    return f"""INSERT INTO targets_dirtyday (source, day, version)
    SELECT DISTINCT 'employment', d, 1 FROM (
        SELECT c.start_date AS d FROM {rows} c
        UNION SELECT e.start_date FROM {rows} c JOIN talents_employment e ON e.profile_id = c.profile_id
            AND e.start_date >= c.start_date
            AND e.start_date < make_date(extract(year FROM c.start_date)::int + 1, 1, 1)
    ) x WHERE d IS NOT NULL {PG_UPSERT};"""


def _person_jobs_sql(rows: str) -> str:
    """Every job day of the people in ``rows`` (a relation with profile_id)."""
    return f"""INSERT INTO targets_dirtyday (source, day, version)
    SELECT DISTINCT 'employment', e.start_date, 1 FROM talents_employment e
    WHERE e.profile_id IN (SELECT profile_id FROM {rows} c) {PG_UPSERT};"""


def _pg_function(name: str, branches: dict[str, list[str]]) -> str:
    def block(op: str) -> str:
        return "\n        ".join(branches.get(op, [])) or "NULL;"

    return f"""CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {block("INSERT")}
    ELSIF TG_OP = 'DELETE' THEN
        {block("DELETE")}
    ELSE
        {block("UPDATE")}
    END IF;
    RETURN NULL;
END;
$$;"""


def _pg_triggers(table: str, function: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_dirty_ins AFTER INSERT ON {table} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
        f"CREATE TRIGGER {table}_dirty_upd AFTER UPDATE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
        f"CREATE TRIGGER {table}_dirty_del AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}();",
    ]


def _merge(*parts: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in parts:
        for op, sql in part.items():
            out.setdefault(op, []).append(sql)
    return out


def pg_forwards() -> list[str]:
    sql: list[str] = []
    for table, source, column, is_dt, columns in DIRECT:
        direct = _pg_branches(columns, f"{_pg_day('{r}', column, is_dt)} AS d", f"""INSERT INTO targets_dirtyday
    (source, day, version) SELECT DISTINCT '{source}', d, 1 FROM {{rows}} x WHERE d IS NOT NULL {PG_UPSERT};""")
        branches = _merge(direct)
        if table == "talents_talentprofile":
            facts = _pg_branches(PROFILE_FACTS, "{r}.id AS profile_id", _person_jobs_sql("{rows}"))
            user = _pg_branches(["user_id"], "{r}.id AS profile_id", f"""INSERT INTO targets_dirtyday
    (source, day, version) SELECT DISTINCT 'nominations', (a.created_at AT TIME ZONE 'UTC')::date, 1
    FROM talents_certificationapplication a WHERE a.profile_id IN (SELECT profile_id FROM {{rows}} c) {PG_UPSERT};""")
            branches = _merge(direct, {"UPDATE": facts["UPDATE"]}, {"UPDATE": user["UPDATE"]})
        function = f"targets_dirty_{table}"
        sql.append(_pg_function(function, branches))
        sql.extend(_pg_triggers(table, function))
    job = _pg_branches(JOB, "{r}.profile_id, {r}.start_date", _job_days_sql("{rows}"))
    decision = _pg_branches(DECISION, "{r}.employment_id", _job_days_sql(
        "(SELECT j.profile_id, j.start_date FROM talents_employment j WHERE j.id IN "
        "(SELECT employment_id FROM {rows} y))"))
    education = _pg_branches(EDUCATION, "{r}.profile_id", _person_jobs_sql("{rows}"))
    for table, branches in (("talents_employment", job), ("employers_employmentdecision", decision),
                            ("talents_educationrecord", education)):
        function = f"targets_dirty_{table}"
        sql.append(_pg_function(function, _merge(branches)))
        sql.extend(_pg_triggers(table, function))
    return sql


def pg_backwards() -> list[str]:
    sql = []
    for table in [t[0] for t in DIRECT] + INDIRECT_TABLES:
        for op in ("ins", "upd", "del"):
            sql.append(f"DROP TRIGGER IF EXISTS {table}_dirty_{op} ON {table};")
        sql.append(f"DROP FUNCTION IF EXISTS targets_dirty_{table}();")
    return sql


# --- SQLite ----------------------------------------------------------------------------------------------------------

SQLITE_UPSERT = "ON CONFLICT (source, day) DO UPDATE SET version = version + 1"


def _sqlite_changed(columns: list[str]) -> str:
    return " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)


def _sqlite_job_days(profile: str, start: str) -> str:
    return f"""INSERT INTO targets_dirtyday (source, day, version)
    SELECT DISTINCT 'employment', d, 1 FROM (
        SELECT date({start}) AS d
        UNION SELECT date(e.start_date) FROM talents_employment e WHERE e.profile_id = {profile}
            AND e.start_date >= {start} AND e.start_date < date({start}, 'start of year', '+1 year')
    ) WHERE d IS NOT NULL {SQLITE_UPSERT};"""


def _sqlite_decision_days(employment: str) -> str:
    return f"""INSERT INTO targets_dirtyday (source, day, version)
    SELECT DISTINCT 'employment', date(e.start_date), 1 FROM talents_employment j
    JOIN talents_employment e ON e.profile_id = j.profile_id AND e.start_date >= j.start_date
        AND e.start_date < date(j.start_date, 'start of year', '+1 year')
    WHERE j.id = {employment} {SQLITE_UPSERT};"""


def _sqlite_person_jobs(profile: str) -> str:
    return f"""INSERT INTO targets_dirtyday (source, day, version)
    SELECT DISTINCT 'employment', date(e.start_date), 1 FROM talents_employment e WHERE e.profile_id = {profile}
    {SQLITE_UPSERT};"""


def _sqlite_trigger(name: str, event: str, table: str, when: str, body: list[str]) -> str:
    condition = f" WHEN {when}" if when else ""
    statements = "\n    ".join(body)
    return f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON {table} FOR EACH ROW{condition}\nBEGIN\n    {statements}\nEND;"


def sqlite_forwards() -> list[str]:
    sql: list[str] = []
    for table, source, column, _is_dt, columns in DIRECT:
        def mark(row: str, source: str = source, column: str = column) -> str:
            return (f"INSERT INTO targets_dirtyday (source, day, version) SELECT '{source}', date({row}.{column}), 1 "
                    f"WHERE {row}.{column} IS NOT NULL {SQLITE_UPSERT};")

        sql.append(_sqlite_trigger(f"{table}_dirty_ins", "INSERT", table, "", [mark("NEW")]))
        sql.append(_sqlite_trigger(f"{table}_dirty_del", "DELETE", table, "", [mark("OLD")]))
        sql.append(_sqlite_trigger(f"{table}_dirty_upd", "UPDATE", table, _sqlite_changed(columns),
                                   [mark("OLD"), mark("NEW")]))
    profile = "talents_talentprofile"
    sql.append(_sqlite_trigger(f"{profile}_dirty_facts", "UPDATE", profile, _sqlite_changed(PROFILE_FACTS),
                               [_sqlite_person_jobs("NEW.id")]))
    sql.append(_sqlite_trigger(f"{profile}_dirty_user", "UPDATE", profile, _sqlite_changed(["user_id"]), [
        f"""INSERT INTO targets_dirtyday (source, day, version)
    SELECT DISTINCT 'nominations', date(a.created_at), 1 FROM talents_certificationapplication a
    WHERE a.profile_id = NEW.id {SQLITE_UPSERT};"""]))
    job = "talents_employment"
    sql.append(_sqlite_trigger(f"{job}_dirty_ins", "INSERT", job, "",
                               [_sqlite_job_days("NEW.profile_id", "NEW.start_date")]))
    sql.append(_sqlite_trigger(f"{job}_dirty_del", "DELETE", job, "",
                               [_sqlite_job_days("OLD.profile_id", "OLD.start_date")]))
    sql.append(_sqlite_trigger(f"{job}_dirty_upd", "UPDATE", job, _sqlite_changed(JOB), [
        _sqlite_job_days("OLD.profile_id", "OLD.start_date"), _sqlite_job_days("NEW.profile_id", "NEW.start_date")]))
    decision = "employers_employmentdecision"
    sql.append(_sqlite_trigger(f"{decision}_dirty_ins", "INSERT", decision, "",
                               [_sqlite_decision_days("NEW.employment_id")]))
    sql.append(_sqlite_trigger(f"{decision}_dirty_del", "DELETE", decision, "",
                               [_sqlite_decision_days("OLD.employment_id")]))
    sql.append(_sqlite_trigger(f"{decision}_dirty_upd", "UPDATE", decision, _sqlite_changed(DECISION), [
        _sqlite_decision_days("OLD.employment_id"), _sqlite_decision_days("NEW.employment_id")]))
    education = "talents_educationrecord"
    sql.append(_sqlite_trigger(f"{education}_dirty_ins", "INSERT", education, "", [_sqlite_person_jobs("NEW.profile_id")]))
    sql.append(_sqlite_trigger(f"{education}_dirty_del", "DELETE", education, "", [_sqlite_person_jobs("OLD.profile_id")]))
    sql.append(_sqlite_trigger(f"{education}_dirty_upd", "UPDATE", education, _sqlite_changed(EDUCATION), [
        _sqlite_person_jobs("OLD.profile_id"), _sqlite_person_jobs("NEW.profile_id")]))
    return sql


def sqlite_backwards() -> list[str]:
    sql = []
    for table in [t[0] for t in DIRECT] + INDIRECT_TABLES:
        for op in ("ins", "upd", "del"):
            sql.append(f"DROP TRIGGER IF EXISTS {table}_dirty_{op};")
    sql.append("DROP TRIGGER IF EXISTS talents_talentprofile_dirty_facts;")
    sql.append("DROP TRIGGER IF EXISTS talents_talentprofile_dirty_user;")
    return sql


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)
    return run


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0004_day_partials"),
        ("talents", "0003_cert_event_kinds"),
        ("employers", "0002_businesslicence_employmentdecision_and_more"),
        ("engagement", "0002_problem_escalated_at"),
        ("housing", "0003_bed_out_of_service"),
        ("workflow", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_run({"postgresql": pg_forwards(), "sqlite": sqlite_forwards()}),
                             _run({"postgresql": pg_backwards(), "sqlite": sqlite_backwards()})),
    ]
