"""Keep each station's denormalised street right when pages move between centre stations, and
a deputy's search entry right when their memberships change."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wagtail.search.tasks import insert_or_update_object_task
from wagtail.signals import post_page_move

from content.models import Membership, StationLevel, StationPage


@receiver(post_page_move)
def restreet_moved_subtree(sender, instance, **kwargs):
    page = instance.specific
    if not isinstance(page, StationPage):
        return
    centre = StationPage.objects.filter(level=StationLevel.CENTRE).ancestor_of(page, inclusive=True).first()
    if centre is None:
        return
    StationPage.objects.descendant_of(page, inclusive=True).exclude(street_id=centre.street_id).update(
        street_id=centre.street_id
    )


@receiver(post_save, sender=Membership)
@receiver(post_delete, sender=Membership)
def reindex_member(sender, instance, **kwargs):
    """A deputy's index entry carries the streets of their stations (the search's street
    filter, content.search): refresh it when a membership is added, changed or removed."""
    if kwargs.get("raw"):
        return
    insert_or_update_object_task.enqueue("content", "deputy", str(instance.deputy_id))
