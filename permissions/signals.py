"""Keep street committee groups in step with streets and centre stations."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from content.models import CentreStationPage, ContactPointPage, LiaisonStationPage, StationPage, Street
from permissions import audit
from permissions.models import AuditEvent, StationAssignment
from permissions.roles import (
    STREET_GROUP_PREFIX,
    rename_street_group,
    station_group_name,
    station_group_prefix,
    sync_department_group,
    sync_station_group,
    sync_street_group,
)
from workflows.models import Department


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


@receiver(pre_save, sender=StationAssignment)
def remember_assigned_station(sender, instance, **kwargs):
    instance._previous_station_id = (
        StationAssignment.objects.filter(pk=instance.pk).values_list("station_id", flat=True).first()
    )


@receiver(post_save, sender=StationAssignment)
@receiver(post_delete, sender=StationAssignment)
def staff_group_follows_assignments(sender, instance, raw=False, **kwargs):
    if raw:
        return
    station_ids = {instance.station_id, getattr(instance, "_previous_station_id", None)} - {None}
    for station in StationPage.objects.filter(pk__in=station_ids):
        sync_station_group(station)


@receiver(post_save, sender=LiaisonStationPage)
@receiver(post_save, sender=ContactPointPage)
def staff_group_follows_station_title(sender, instance, raw=False, **kwargs):
    if raw:
        return
    Group.objects.filter(name__startswith=station_group_prefix(instance)).exclude(
        name=station_group_name(instance)
    ).update(name=station_group_name(instance))


@receiver(pre_save, sender=Department)
def remember_department_name(sender, instance, **kwargs):
    instance._previous_name = Department.objects.filter(pk=instance.pk).values_list("name", flat=True).first()


@receiver(post_save, sender=Department)
def department_group_for_department(sender, instance, raw=False, **kwargs):
    if raw:
        return
    sync_department_group(instance, previous_name=getattr(instance, "_previous_name", None))


# --- Audit: sign-ins and changes of roles and permissions --------------------------------------


@receiver(user_logged_in)
def audit_login(sender, request, user, **kwargs):
    audit.record(AuditEvent.Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AuditEvent.Action.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs):
    # The attempted username is kept (never the password) so lockouts can be traced.
    audit.record(AuditEvent.Action.LOGIN_FAILED, request=request, username=str(credentials.get("username", "")))


@receiver(m2m_changed, sender=get_user_model().groups.through)
def audit_role_change(sender, instance, action, pk_set, reverse, **kwargs):
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    kind = AuditEvent.Action.ROLE_GRANTED if action == "post_add" else AuditEvent.Action.ROLE_REVOKED
    if reverse:  # group.user_set.add(user, ...)
        users, groups = get_user_model().objects.filter(pk__in=pk_set), [instance]
    else:  # user.groups.add(group, ...)
        users, groups = [instance], Group.objects.filter(pk__in=pk_set)
    for user in users:
        for group in groups:
            audit.record(kind, obj=user, group=group.name)


@receiver(m2m_changed, sender=Group.permissions.through)
def audit_group_permissions(sender, instance, action, pk_set, reverse, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or reverse:
        return
    from django.contrib.auth.models import Permission

    codenames = sorted(Permission.objects.filter(pk__in=pk_set or ()).values_list("codename", flat=True))
    audit.record(AuditEvent.Action.PERMISSIONS_CHANGED, obj=instance, change=action, permissions=codenames)
