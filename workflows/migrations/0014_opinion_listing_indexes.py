# The staff listing's first page in index order for each way a scope names opinions
# (issue 16, part 6): street committee, station staff, department handler.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0013_opinion_channel_open_api"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(fields=["street", "-created_at", "-id"], name="opinion_street_recent"),
        ),
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(fields=["station", "-created_at", "-id"], name="opinion_station_recent"),
        ),
        migrations.AddIndex(
            model_name="opinion",
            index=models.Index(fields=["department", "-created_at", "-id"], name="opinion_department_recent"),
        ),
    ]
