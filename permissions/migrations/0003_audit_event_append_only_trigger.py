from django.db import migrations

# Row-level UPDATE and DELETE are refused. TRUNCATE is not trapped here (test databases are
# flushed with it); in production the application's database role must not own the table,
# which is what TRUNCATE requires.

CREATE = """
CREATE OR REPLACE FUNCTION permissions_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计记录只能追加 (audit events are append-only): % refused', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER permissions_auditevent_append_only
    BEFORE UPDATE OR DELETE ON permissions_auditevent
    FOR EACH ROW EXECUTE FUNCTION permissions_auditevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS permissions_auditevent_append_only ON permissions_auditevent;
DROP FUNCTION IF EXISTS permissions_auditevent_append_only();
"""


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("permissions", "0002_audit_event")]

    operations = [migrations.RunPython(create_trigger, drop_trigger)]
