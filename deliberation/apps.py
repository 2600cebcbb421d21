from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    """Residents' deliberation meetings at stations (居民议事): topic, participants, minutes,
    resolutions and their follow-up."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "deliberation"
    verbose_name = "居民议事"

    def ready(self):
        # The processes register themselves (and their audit actions' timelines) when imported;
        # the public views add a station's recent meetings to its page; the demo clears its
        # meetings before the demo district is rebuilt.
        from content.page_purge import watch_station_section
        from deliberation import demo, meetings, public_views  # noqa: F401
        from deliberation.models import Meeting

        # A station's page lists its latest meetings.
        watch_station_section(Meeting, uid="deliberation.meeting")
