from django.apps import AppConfig


class PermissionsConfig(AppConfig):
    name = "permissions"
    verbose_name = "用户与权限 Users & permissions"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from permissions import signals  # noqa: F401
