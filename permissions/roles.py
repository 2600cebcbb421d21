"""The roles' groups and grants, kept in step with streets, stations and departments.

`base.roles` defines the roles and reads them; this module writes them. Each role is a
Django group with model permissions (ROLE_SPECS). A street committee additionally gets one
group per street ("街道工委·<街道>") holding a Wagtail page permission on that street's
centre station (the root of its subtree, never per station page), collection permissions
on the street's image library, and a django-guardian grant on the Street row itself;
scoping of every other row is derived from that grant. Station staff get the same shape
one level down: a group per staffed station ("站点#<id>·<站名>") with page permissions on
the station page and a guardian grant on it, kept in step with StationAssignment rows.
Running `sync_roles` twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardian.shortcuts import assign_perm, get_groups_with_perms, remove_perm

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from wagtail.models import (
    Collection,
    GroupApprovalTask,
    GroupCollectionPermission,
    GroupPagePermission,
    Page,
    Workflow,
    WorkflowPage,
    WorkflowTask,
)

from base.roles import (
    DEPARTMENT_GROUP_PREFIX,
    HANDLE_DEPARTMENT,
    MANAGE_STATION,
    MANAGE_STREET,
    STATION_GROUP_PREFIX,
    STREET_GROUP_PREFIX,
    Role,
    department_group_name,
    role_group_name,
    station_group_name,
    station_group_prefix,
    street_collection_name,
    street_group_name,
)
from content.models import StationLevel, StationPage, Street
from content.tree import district_home
from permissions.models import StationAssignment
from workflows.models import Department

# Created by Wagtail's first migration with rights on the whole tree; our roles replace them.
WAGTAIL_DEFAULT_GROUPS = ("Editors", "Moderators")

_ADMIN_ACCESS = ["wagtailadmin.access_admin"]

# Images and documents are permitted per collection (Wagtail ignores model-level grants for
# them): district roles on the root collection, each street on its own library.
_MEDIA_ALL = ("add", "change", "delete", "choose")
_MEDIA_EDIT = ("add", "change", "choose")
_MEDIA_CONTRIBUTE = ("add", "choose")


@dataclass(frozen=True)
class RoleSpec:
    role: Role
    permissions: tuple[str, ...]  # "app_label.codename"; "app_label.*" = every permission of the app
    page_permissions: tuple[str, ...] = ()  # granted on the district home page (whole tree)
    media_permissions: tuple[str, ...] = ()  # images and documents, on the root collection


ROLE_SPECS = {
    Role.DISTRICT_ADMIN: RoleSpec(
        Role.DISTRICT_ADMIN,
        (
            *_ADMIN_ACCESS,
            "content.*",
            "workflows.*",
            "duties.*",
            "suggestions.*",
            "livelihood.*",
            "coordination.*",
            "legislation.*",
            "deliberation.*",
            # 站点评星: the scheme, opening months and approving (the process decides who acts).
            "oversight.add_evaluationscheme",
            "oversight.change_evaluationscheme",
            "oversight.view_evaluationscheme",
            "oversight.add_stationevaluation",
            "oversight.view_stationevaluation",
            # Open311 API keys: issued and revoked (never deleted: the audit log refers to them).
            "api.add_apikey",
            "api.change_apikey",
            "api.view_apikey",
            "base.add_calendarday",
            "base.change_calendarday",
            "base.delete_calendarday",
            "base.view_calendarday",
            "permissions.add_user",
            "permissions.change_user",
            "permissions.view_user",
            "permissions.view_staffrequest",
            "auth.add_group",
            "auth.change_group",
            "auth.view_group",
        ),
        ("add_page", "change_page", "publish_page", "bulk_delete_page", "lock_page", "unlock_page"),
        _MEDIA_ALL,
    ),
    Role.EDITOR: RoleSpec(
        Role.EDITOR,
        (
            *_ADMIN_ACCESS,
            "content.add_deputy",
            "content.change_deputy",
            "content.view_deputy",
            "workflows.view_opinion",
        ),
        ("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
        _MEDIA_EDIT,
    ),
    Role.STREET_COMMITTEE: RoleSpec(
        Role.STREET_COMMITTEE,
        (
            *_ADMIN_ACCESS,
            "content.view_deputy",
            "content.add_deputy",
            "content.view_street",
            "workflows.view_opinion",
            "workflows.add_opinion",
            "workflows.view_department",
            "permissions.add_stationassignment",
            "permissions.change_stationassignment",
            "permissions.delete_stationassignment",
            "permissions.view_stationassignment",
            "permissions.view_staffrequest",
            "duties.view_dutyrecord",
            "duties.add_dutyrecord",
            "duties.view_dutyitem",
            "duties.view_dutyscheme",
            "duties.view_discussiontopic",
            "duties.view_topicreply",
            # 民生实事: the street's own rounds and their candidates (scoped by livelihood's policies).
            "livelihood.add_projectround",
            "livelihood.change_projectround",
            "livelihood.view_projectround",
            "livelihood.add_candidate",
            "livelihood.change_candidate",
            "livelihood.delete_candidate",
            "livelihood.view_candidate",
            # Nominations of its street's rounds (moderated, entered for its stations) and the
            # inspections of its street's chosen projects.
            "livelihood.add_nomination",
            "livelihood.view_nomination",
            "livelihood.view_inspection",
            # 立法征询: the consultations of their contact points, the comments entered and
            # moderated there, the experts of the advisory team (scoped by legislation's policies).
            "legislation.view_contactpoint",
            "legislation.view_expert",
            "legislation.add_expert",
            "legislation.change_expert",
            "legislation.view_consultation",
            "legislation.view_comment",
            "legislation.add_comment",
            # 居民议事: the meetings of their stations and their resolutions (scoped by deliberation's policies).
            "deliberation.view_meeting",
            "deliberation.add_meeting",
            "deliberation.view_resolution",
            # 区街联动: the street's own part in the district's tasks (scoped by coordination's policy).
            "coordination.view_streettask",
            # 站点评星: its street's evaluations (scoped by the process) and the district's scheme.
            "oversight.view_stationevaluation",
            "oversight.view_evaluationscheme",
        ),
    ),
    Role.STATION_STAFF: RoleSpec(
        Role.STATION_STAFF,
        (
            *_ADMIN_ACCESS,
            "content.view_deputy",
            "workflows.view_opinion",
            "workflows.add_opinion",
            "permissions.view_staffrequest",
            "permissions.add_staffrequest",
            "duties.view_dutyrecord",
            "duties.add_dutyrecord",
            "duties.view_dutyitem",
            "duties.view_dutyscheme",
            "duties.view_discussiontopic",
            "duties.view_topicreply",
            # 民生实事: nominations entered for (and read at) their own stations.
            "livelihood.add_nomination",
            "livelihood.view_nomination",
            # 立法征询: the consultations of their contact points, the comments entered and
            # moderated there, the experts of the advisory team (scoped by legislation's policies).
            "legislation.view_contactpoint",
            "legislation.view_expert",
            "legislation.add_expert",
            "legislation.change_expert",
            "legislation.view_consultation",
            "legislation.view_comment",
            "legislation.add_comment",
            # 居民议事: the meetings of their stations and their resolutions (scoped by deliberation's policies).
            "deliberation.view_meeting",
            "deliberation.add_meeting",
            "deliberation.view_resolution",
            # 站点评星: their station's self-assessment and the evaluations they score (scoped by
            # the process), started from the admin; the district's scheme.
            "oversight.add_stationevaluation",
            "oversight.view_stationevaluation",
            "oversight.view_evaluationscheme",
        ),
    ),
    Role.DEPARTMENT_HANDLER: RoleSpec(
        Role.DEPARTMENT_HANDLER,
        (
            *_ADMIN_ACCESS,
            "workflows.view_opinion",
            "suggestions.view_suggestion",
            "suggestions.view_suggestionassignment",
            # 民生实事: their department's chosen projects and the problems raised on them
            # (scoped by livelihood's policies).
            "livelihood.view_candidate",
            "livelihood.view_inspection",
        ),
    ),
    Role.DEPUTY: RoleSpec(Role.DEPUTY, (*_ADMIN_ACCESS, "duties.view_dutyrecord")),
    # Wagtail knows no "view page" permission: its page history, revision compare, revision
    # preview and draft views ask for "change". The auditor holds it on the whole tree, and
    # permissions.admin_scope refuses every non-GET request of theirs, so it only reads.
    Role.AUDITOR: RoleSpec(
        Role.AUDITOR,
        (
            *_ADMIN_ACCESS,
            "base.view_*",
            "content.view_*",
            "workflows.view_*",
            "permissions.view_*",
            "duties.view_*",
            "suggestions.view_*",
            "livelihood.view_*",
            "coordination.view_*",
            "legislation.view_*",
            "deliberation.view_*",
            "oversight.view_*",
            "api.view_*",
            "auth.view_group",
        ),
        ("change_page",),
        ("choose",),
    ),
}

# A street committee edits, approves and publishes its own street's pages (Wagtail publishes
# on the approver's behalf, so approval needs publish permission); station staff's changes
# reach it through the street's moderation workflow.
STREET_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
STATION_PAGE_PERMISSIONS = ("add_page", "change_page", "lock_page", "unlock_page")


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


def _sync_collection_permissions(group: Group, collection, actions) -> None:
    perms = {
        perm.pk
        for app, model in (("wagtailimages", "image"), ("wagtaildocs", "document"))
        for perm in Permission.objects.filter(
            content_type__app_label=app, codename__in=[f"{action}_{model}" for action in actions]
        )
    }
    wanted = {(collection.pk, perm_id) for perm_id in perms} if collection is not None else set()
    existing = set(GroupCollectionPermission.objects.filter(group=group).values_list("collection_id", "permission_id"))
    for collection_id, perm_id in existing - wanted:
        GroupCollectionPermission.objects.filter(
            group=group, collection_id=collection_id, permission_id=perm_id
        ).delete()
    for collection_id, perm_id in wanted - existing:
        GroupCollectionPermission.objects.create(group=group, collection_id=collection_id, permission_id=perm_id)


def street_collection(street) -> Collection:
    """The street's own image and document library, a child of the root collection."""
    name = street_collection_name(street)
    root = Collection.get_first_root_node()
    found = root.get_children().filter(name=name).first()
    return found or root.add_child(name=name)


