from django.apps import AppConfig


class OversightConfig(AppConfig):
    """Oversight (监督统览): the dashboards (一屏统览), the public results window (视窗晾晒),
    station evaluation (九有 星级评定) and the monthly and yearly reports, all read from rollup
    tables the background worker refreshes."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "oversight"
    verbose_name = "监督统览"

    def ready(self):
        # The dashboard's sections register themselves (oversight.sections) when imported;
        # station evaluation (站点评星) brings its admin and hooks, and its line on the station
        # page, which is purged when an evaluation is approved.
        from content.page_purge import watch_station_section
        from oversight import duty_section, evaluation_admin, evaluation_public, work_section  # noqa: F401
        from oversight.models import EvaluationState, StationEvaluation

        watch_station_section(
            StationEvaluation,
            uid="oversight.station_evaluation",
            when=lambda evaluation: evaluation.state == EvaluationState.APPROVED,
        )
