from django.apps import AppConfig


class LivelihoodConfig(AppConfig):
    """Livelihood projects decided by the deputies' vote (民生实事项目票决)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "livelihood"
    verbose_name = "民生实事"

    def ready(self):
        # The round's process registers itself (and its audit action's timeline) when imported.
        from livelihood import rounds  # noqa: F401
