"""Keep street committee groups in step with streets and centre stations, and audit sign-ins
and every change of roles and permissions."""

from guardian.models import GroupObjectPermission, UserObjectPermission

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.forms import Media

from wagtail import hooks
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page, Revision, RevisionMixin

from base import audit
from base.roles import STREET_GROUP_PREFIX, forget_roles, station_group_name, station_group_prefix
from content.models import CentreStationPage, ContactPointPage, LiaisonStationPage, StationPage, Street
from permissions.models import AccountAction, StationAssignment
from permissions.roles import rename_street_group, sync_department_group, sync_station_group, sync_street_group
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
    audit.record(AccountAction.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(AccountAction.LOGOUT, actor=user, request=request)


@receiver(user_login_failed)
def audit_failed_login(sender, credentials, request=None, **kwargs):
    # The attempted username is kept (never the password) so lockouts can be traced.
    audit.record(AccountAction.LOGIN_FAILED, request=request, username=str(credentials.get("username", "")))


@receiver(m2m_changed, sender=get_user_model().groups.through)
def audit_role_change(sender, instance, action, pk_set, reverse, **kwargs):
    if action.startswith("post_"):
        forget_roles()  # the rest of this request asks roles_of() afresh
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    kind = AccountAction.ROLE_GRANTED if action == "post_add" else AccountAction.ROLE_REVOKED
    if reverse:  # group.user_set.add(user, ...)
        users, groups = get_user_model().objects.filter(pk__in=pk_set), [instance]
    else:  # user.groups.add(group, ...)
        users, groups = [instance], Group.objects.filter(pk__in=pk_set)
    for user in users:
        for group in groups:
            audit.record(kind, obj=user, group=group.name)


# --- Audit: permissions of groups and users, and grants on pages, collections and objects ----
#
# Every change is one "permissions_changed" event on the holder (group or user), its detail
# saying which kind of permission, whether it was granted or revoked, which permissions
# ("app_label.codename") and, for a grant on one page, collection or object, its target.


def _permission_labels(pks) -> list[str]:
    found = Permission.objects.filter(pk__in=pks or ()).values_list("content_type__app_label", "codename")
    return sorted(f"{app_label}.{codename}" for app_label, codename in found)


def _audit_permission_set(instance, action, pk_set, reverse, *, kind, holder_model, forward, backward):
    """A change of a group's or user's model permissions, made from either side."""
    if action == "pre_clear":
        # post_clear no longer knows what was removed: remember it now.
        manager = getattr(instance, backward if reverse else forward)
        instance._audit_cleared = set(manager.values_list("pk", flat=True))
        return
    if action == "post_clear":
        pk_set = getattr(instance, "_audit_cleared", set())
    elif action not in ("post_add", "post_remove"):
        return
    if not pk_set:
        return
    change = "granted" if action == "post_add" else "revoked"
    if reverse:  # permission.group_set.add(group) / permission.user_set.add(user)
        holders, labels = holder_model.objects.filter(pk__in=pk_set), _permission_labels([instance.pk])
    else:
        holders, labels = [instance], _permission_labels(pk_set)
    for holder in holders:
        audit.record(AccountAction.PERMISSIONS_CHANGED, obj=holder, kind=kind, change=change, permissions=labels)


@receiver(m2m_changed, sender=Group.permissions.through)
def audit_group_permissions(sender, instance, action, pk_set, reverse, **kwargs):
    _audit_permission_set(
        instance, action, pk_set, reverse, kind="group", holder_model=Group, forward="permissions", backward="group_set"
    )


@receiver(m2m_changed, sender=get_user_model().user_permissions.through)
def audit_user_permissions(sender, instance, action, pk_set, reverse, **kwargs):
    """Permissions given to one user directly, not through a group."""
    _audit_permission_set(
        instance,
        action,
        pk_set,
        reverse,
        kind="user",
        holder_model=get_user_model(),
        forward="user_permissions",
        backward="user_set",
    )


def _row(model, pk):
    return model._base_manager.filter(pk=pk).first() if pk is not None else None


def _audit_grant(instance, *, kind: str, grantee, target, target_id, change: str) -> None:
    """One permission on one page, collection or object, given to or taken from a group or user.

    Recorded on the grantee, with the permission and its target in the detail. Related rows
    are looked up by id, so a grant removed by a cascade (a group, user or page deleted)
    is recorded as well.
    """
    if grantee is None:
        return
    permission = Permission.objects.select_related("content_type").filter(pk=instance.permission_id).first()
    audit.record(
        AccountAction.PERMISSIONS_CHANGED,
        obj=grantee,
        kind=kind,
        change=change,
        permissions=[f"{permission.content_type.app_label}.{permission.codename}"] if permission else [],
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target_id),
        target=str(target)[:200] if target is not None else "",
    )


