from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    """District-to-street tasks (区街联动): the district assigns, each street reports back."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "coordination"
    verbose_name = "区街联动"

    def ready(self):
        # The process registers itself (and its audit actions' timeline) when imported.
        from coordination import street_tasks  # noqa: F401