@transaction.atomic
def sync_role_group(spec: RoleSpec) -> Group:
    group, _ = Group.objects.get_or_create(name=role_group_name(spec.role))
    wanted = _resolve(spec.permissions)
    if set(group.permissions.values_list("pk", flat=True)) != wanted:
        group.permissions.set(wanted)
    if spec.page_permissions:
        home = district_home()
        _sync_page_permissions(group, [home] if home else [], spec.page_permissions)
    _sync_collection_permissions(group, Collection.get_first_root_node(), spec.media_permissions)
    return group


@transaction.atomic
def sync_street_group(street) -> Group:
    """The street committee group of one street, with its grants brought up to date."""
    group, _ = Group.objects.get_or_create(name=street_group_name(street))
    base = Group.objects.filter(name=role_group_name(Role.STREET_COMMITTEE)).first()
    if base is not None and set(group.permissions.all()) != set(base.permissions.all()):
        group.permissions.set(base.permissions.all())
    centres = Page.objects.filter(
        pk__in=StationPage.objects.filter(level=StationLevel.CENTRE, street=street).values("pk")
    )
    _sync_page_permissions(group, list(centres), STREET_PAGE_PERMISSIONS)
    _sync_collection_permissions(group, street_collection(street), _MEDIA_EDIT)
    if group not in get_groups_with_perms(street):
        assign_perm(MANAGE_STREET, group, street)
    sync_street_workflow(street, group, list(centres))
    return group


