"""The one place that defines roles (角色) and what each may do.

Each role is a Django group with model permissions. A street committee additionally gets
one group per street ("街道工委·<街道>") holding a Wagtail page permission on that street's
centre station (the root of its subtree, never per station page) and a django-guardian
grant on the Street row itself; scoping of every other row is derived from that grant.
Running `sync_roles` twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardian.shortcuts import assign_perm, get_groups_with_perms, remove_perm

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction

from wagtail.models import GroupApprovalTask, GroupPagePermission, Page, Workflow, WorkflowPage, WorkflowTask


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "区管理员（代表工委）"
    EDITOR = "editor", "编辑"
    STREET_COMMITTEE = "street_committee", "街道人大工委"
    STATION_STAFF = "station_staff", "站点工作人员"
    DEPARTMENT_HANDLER = "department_handler", "承办单位"
    DEPUTY = "deputy", "人大代表"
    AUDITOR = "auditor", "审计"


# Roles whose work spans the whole district; every other role is scoped to its streets.
DISTRICT_WIDE_ROLES = (Role.DISTRICT_ADMIN, Role.EDITOR, Role.AUDITOR)

STREET_GROUP_PREFIX = "街道工委·"
MANAGE_STREET = "content.manage_street"

_ADMIN_ACCESS = ["wagtailadmin.access_admin"]
_IMAGES = ["wagtailimages.add_image", "wagtailimages.change_image", "wagtailimages.choose_image"]
_DOCUMENTS = ["wagtaildocs.add_document", "wagtaildocs.change_document", "wagtaildocs.choose_document"]
_DOMAIN_APPS = ("content", "workflows", "permissions")


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    permissions: tuple[str, ...]  # "app_label.codename"; "app_label.*" = every permission of the app
    page_permissions: tuple[str, ...] = ()  # granted on the district home page (whole tree)


ROLE_SPECS = {
    Role.DISTRICT_ADMIN: RoleSpec(
        Role.DISTRICT_ADMIN,
        (
            *_ADMIN_ACCESS,
            *_IMAGES,
            *_DOCUMENTS,
            "content.*",
            "workflows.*",
            "permissions.add_user",
            "permissions.change_user",
            "permissions.view_user",
            "auth.add_group",
            "auth.change_group",
            "auth.view_group",
        ),
        ("add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"),
    ),
    Role.EDITOR: RoleSpec(
        Role.EDITOR,
        (*_ADMIN_ACCESS, *_IMAGES, *_DOCUMENTS, "content.add_deputy", "content.change_deputy", "content.view_deputy"),
        ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    ),
    Role.STREET_COMMITTEE: RoleSpec(
        Role.STREET_COMMITTEE,
        (*_ADMIN_ACCESS, *_IMAGES, "content.view_deputy", "content.add_deputy", "content.view_street"),
    ),
    Role.STATION_STAFF: RoleSpec(Role.STATION_STAFF, (*_ADMIN_ACCESS, *_IMAGES, "content.view_deputy")),
    Role.DEPARTMENT_HANDLER: RoleSpec(Role.DEPARTMENT_HANDLER, (*_ADMIN_ACCESS,)),
    Role.DEPUTY: RoleSpec(Role.DEPUTY, (*_ADMIN_ACCESS,)),
    Role.AUDITOR: RoleSpec(Role.AUDITOR, (*_ADMIN_ACCESS, "content.view_*", "workflows.view_*", "permissions.view_*")),
}

# A street committee edits, approves and publishes its own street's pages (Wagtail publishes
# on the approver's behalf, so approval needs publish permission); station staff's changes
# reach it through the street's moderation workflow.
STREET_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")


def role_group_name(role: Role) -> str:
    return role.label


def street_group_name(street) -> str:
    return f"{STREET_GROUP_PREFIX}{street.name}"


def _resolve(perm_specs) -> set[int]:
    ids: set[int] = set()
    for spec in perm_specs:
        app_label, codename = spec.split(".", 1)
        perms = Permission.objects.filter(content_type__app_label=app_label)
        if codename == "*":
            pass
        elif codename.endswith("*"):
            perms = perms.filter(codename__startswith=codename[:-1])
        else:
            perms = perms.filter(codename=codename)
        found = set(perms.values_list("pk", flat=True))
        if not found:
            raise LookupError(f"Permission {spec} does not exist; run migrate first.")
        ids |= found
    return ids


def _page_permissions(codenames) -> list[Permission]:
    return list(Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=codenames))


def _sync_page_permissions(group: Group, pages, codenames) -> None:
    wanted = {(page.pk, perm.pk) for page in pages for perm in _page_permissions(codenames)}
    existing = set(GroupPagePermission.objects.filter(group=group).values_list("page_id", "permission_id"))
    for page_id, perm_id in existing - wanted:
        GroupPagePermission.objects.filter(group=group, page_id=page_id, permission_id=perm_id).delete()
    for page_id, perm_id in wanted - existing:
        GroupPagePermission.objects.create(group=group, page_id=page_id, permission_id=perm_id)


@transaction.atomic
def sync_role_group(spec: RoleSpec) -> Group:
    group, _ = Group.objects.get_or_create(name=role_group_name(spec.role))
    wanted = _resolve(spec.permissions)
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
    if spec.page_permissions:
        from content.tree import district_home

        home = district_home()
        _sync_page_permissions(group, [home] if home else [], spec.page_permissions)
    return group


@transaction.atomic
def sync_street_group(street) -> Group:
    """The street committee group of one street, with its grants brought up to date."""
    from content.models import StationLevel, StationPage

    group, _ = Group.objects.get_or_create(name=street_group_name(street))
    base = Group.objects.filter(name=role_group_name(Role.STREET_COMMITTEE)).first()
    if base is not None and set(group.permissions.all()) != set(base.permissions.all()):
        group.permissions.set(base.permissions.all())
    centres = Page.objects.filter(
        pk__in=StationPage.objects.filter(level=StationLevel.CENTRE, street=street).values("pk")
    )
    _sync_page_permissions(group, list(centres), STREET_PAGE_PERMISSIONS)
    if group not in get_groups_with_perms(street):
        assign_perm(MANAGE_STREET, group, street)
    sync_street_workflow(street, group, list(centres))
    return group


def street_workflow_name(street) -> str:
    return f"街道审核·{street.name}"


def sync_street_workflow(street, group: Group, centres) -> Workflow:
    """Changes to a street's pages are approved by its committee or a district editor."""
    name = street_workflow_name(street)
    workflow, _ = Workflow.objects.get_or_create(name=name)
    task = GroupApprovalTask.objects.filter(name=name).first() or GroupApprovalTask.objects.create(name=name)
    reviewers = [group, *Group.objects.filter(name=role_group_name(Role.EDITOR))]
    if set(task.groups.all()) != set(reviewers):
        task.groups.set(reviewers)
    if not WorkflowTask.objects.filter(workflow=workflow, task=task).exists():
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    for centre in centres:
        WorkflowPage.objects.update_or_create(page=centre, defaults={"workflow": workflow})
    return workflow


def rename_street_group(old_name: str, street) -> None:
    Group.objects.filter(name=f"{STREET_GROUP_PREFIX}{old_name}").update(name=street_group_name(street))
    old_workflow = f"街道审核·{old_name}"
    Workflow.objects.filter(name=old_workflow).update(name=street_workflow_name(street))
    GroupApprovalTask.objects.filter(name=old_workflow).update(name=street_workflow_name(street))


def revoke_street_group(street) -> None:
    group = Group.objects.filter(name=street_group_name(street)).first()
    if group is not None:
        remove_perm(MANAGE_STREET, group, street)


def sync_all_roles() -> list[Group]:
    from content.models import Street

    groups = [sync_role_group(spec) for spec in ROLE_SPECS.values()]
    groups += [sync_street_group(street) for street in Street.objects.all()]
    return groups
