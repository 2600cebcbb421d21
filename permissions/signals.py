"""Keep street committee groups in step with streets and centre stations."""

from django.contrib.auth.models import Group
from django.db.models import Q
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from content.models import CentreStationPage, Street
from permissions.roles import STREET_GROUP_PREFIX, rename_street_group, sync_street_group


@receiver(pre_save, sender=Street)
def remember_street_name(sender, instance, **kwargs):
    instance._previous_name = Street.objects.filter(pk=instance.pk).values_list("name", flat=True).first()


@receiver(post_save, sender=Street)
def street_group_for_new_street(sender, instance, created, raw=False, **kwargs):
    if raw:
        return
    previous = getattr(instance, "_previous_name", None)
    if previous and previous != instance.name:
        rename_street_group(previous, instance)
    sync_street_group(instance)


@receiver(post_save, sender=CentreStationPage)
def grant_street_on_centre_station(sender, instance, raw=False, **kwargs):
    if raw:
        return
    # The new street gains the page; a street it was moved away from loses it.
    holders = Group.objects.filter(name__startswith=STREET_GROUP_PREFIX, page_permissions__page=instance).values_list(
        "name", flat=True
    )
    names = {name.removeprefix(STREET_GROUP_PREFIX) for name in holders}
    for street in Street.objects.filter(Q(pk=instance.street_id) | Q(name__in=names)):
        sync_street_group(street)
