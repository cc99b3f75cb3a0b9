"""PostgreSQL only: a GIN index on the policy's full-text vector (docs/adr/0005). SQLite searches tokens with LIKE."""

from django.db import migrations

CREATE = ("CREATE INDEX IF NOT EXISTS policy_search_gin ON policies_policy "
          "USING gin (to_tsvector('simple'::regconfig, COALESCE(search_document, '')))")
DROP = "DROP INDEX IF EXISTS policy_search_gin"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
