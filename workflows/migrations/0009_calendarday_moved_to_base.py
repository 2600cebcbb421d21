# The holiday calendar moved to the base app (base 0001): it leaves this app's state only,
# its tables stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("base", "0001_initial"),
        ("workflows", "0008_opinion_public_reply"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.DeleteModel(name="CalendarDay"),
                migrations.DeleteModel(name="HistoricalCalendarDay"),
            ],
        ),
    ]
