"""Keep each station's denormalised street right when pages move between centre stations."""

from django.dispatch import receiver

from wagtail.signals import post_page_move

from content.models import StationLevel, StationPage


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
