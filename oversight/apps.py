from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Oversight (监督统览): the dashboards (一屏统览), the public results window (视窗晾晒),
    station evaluation (九有 星级评定) and the monthly and yearly reports, all read from rollup
    tables the background worker refreshes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = "监督统览"

    def ready(self):
