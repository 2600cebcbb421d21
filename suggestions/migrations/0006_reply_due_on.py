from django.db import migrations, models


def backfill_due_on(apps, schema_editor):
    """Replies made before the field existed answered the suggestion's deadline as it stands
    (a reopened one's second reply did; the first reply's own deadline was not kept)."""
    SuggestionReply = apps.get_model("suggestions", "SuggestionReply")
    for reply in SuggestionReply.objects.filter(due_on__isnull=True).select_related("suggestion"):
        reply.due_on = reply.suggestion.deadline
        reply.save(update_fields=["due_on"])


class Migration(migrations.Migration):
    dependencies = [
        ("suggestions", "0005_key_supervision"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalsuggestionreply",
            name="due_on",
            field=models.DateField(blank=True, null=True, verbose_name="答复期限"),
        ),
        migrations.AddField(
            model_name="suggestionreply",
            name="due_on",
            field=models.DateField(blank=True, null=True, verbose_name="答复期限"),
        ),
        migrations.RunPython(backfill_due_on, migrations.RunPython.noop),
    ]
