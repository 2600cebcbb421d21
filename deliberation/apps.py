from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    """Residents' deliberation meetings at stations (居民议事): topic, participants, minutes,
    resolutions and their follow-up."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "deliberation"
    verbose_name = "居民议事"
