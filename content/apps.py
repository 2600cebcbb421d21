from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "content"
    verbose_name = "联络站网络 Station network"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from content import page_purge, signals  # noqa: F401

        page_purge.connect()
