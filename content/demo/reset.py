"""Find and remove a previously built district."""

from __future__ import annotations

from contextlib import contextmanager

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, post_delete, pre_delete

from wagtail import hooks
from wagtail.models import Page, ReferenceIndex, Revision
from wagtail.search.models import IndexEntry

from content.demo.portraits import forget_portraits
from content.demo.store import HISTORY_MAX_PAGES, INDEXED_MODELS, batches
from content.models import (
    ActivityPage,
    CentreStationPage,
    ContactPointPage,
    Deputy,
    GeneralStationPage,
    LiaisonStationPage,
    StationPage,
    Street,
)
from content.tree import district_home

LEAVES_FIRST = (ActivityPage, ContactPointPage, LiaisonStationPage, CentreStationPage, GeneralStationPage)


def existing_counts() -> dict[str, int]:
    home = district_home()
    return {
        "stations": StationPage.objects.count(),
        "pages": Page.objects.descendant_of(home).count() if home else 0,
        "deputies": Deputy.objects.count(),
        "streets": Street.objects.count(),
    }


@transaction.atomic
def reset_district(progress, *, fast: bool | None = None) -> None:
    """Delete every page under the district HomePage, then all deputies and streets; first
    whatever other apps keep on those (opinions hold their stations), through the
    `before_demo_district_reset` hook.

    Small districts go through plain ORM deletes with every signal handler (search and
    reference index, field history, page unpublish) running as in the admin. That takes
    minutes for a 50,000-page benchmark district, so above HISTORY_MAX_PAGES pages (or with
    fast=True) the delete signals are muted: Django's collector can then delete in bulk while
    still honouring every CASCADE and PROTECT, and the two indexes are cleaned here instead.
    No deletion history rows are written in that case.
    """
    home = district_home()
    page_ids = list(Page.objects.descendant_of(home).values_list("pk", flat=True)) if home else []
    counts = existing_counts()
    if fast is None:
        fast = len(page_ids) > HISTORY_MAX_PAGES
    dependants = hooks.get_hooks("before_demo_district_reset")
    if not fast:
        for clear in dependants:
            clear()
        for child in home.get_children() if home else []:
            child.delete()
        Deputy.objects.all().delete()
        Street.objects.all().delete()
    else:
        deputy_ids = list(Deputy.objects.values_list("pk", flat=True))
        street_ids = list(Street.objects.values_list("pk", flat=True))
        with muted_delete_signals():
            for clear in dependants:
                clear()
            if home:
                delete_pages_leaves_first(home)
            Deputy.objects.all().delete()
            Street.objects.all().delete()
            forget_indexed(Page, page_ids)
            forget_indexed(Deputy, deputy_ids)
            forget_indexed(Street, street_ids)
    forget_portraits()  # the deputies' demo avatars go with them
    progress(
        f"已删除 Deleted: {len(page_ids)} 个页面 pages，"
        f"{counts['deputies']} 名代表 deputies，{counts['streets']} 个街道 streets"
    )


def delete_pages_leaves_first(home: Page) -> None:
    # Django's own QuerySet.delete, not treebeard's: that one re-selects the doomed subtree
    # through the base Page model, and the collector then loads each page's subclass parent
    # links one query at a time. Leaves go first, so no page ever loses its parent early.
    for model in LEAVES_FIRST:
        ids = list(model.objects.descendant_of(home).values_list("pk", flat=True))
        for chunk in batches(ids, 1000):
            QuerySet.delete(model.objects.filter(pk__in=chunk))
    Page.objects.child_of(home).delete()  # any other page types, the tree-aware way
    Page.objects.filter(pk=home.pk).update(numchild=Page.objects.child_of(home).count())


def forget_indexed(base_model, ids: list[int]) -> None:
    """Drop revisions and search- and reference-index rows of deleted objects: generic
    relations that the muted signals (or Page's GenericRelation) would have taken along."""
    base_type = ContentType.objects.get_for_model(base_model)
    indexed_types = [
        ContentType.objects.get_for_model(m) for m in (*INDEXED_MODELS, base_model) if issubclass(m, base_model)
    ]
    for chunk in batches([str(pk) for pk in ids], 500):
        Revision.objects.filter(base_content_type=base_type, object_id__in=chunk).delete()
        ReferenceIndex.objects.filter(base_content_type=base_type, object_id__in=chunk).delete()
        ReferenceIndex.objects.filter(to_content_type=base_type, to_object_id__in=chunk).delete()
        IndexEntry.objects.filter(content_type__in=indexed_types, object_id__in=chunk).delete()


@contextmanager
def muted_delete_signals():
    """Disconnect every delete receiver for the duration (the approach of factory_boy's
    mute_signals); the collector can only bulk-delete models nobody listens to."""
    signals = (pre_delete, post_delete, m2m_changed)
    saved = [(signal, signal.receivers) for signal in signals]
    try:
        for signal in signals:
            signal.receivers = []
            signal.sender_receivers_cache.clear()
        yield
    finally:
        for signal, receivers in saved:
            signal.receivers = receivers
            signal.sender_receivers_cache.clear()
