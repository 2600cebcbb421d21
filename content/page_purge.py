"""Which cached public pages a change in the station network affects (base.pagecache).

- A page published, unpublished, moved or deleted: the page itself (with a station's own
  routes: its print card and calendar), its parent (which lists its children and activities),
  the district home page (centre stations, newest activities, counts), and the pages of the
  deputies it names (an activity's deputies; a station's wall and duty deputies, whose pages
  list their stations and duties).
- A deputy: their page and card, the directory's first page, the home page's count, and the
  stations whose wall shows them.
- A membership (进站) or a reception schedule: the station's page and the deputies' pages.
- A street or the site's identity: every page (street names and the site's name are on all).

Other apps call `station_paths` for what they show on station pages (results, topics, …).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models.signals import m2m_changed, post_delete
from django.dispatch import receiver
from django.urls import reverse

from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from base import pagecache
from content.models import ActivityPage, Deputy, Membership, ReceptionSchedule, StationPage, Street
from content.site_settings import SiteIdentity


def _page_url(page: Page) -> str | None:
    parts = page.get_url_parts()
    return parts[2] if parts else None


def page_paths(pages: Iterable[Page]) -> list[str]:
    """Each page's cached paths: its address and the routes it declares in Wagtail's
    `get_cached_paths()` (a station's card and calendar, a draft's articles)."""
    paths = []
    for page in pages:
        url = _page_url(page)
        if url is None:
            continue
        specific = page.specific_deferred if type(page) is Page else page
        paths += [url + route.lstrip("/") for route in specific.get_cached_paths()]
    return paths


def station_paths(station_ids: Iterable[int | None]) -> list[str]:
    """The cached paths of these stations' pages (their page, print card and calendar)."""
    ids = {pk for pk in station_ids if pk}
    if not ids:
        return []
    pages = StationPage.objects.filter(pk__in=ids).only("pk", "url_path", "depth", "path", "content_type_id")
    return page_paths(pages)


def deputy_paths(deputy_ids: Iterable[int | None]) -> list[str]:
    paths = []
    for pk in {pk for pk in deputy_ids if pk}:
        paths += [reverse("deputy_detail", args=[pk]), reverse("deputy_card", args=[pk])]
    return paths + [reverse("deputy_list")] if paths else []


def _named_deputies(page) -> set[int]:
    if isinstance(page, ActivityPage):
        return set(page.deputies.values_list("pk", flat=True))
    if isinstance(page, StationPage):
        walls = Membership.objects.filter(station_id=page.pk).values_list("deputy_id", flat=True)
        duties = ReceptionSchedule.duty_deputies.through.objects.filter(
            receptionschedule__station_id=page.pk
        ).values_list("deputy_id", flat=True)
        return set(walls) | set(duties)
    return set()


def purge_page(page: Page) -> None:
    page = page.specific_deferred
    paths = page_paths([page])
    parent = page.get_parent()
    if parent is not None:
        paths += page_paths([parent])
    paths.append("/")
    paths += deputy_paths(_named_deputies(page))
    pagecache.purge_paths(paths)


@receiver(page_published)
@receiver(page_unpublished)
def page_changed(sender, instance, **kwargs):
    purge_page(instance)


@receiver(post_page_move)
def page_moved(sender, instance, url_path_before="", **kwargs):
    purge_page(instance)
    # The old address with its routes, and the old parent's list of children.
    pagecache.purge_paths(_paths_at(url_path_before, instance))
    parent_before = kwargs.get("parent_page_before")
    if parent_before is not None:
        pagecache.purge_paths(page_paths([parent_before]))


def _paths_at(url_path: str, page: Page) -> list[str]:
    """The cached paths `page` had at `url_path` (a page's tree address: where it was before a
    move, or where it stood before being deleted)."""
    specific = page.specific_deferred if type(page) is Page else page
    for site in Site.get_site_root_paths():
        if url_path.startswith(site.root_path):
            address = "/" + url_path[len(site.root_path) :]
            return [address + route.lstrip("/") for route in specific.get_cached_paths()]
    return []


@receiver(post_delete)
def page_deleted(sender, instance, **kwargs):
    """A deleted page's address, its parent's list and the home page; its memberships purge
    their deputies' pages as they go."""
    if not isinstance(instance, Page) or type(instance) is Page or not instance.live:
        return
    parent = Page.objects.filter(path=instance.path[: -Page.steplen]).first()
    pagecache.purge_paths([*_paths_at(instance.url_path, instance), *page_paths([parent] if parent else []), "/"])


def _deputy_paths(deputy: Deputy) -> list[str]:
    stations = Membership.objects.filter(deputy_id=deputy.pk).values_list("station_id", flat=True)
    return [*deputy_paths([deputy.pk]), *station_paths(stations), "/"]


def _membership_paths(membership: Membership) -> list[str]:
    return [*station_paths([membership.station_id]), *deputy_paths([membership.deputy_id])]


def _schedule_paths(schedule: ReceptionSchedule) -> list[str]:
    deputies = schedule.duty_deputies.through.objects.filter(receptionschedule_id=schedule.pk).values_list(
        "deputy_id", flat=True
    )
    return [*station_paths([schedule.station_id]), *deputy_paths(deputies)]


@receiver(m2m_changed, sender=ReceptionSchedule.duty_deputies.through)
def duty_deputies_changed(sender, instance, pk_set=None, **kwargs):
    if kwargs.get("action") in ("post_add", "post_remove", "post_clear") and isinstance(instance, ReceptionSchedule):
        pagecache.purge_paths([*_schedule_paths(instance), *deputy_paths(pk_set or ())])


def watch_station_section(
    model, *, uid: str, station=lambda instance: instance.station_id, also=(), extra=None, when=None
):
    """Purge a station's page when a row shown in one of its sections changes (a feature app's
    results, topics, meetings…); `when(instance)` limits it to rows the page shows or showed,
    `also` adds the app's own listing pages, `extra(instance)` pages that depend on the row."""

    def paths(instance):
        if when is not None and not when(instance):
            return ()
        found = [*station_paths([station(instance)]), *(str(path) for path in also)]
        return found + list(extra(instance)) if extra is not None else found

    pagecache.watch(model, paths, uid=uid)


def connect() -> None:
    pagecache.watch(Deputy, _deputy_paths, uid="content.deputy")
    pagecache.watch(Membership, _membership_paths, uid="content.membership")
    pagecache.watch(ReceptionSchedule, _schedule_paths, uid="content.schedule")
    pagecache.watch_everything(Street, uid="content.street")
    pagecache.watch_everything(SiteIdentity, uid="content.site_identity")
