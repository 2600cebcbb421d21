from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "办理流程 Workflows"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Published results on station pages and /results/ leave the page cache when they change.
        from workflows import page_purge

        page_purge.connect()
