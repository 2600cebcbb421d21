"""Published results (晾晒) are on their station's page and on /results/: a change to an opinion
that is, or was when loaded, published purges both (base.pagecache)."""

from django.db.models.signals import post_init
from django.urls import reverse_lazy

from content.page_purge import watch_station_section
from workflows.models import Opinion, Publication


def _remember_publication(sender, instance, **kwargs):
    # Read from __dict__: a deferred field must not cost a query per row loaded.
    instance._published_when_loaded = instance.__dict__.get("publication") == Publication.APPROVED


def _shown_publicly(opinion) -> bool:
    return opinion.publication == Publication.APPROVED or getattr(opinion, "_published_when_loaded", False)


def connect() -> None:
    post_init.connect(_remember_publication, sender=Opinion, dispatch_uid="pagecache-opinion-loaded")
    watch_station_section(
        Opinion,
        uid="workflows.opinion",
        station=lambda opinion: opinion.origin_station_id,
        also=[reverse_lazy("opinion_results")],
        when=_shown_publicly,
    )
