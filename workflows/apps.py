from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "办理流程 Workflows"
    default_auto_field = "django.db.models.BigAutoField"