@transaction.atomic
def sync_station_group(station) -> Group | None:
    """The staff group of one station, its members and grants brought up to date.

    Members are the users with a StationAssignment to the station; a station nobody staffs
    has no group. The group edits (never
    publishes: changes go through the street's moderation workflow) the station page and
    the contact points below it, contributes to the street's image library, and holds the
    guardian grant `content.manage_station` on the station.
    """
    if type(station) is not StationPage:  # the grant is on the shared StationPage row
        station = StationPage.objects.get(pk=station.pk)
    group = Group.objects.filter(name__startswith=station_group_prefix(station)).first()
    members = set(StationAssignment.objects.filter(station=station).values_list("user_id", flat=True))
    if not members:
        # Nobody staffs the station any more: its group and every grant it held go.
        if group is not None:
            group.delete()
        return None
    if group is None:
        group = Group.objects.create(name=station_group_name(station))
    elif group.name != station_group_name(station):
        group.name = station_group_name(station)
        group.save(update_fields=["name"])
    _sync_page_permissions(group, [station], STATION_PAGE_PERMISSIONS)
    street = getattr(station, "street", None)
    _sync_collection_permissions(group, street_collection(street) if street else None, _MEDIA_CONTRIBUTE)
    if group not in get_groups_with_perms(station):
        assign_perm(MANAGE_STATION, group, station)
    current = set(group.user_set.values_list("pk", flat=True))
    if members - current:
        group.user_set.add(*(members - current))
    if current - members:
        group.user_set.remove(*(current - members))
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
    Collection.objects.filter(name=f"{old_name}图库").update(name=street_collection_name(street))
    old_workflow = f"街道审核·{old_name}"
    Workflow.objects.filter(name=old_workflow).update(name=street_workflow_name(street))
    GroupApprovalTask.objects.filter(name=old_workflow).update(name=street_workflow_name(street))


