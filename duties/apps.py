from django.apps import AppConfig


class DutiesConfig(AppConfig):
    """Deputies' duties (代表履职): the points scheme, activity records and their verification."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "duties"
    verbose_name = "代表履职"

    def ready(self):
        from duties import signals  # noqa: F401
