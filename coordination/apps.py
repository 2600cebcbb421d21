from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    """District-to-street tasks (区街联动): the district assigns, each street reports back."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "coordination"
    verbose_name = "区街联动"