def revoke_street_group(street) -> None:
    group = Group.objects.filter(name=street_group_name(street)).first()
    if group is not None:
        remove_perm(MANAGE_STREET, group, street)


@transaction.atomic
def sync_department_group(department, previous_name: str | None = None) -> Group:
    """The handlers' group of one department ("承办单位·<名称>") with its guardian grant.

    People become handlers of a department by being put in this group (and the
    "承办单位" role group) in the admin, like street committees.
    """
    group = None
    if previous_name and previous_name != department.name:
        group = Group.objects.filter(name=f"{DEPARTMENT_GROUP_PREFIX}{previous_name}").first()
        if group is not None:
            group.name = department_group_name(department)
            group.save(update_fields=["name"])
    if group is None:
        group, _ = Group.objects.get_or_create(name=department_group_name(department))
    if group not in get_groups_with_perms(department):
        assign_perm(HANDLE_DEPARTMENT, group, department)
    return group


def remove_wagtail_default_groups() -> list[str]:
    """Drop Wagtail's stock "Editors"/"Moderators" groups (rights on the whole tree) if unused.

    Returns the names of those kept because someone is still a member.
    """
    kept = []
    for group in Group.objects.filter(name__in=WAGTAIL_DEFAULT_GROUPS):
        if group.user_set.exists():
            kept.append(group.name)
        else:
            group.delete()
    return kept


# Wagtail's stock workflow and its task, both "Moderators approval" (on the root page: the
# district's own pages), named in Chinese like the streets' workflows.
WAGTAIL_DEFAULT_WORKFLOW = "Moderators approval"
DISTRICT_WORKFLOW_NAME = "区级审核"


def name_wagtail_default_workflow() -> None:
    Workflow.objects.filter(name=WAGTAIL_DEFAULT_WORKFLOW).update(name=DISTRICT_WORKFLOW_NAME)
    GroupApprovalTask.objects.filter(name=WAGTAIL_DEFAULT_WORKFLOW).update(name=DISTRICT_WORKFLOW_NAME)


def sync_all_roles() -> list[Group]:
    remove_wagtail_default_groups()
    name_wagtail_default_workflow()
    groups = [sync_role_group(spec) for spec in ROLE_SPECS.values()]
    groups += [sync_street_group(street) for street in Street.objects.all()]
    groups += [sync_department_group(department) for department in Department.objects.all()]
    staffed = StationPage.objects.filter(
        pk__in=StationAssignment.objects.values("station_id")
    ) | StationPage.objects.filter(group_permissions__group__name__startswith=STATION_GROUP_PREFIX)
    for station in staffed.distinct():
        group = sync_station_group(station)
        if group is not None:
            groups.append(group)
    return groups
