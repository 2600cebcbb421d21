# The audit log moved to the base app (base 0001): it leaves this app's state only, its
# table (and the append-only trigger of 0003) stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("base", "0001_initial"),
        ("permissions", "0010_audit_object_deleted"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
        ),
    ]
