"""Admin roles are mutually exclusive (auditor included), and a role must match its account type (triggers)."""

from django.db import migrations, models


# A role may only be held by an account of the matching type, so an administrator account can never hold a business
# role (and a talent can never hold a staff role) whatever writes the row. Enforced by triggers on both databases.
ROLE_ACCOUNT_CASE = """CASE {role}
    WHEN 'talent' THEN 'talent'
    WHEN 'employer_admin' THEN 'employer' WHEN 'employer_hr' THEN 'employer'
    WHEN 'dept_staff' THEN 'staff' WHEN 'dept_head' THEN 'staff'
    WHEN 'partner_checker' THEN 'partner'
    ELSE 'admin' END"""

SQLITE_SQL = [
    f"""CREATE TRIGGER IF NOT EXISTS core_role_account_type_ins BEFORE INSERT ON core_roleassignment
    WHEN (SELECT account_type FROM core_user WHERE id = NEW.user_id) <> ({ROLE_ACCOUNT_CASE.format(role="NEW.role")})
    BEGIN SELECT RAISE(ABORT, 'role does not match the account type'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS core_role_account_type_upd BEFORE UPDATE ON core_roleassignment
    WHEN (SELECT account_type FROM core_user WHERE id = NEW.user_id) <> ({ROLE_ACCOUNT_CASE.format(role="NEW.role")})
    BEGIN SELECT RAISE(ABORT, 'role does not match the account type'); END;""",
    f"""CREATE TRIGGER IF NOT EXISTS core_user_account_type_upd BEFORE UPDATE OF account_type ON core_user
    WHEN EXISTS (SELECT 1 FROM core_roleassignment r WHERE r.user_id = NEW.id
                 AND ({ROLE_ACCOUNT_CASE.format(role="r.role")}) <> NEW.account_type)
    BEGIN SELECT RAISE(ABORT, 'account type does not match the roles held'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_role_account_type_ins;",
    "DROP TRIGGER IF EXISTS core_role_account_type_upd;",
    "DROP TRIGGER IF EXISTS core_user_account_type_upd;",
]
PG_SQL = [
    f"""CREATE OR REPLACE FUNCTION onestop_role_matches_account() RETURNS trigger AS $$
BEGIN
    IF (SELECT account_type FROM core_user WHERE id = NEW.user_id) <> ({ROLE_ACCOUNT_CASE.format(role="NEW.role")}) THEN
        RAISE EXCEPTION 'role does not match the account type' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_role_account_type BEFORE INSERT OR UPDATE ON core_roleassignment
    FOR EACH ROW EXECUTE FUNCTION onestop_role_matches_account();""",
    f"""CREATE OR REPLACE FUNCTION onestop_account_matches_roles() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM core_roleassignment r WHERE r.user_id = NEW.id
               AND ({ROLE_ACCOUNT_CASE.format(role="r.role")}) <> NEW.account_type) THEN
        RAISE EXCEPTION 'account type does not match the roles held' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_user_account_type BEFORE UPDATE OF account_type ON core_user
    FOR EACH ROW EXECUTE FUNCTION onestop_account_matches_roles();""",
]
PG_DROP = [
    "DROP TRIGGER IF EXISTS core_role_account_type ON core_roleassignment;",
    "DROP FUNCTION IF EXISTS onestop_role_matches_account();",
    "DROP TRIGGER IF EXISTS core_user_account_type ON core_user;",
    "DROP FUNCTION IF EXISTS onestop_account_matches_roles();",
]


def install(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = PG_SQL if vendor == "postgresql" else SQLITE_SQL if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql, params=None)


def uninstall(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = PG_DROP if vendor == "postgresql" else SQLITE_DROP if vendor == "sqlite" else []
    for sql in statements:
        schema_editor.execute(sql, params=None)



class Migration(migrations.Migration):

    dependencies = [
        ('core', '0002_audit_append_only'),
        ('employers', '0001_initial'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='roleassignment',
            name='one_admin_role_per_user',
        ),
        migrations.AddConstraint(
            model_name='roleassignment',
            constraint=models.UniqueConstraint(condition=models.Q(('role__in', ['sys_admin', 'sec_admin', 'audit_admin', 'auditor'])), fields=('user',), name='one_admin_role_per_user'),
        ),
        migrations.RunPython(install, uninstall),
    ]

