"""Building blocks for creating stations programmatically (demo data, tests, imports)."""

from __future__ import annotations

from django.db import transaction

from wagtail.models import Page, Site

from content.models import HomePage, StationPage


def district_home() -> HomePage:
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site and isinstance(site.root_page.specific, HomePage):
        return site.root_page.specific
    return HomePage.objects.first()


@transaction.atomic
def add_station(parent: Page, station: StationPage, *, publish: bool = True) -> StationPage:
    """Add a station page under `parent` and publish it (a revision is kept, as in the admin).

    With `publish=False` the page is a draft that was never published, as one saved in the
    admin without publishing: not live, so not public."""
    if not publish:
        station.live = False
    parent.add_child(instance=station)
    revision = station.save_revision()
    if publish:
        revision.publish()
        station.refresh_from_db()
    return station
