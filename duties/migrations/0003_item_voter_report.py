from django.db import migrations, models

FIELD = models.BooleanField(
    default=False,
    help_text="计入“每位区人大代表每届至少向选民报告一次”的覆盖率",
    verbose_name="属于向选民报告履职",
)


def mark_voter_reports(apps, schema_editor):
    apps.get_model("duties", "DutyItem").objects.filter(name="向选民报告履职情况").update(voter_report=True)


class Migration(migrations.Migration):
    dependencies = [("duties", "0002_default_scheme")]

    operations = [
        migrations.AddField(model_name="dutyitem", name="voter_report", field=FIELD),
        migrations.AddField(model_name="historicaldutyitem", name="voter_report", field=FIELD),
        migrations.RunPython(mark_voter_reports, migrations.RunPython.noop),
    ]
