"""Indexes the dashboard's measures need on the tables they count (other apps' tables; the measures are this
module's queries, so the indexes live with them). Plain CREATE INDEX IF NOT EXISTS, the same on SQLite and
PostgreSQL; they change no model state (makemigrations stays clean) and are dropped on reversal."""

from django.db import migrations

INDEXES = [
    ("targets_m_employment_start", "talents_employment", "start_date"),
    ("targets_m_employment_profile", "talents_employment", "profile_id, start_date"),
    ("targets_m_profile_created", "talents_talentprofile", "created_at"),
    ("targets_m_certificate_issued", "talents_certificate", "issued_at"),
    ("targets_m_lease_start", "housing_lease", "start_date"),
    ("targets_m_task_decided", "workflow_task", "decided_at"),
    ("targets_m_problem_closed", "engagement_problem", "closed_at"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("targets", "0001_initial"),
        ("talents", "0003_cert_event_kinds"),
        ("housing", "0003_bed_out_of_service"),
        ("workflow", "0001_initial"),
        ("engagement", "0002_problem_escalated_at"),
    ]

    operations = [
        migrations.RunSQL(f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({columns})",
                          reverse_sql=f"DROP INDEX IF EXISTS {name}")
        for name, table, columns in INDEXES
    ]
