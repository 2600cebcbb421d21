from django.apps import AppConfig


class BaseConfig(AppConfig):
    """The platform's base layer: audit, field history, masking, the working-day calendar and
    roles. It imports none of the feature apps (content, workflows, permissions)."""

    name = "base"
    verbose_name = "平台基础 Platform base"
    default_auto_field = "django.db.models.BigAutoField"
