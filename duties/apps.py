from django.apps import AppConfig


class DutiesConfig(AppConfig):
    """Deputies' duties (代表履职): the points scheme, activity records and their verification."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "duties"
    verbose_name = "代表履职"

    def ready(self):
        from wagtail.signals import page_published, page_unpublished

        from base import pagecache
        from content.page_purge import watch_station_section
        from duties import signals  # noqa: F401
        from duties.models import DiscussionTopic
        from duties.publication import PointsPublicationPage

        # A station's discussion topics are on its page; the yearly points on every deputy's.
        watch_station_section(DiscussionTopic, uid="duties.topic")
        for signal in (page_published, page_unpublished):
            signal.connect(lambda **kwargs: pagecache.purge_all(), sender=PointsPublicationPage, weak=False)
