"""The reception-day calendars (iCalendar, RFC 5545) as versioned API paths, described in the
OpenAPI document. The feeds are content.ical's, the same bytes as the public feed URLs
(`<station>/calendar/`, `/deputies/<id>/calendar.ics`, `/calendar.ics`), which stay."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from api.errors import ApiErrorSerializer
from api.popolo import public_deputies, public_stations
from api.public import PublicAPIView
from content.ical import DISTRICT_FEED_DAYS, schedules_calendar, station_calendar
from content.models import ReceptionSchedule, Street

TAG = "日历订阅 iCalendar"
FEED_NOTE = (
    "iCalendar（RFC 5545）格式，可在日历应用中订阅。同一次接待在各个日历里的 UID 相同"
    "（reception-<安排编号>-<原定日期>@lianluo），遇节假日顺延时 UID 不变，说明里写明顺延原因。"
)
CALENDAR = OpenApiResponse(OpenApiTypes.STR, description="iCalendar 日历（text/calendar）")


class ICalendarRenderer(BaseRenderer):
    media_type = "text/calendar"
    format = "ics"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


def _responses(not_found: str) -> dict:
    return {
        (200, "text/calendar"): CALENDAR,
        (404, "application/json"): OpenApiResponse(ApiErrorSerializer, description=not_found),
    }


class CalendarView(PublicAPIView):
    renderer_classes = [ICalendarRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        if getattr(response, "exception", False):  # errors are JSON, as in every other API
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @staticmethod
    def feed(body: bytes, filename: str) -> Response:
        response = Response(body)
        response["Content-Disposition"] = f'inline; filename="{filename}"'
        return response


def feed_schedules():
    """Reception schedules of live stations, with what a feed prints (as content.views' feeds)."""
    return (
        ReceptionSchedule.objects.filter(station__live=True).select_related("station").prefetch_related("duty_deputies")
    )


class StationCalendarView(CalendarView):
    @extend_schema(
        operation_id="calendar_station",
        summary="一个联络站的接待日日历",
        description="该站未来一年的代表接待日。" + FEED_NOTE,
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="联络站编号（station/<编号>）")],
        responses=_responses("没有这个公开的联络站"),
        tags=[TAG],
    )
    def get(self, request, id):
        station = public_stations().filter(pk=id).first()
        if station is None:
            raise NotFound("没有找到这个联络站")
        return self.feed(station_calendar(station, request), f"station-{station.pk}.ics")


class DeputyCalendarView(CalendarView):
    @extend_schema(
        operation_id="calendar_deputy",
        summary="一位代表的接待值班日历",
        description="该代表未来一年在各联络站的接待值班。" + FEED_NOTE,
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH, description="代表编号（person/<编号>）")],
        responses=_responses("没有这位在任代表"),
        tags=[TAG],
    )
    def get(self, request, id):
        deputy = public_deputies().filter(pk=id).first()
        if deputy is None:
            raise NotFound("没有找到这位代表")
        schedules = feed_schedules().filter(duty_deputies=deputy)
        return self.feed(
            schedules_calendar(f"{deputy.name}代表 接待值班", schedules, request), f"deputy-{deputy.pk}.ics"
        )


class DistrictCalendarView(CalendarView):
    @extend_schema(
        operation_id="calendar_district",
        summary="全区（或一个街道）的接待日日历",
        description="全区各联络站未来三个月的代表接待日；加 street 参数只看一个街道。" + FEED_NOTE,
        parameters=[
            OpenApiParameter(
                "street", str, OpenApiParameter.QUERY, required=False, description="街道的英文标识，例如 hubin"
            )
        ],
        responses=_responses("没有这个街道"),
        tags=[TAG],
    )
    def get(self, request):
        schedules, name, filename = feed_schedules(), "全区代表接待日", "district.ics"
        slug = request.query_params.get("street", "")
        if slug:
            street = Street.objects.filter(slug=slug).first()
            if street is None:
                raise NotFound("没有找到这个街道")
            schedules = schedules.filter(station__street=street)
            name, filename = f"{street.name} 代表接待日", f"{street.slug}.ics"
        return self.feed(schedules_calendar(name, schedules, request, DISTRICT_FEED_DAYS), filename)
