"""站点评星 on the public site: a station's page shows its latest approved stars with the month
and the score, in one query (a prepared queryset: the station page's query budget is tight)."""

from __future__ import annotations

from wagtail import hooks

from base.prepared import prepared
from oversight.evaluation import EVALUATED_LEVELS
from oversight.models import EvaluationState, StationEvaluation


@hooks.register("construct_station_page_context")
def add_station_rating(station, request, context):
    """The latest 已评定 evaluation of a 中心站 or 联络站 (other levels are not evaluated: no query)."""
    found = _latest_rating(station.pk, EvaluationState.APPROVED) if station.level in EVALUATED_LEVELS else []
    context["station_rating"] = found[0] if found else None


@prepared
def _latest_rating(station_id, state):
    return (
        StationEvaluation.objects.filter(station_id=station_id, state=state)
        .only("station_id", "month", "final_score", "stars")
        .order_by("-month")[:1]
    )
