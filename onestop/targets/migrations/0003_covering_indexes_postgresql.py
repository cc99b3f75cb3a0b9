"""On PostgreSQL the measures' date indexes become covering indexes (INCLUDE the columns the aggregates read), so the
dashboard's grouped counts are index-only scans instead of heap fetches: on the benchmark (1e6 tasks) the decided-
tasks count went from an index scan with 480,000 heap buffer hits to an index-only scan. SQLite has no INCLUDE and
keeps the plain indexes of 0002."""

from django.db import migrations

COVERING = [
    ("targets_m_task_decided", "targets_m_task_decided_cover", "workflow_task", "decided_at",
     "state, department_id, due_date, id"),
    ("targets_m_profile_created", "targets_m_profile_created_cover", "talents_talentprofile", "created_at",
     "skill_level, id"),
    ("targets_m_employment_start", "targets_m_employment_cover", "talents_employment", "start_date",
     "profile_id, enterprise_id, id"),
]
# The talent facts the employment measures read, for index-only lookups by profile.
FACTS = ("targets_m_profile_facts", "talents_talentprofile", "id", "user_id, education, skill_level, graduation_date")


def forwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for plain, covering, table, key, include in COVERING:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {covering} ON {table} ({key}) INCLUDE ({include})")
        schema_editor.execute(f"DROP INDEX IF EXISTS {plain}")
    name, table, key, include = FACTS
    schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({key}) INCLUDE ({include})")


def backwards(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor != "postgresql":
        return
    for plain, covering, table, key, _include in COVERING:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {plain} ON {table} ({key})")
        schema_editor.execute(f"DROP INDEX IF EXISTS {covering}")
    schema_editor.execute(f"DROP INDEX IF EXISTS {FACTS[0]}")


class Migration(migrations.Migration):
    dependencies = [("targets", "0002_measure_indexes")]

    operations = [migrations.RunPython(forwards, backwards)]
