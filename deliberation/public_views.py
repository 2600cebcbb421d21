"""居民议事 on the public site: a station's recent meetings on its page, the list of meetings
(/deliberation/) and each meeting's page (/deliberation/<id>/).

What the public sees of a meeting: its topic, date and place, how many residents took part,
the deputies' and departments' names, the public summary, the resolutions with who follows
them up, by when, their progress, and the public state of an opinion one became. Never the
minutes, the "others" line or any resident's name (none is stored). Cancelled meetings are
not shown.
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.db.models import Prefetch
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from wagtail import hooks

from deliberation.models import RESOLUTION_DEADLINE, Meeting, MeetingState, Progress, Resolution

PUBLIC_STATES = (MeetingState.PLANNED, MeetingState.HELD, MeetingState.CLOSED)
ON_STATION_PAGE = 5
STATION_CACHE_SECONDS = 600
ON_INDEX = 50
LISTED_FIELDS = ("title", "date", "place", "state", "residents_count", "station_id")


def public_meetings():
    return Meeting.objects.filter(state__in=PUBLIC_STATES, station__live=True)


def meeting_url(meeting) -> str:
    return reverse("deliberation_meeting", args=[meeting.pk])


def _station_key(station_id) -> str:
    return f"deliberation:station-meetings:{station_id}"


@hooks.register("construct_station_page_context")
def add_station_meetings(station, request, context):
    """The station's latest meetings for its page: one query, kept in the cache until one of
    the station's meetings is saved (the station page's query budget has no room for more)."""
    key = _station_key(station.pk)
    meetings = cache.get(key)
    if meetings is None:
        meetings = list(
            Meeting.objects.filter(station_id=station.pk, state__in=PUBLIC_STATES)
            .only(*LISTED_FIELDS)
            .order_by("-date", "-pk")[:ON_STATION_PAGE]
        )
        cache.set(key, meetings, STATION_CACHE_SECONDS)
    context["deliberation_meetings"] = meetings


@receiver(post_save, sender=Meeting)
def forget_station_meetings(sender, instance, **kwargs):
    """Every change of a meeting (each transition saves it) refreshes its station's list, now
    and once the change is committed (so no request caches the list from before it)."""
    key = _station_key(instance.station_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


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
