"""居民议事 on the public site: a station's recent meetings on its page, the list of meetings
(/deliberation/) and each meeting's page (/deliberation/<id>/).

What the public sees of a meeting: its topic, date and place, how many residents took part,
the deputies' and departments' names, the public summary, the resolutions with who follows
them up, by when, their progress, and the public state of an opinion one became. Never the
minutes, the "others" line or any resident's name (none is stored). Cancelled meetings are
not shown.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from wagtail import hooks

from base.prepared import prepared
from deliberation.models import RESOLUTION_DEADLINE, Meeting, MeetingState, Progress, Resolution

PUBLIC_STATES = (MeetingState.PLANNED, MeetingState.HELD, MeetingState.CLOSED)
ON_STATION_PAGE = 5
ON_INDEX = 50
LISTED_FIELDS = ("title", "date", "place", "state", "residents_count", "station_id")


def public_meetings():
    return Meeting.objects.filter(state__in=PUBLIC_STATES, station__live=True)


def meeting_url(meeting) -> str:
    return reverse("deliberation_meeting", args=[meeting.pk])


@hooks.register("construct_station_page_context")
def add_station_meetings(station, request, context):
    """The station's latest meetings for its page, in one query."""
    context["deliberation_meetings"] = _station_meetings(station.pk)


@prepared
def _station_meetings(station_id):
    return (
        Meeting.objects.filter(station_id=station_id, state__in=PUBLIC_STATES)
        .only(*LISTED_FIELDS)
        .order_by("-date", "-pk")[:ON_STATION_PAGE]
    )


@require_GET
def index(request):
    meetings = list(
        public_meetings()
        .select_related("station")
        .only(*LISTED_FIELDS, "station__title")
        .order_by("-date", "-pk")[:ON_INDEX]
    )
    return render(request, "deliberation/public/index.html", {"meetings": meetings, "page_title": "居民议事"})


@require_GET
def meeting_page(request, pk):
    meeting = get_object_or_404(
        public_meetings()
        .select_related("station")
        .defer("minutes", "others", "cancel_reason")
        .prefetch_related(
            "deputies",
            "departments",
            Prefetch(
                "resolutions",
                queryset=Resolution.objects.select_related("opinion", "opinion__department")
                .only(
                    "meeting_id",
                    "content",
                    "follow_up_by",
                    "due_on",
                    "state",
                    "done_on",
                    "done_note",
                    "opinion__state",
                    "opinion__department__name",
                )
                .prefetch_related(Prefetch("progress", queryset=Progress.objects.only("resolution_id", "date", "text")))
                .order_by("pk"),
            ),
        ),
        pk=pk,
    )
    resolutions = list(meeting.resolutions.all())
    for resolution in resolutions:
        resolution.overdue = RESOLUTION_DEADLINE.is_overdue(resolution)
    context = {
        "meeting": meeting,
        "station": meeting.station,
        "deputies": sorted(meeting.deputies.all(), key=lambda deputy: deputy.name),
        "departments": sorted(meeting.departments.all(), key=lambda department: department.name),
        "resolutions": resolutions,
        "page_title": meeting.title,
    }
    return render(request, "deliberation/public/meeting.html", context)
