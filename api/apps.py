from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "开放接口 Open APIs"
    default_auto_field = "django.db.models.BigAutoField"