def _guardian_target(instance):
    try:
        return instance.content_object
    except (AttributeError, LookupError):  # a content type whose model is gone
        return None


def _grant_details(instance) -> dict:
    if isinstance(instance, GroupPagePermission):
        return {"kind": "page", "target": _row(Page, instance.page_id), "target_id": instance.page_id}
    if isinstance(instance, GroupCollectionPermission):
        target = _row(Collection, instance.collection_id)
        return {"kind": "collection", "target": target, "target_id": instance.collection_id}
    return {"kind": "object", "target": _guardian_target(instance), "target_id": instance.object_pk}


def _grantee(instance):
    if isinstance(instance, UserObjectPermission):
        return _row(get_user_model(), instance.user_id)
    return _row(Group, instance.group_id)


@receiver(post_save, sender=GroupPagePermission)
@receiver(post_save, sender=GroupCollectionPermission)
@receiver(post_save, sender=GroupObjectPermission)
@receiver(post_save, sender=UserObjectPermission)
def audit_grant_saved(sender, instance, created, raw=False, **kwargs):
    # Grant rows are written only when something changes: a sync_roles re-run records nothing.
    if raw:
        return
    change = "granted" if created else "updated"
    _audit_grant(instance, grantee=_grantee(instance), change=change, **_grant_details(instance))


@receiver(post_delete, sender=GroupPagePermission)
@receiver(post_delete, sender=GroupCollectionPermission)
@receiver(post_delete, sender=GroupObjectPermission)
@receiver(post_delete, sender=UserObjectPermission)
def audit_grant_deleted(sender, instance, **kwargs):
    _audit_grant(instance, grantee=_grantee(instance), change="revoked", **_grant_details(instance))


class GroupGrantAuditPanel:
    """An invisible last panel of the admin's group editor that records the grants it added.

    The editor's page and collection permission panels add rows with bulk_create, which sends
    no post_save; this panel notes the group's grant rows when the editor builds its panels
    (before any is saved) and, saved after all of them, records each row that is new. Rows
    they remove go through delete() and are recorded by `audit_grant_deleted`.
    """

    def __init__(self, data=None, files=None, instance=None, **kwargs):
        self.instance = instance
        self.before = self._grant_rows()

    def _grant_rows(self) -> set[tuple[type, int]]:
        if self.instance is None or self.instance.pk is None:
            return set()
        return {
            (model, pk)
            for model in (GroupPagePermission, GroupCollectionPermission)
            for pk in model.objects.filter(group=self.instance).values_list("pk", flat=True)
        }

    def is_valid(self) -> bool:
        return True

    def save(self) -> None:
        order = (GroupPagePermission, GroupCollectionPermission)
        for model, pk in sorted(self._grant_rows() - self.before, key=lambda row: (order.index(row[0]), row[1])):
            audit_grant_saved(model, model.objects.get(pk=pk), created=True)

    def as_admin_panel(self) -> str:
        return ""

    @property
    def media(self):
        return Media()


# Last of the group editor's panels (Wagtail's images and documents panels have order 0).
hooks.register("register_group_permission_panel", lambda: GroupGrantAuditPanel, order=1000)


@receiver(pre_delete)
def keep_revisions_of_deleted_objects(sender, instance, **kwargs):
    """Deleting a page or a snippet with revisions deletes its revisions too (Wagtail's
    generic relation cascades). Before that happens, every revision is copied into one
    append-only audit record, so the auditor can still read what the object said and who
    changed it. Pages are handled once, as the base Page (the deletion also signals each
    of its subclasses); each page of a deleted subtree gets its own record."""
    if isinstance(instance, Page):
        if sender is not Page:
            return
    elif not isinstance(instance, RevisionMixin) or sender is not type(instance):
        return
    revisions = Revision.objects.filter(
        base_content_type=instance.get_base_content_type(), object_id=str(instance.pk)
    ).order_by("created_at", "pk")
    kept = [
        {
            "id": revision.pk,
            "created_at": revision.created_at.isoformat(),
            "user": revision.user.get_username() if revision.user_id and revision.user else "",
            "content": revision.content,
        }
        for revision in revisions.select_related("user")
    ]
    model = (getattr(instance, "specific_class", None) if isinstance(instance, Page) else None) or type(instance)
    label = model._meta.label
    audit.record(AccountAction.OBJECT_DELETED, obj=instance, model=label, revisions=kept)
