"""Who a person is on the platform (角色), and the one place that asks.

Each role is a Django group named after it ("区管理员（代表工委）", "编辑", …). Row-level
grants hang off further groups: a street committee's "街道工委·<街道>" group holds the
django-guardian grant `content.manage_street` on its Street, a station's staff group
"站点#<id>·<站名>" holds `content.manage_station` on its station page, a department's
"承办单位·<名称>" group holds `workflows.handle_department` on its Department.
(`permissions.roles` keeps those groups in step; this module only reads them.)

Nothing else in the code compares group names. Code asks `roles_of(user)`: the person's
roles, read with one query and remembered for the rest of the request, and their grants
(`roles.granted(MANAGE_STREET, Street)`), each read with one query on first use, which
feature apps filter by, so a scoped listing costs the same number of queries whatever the
number of grants.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from guardian.models import GroupObjectPermission, UserObjectPermission

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import models

from base.audit import current_request


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", "区管理员（代表工委）"
    EDITOR = "editor", "编辑"
    STREET_COMMITTEE = "street_committee", "街道人大工委"
    STATION_STAFF = "station_staff", "站点工作人员"
    DEPARTMENT_HANDLER = "department_handler", "承办单位"
    DEPUTY = "deputy", "人大代表"
    AUDITOR = "auditor", "审计"


# Roles whose work spans the whole district; every other role is scoped to its grants.
DISTRICT_WIDE_ROLES = (Role.DISTRICT_ADMIN, Role.EDITOR, Role.AUDITOR)

STREET_GROUP_PREFIX = "街道工委·"
STATION_GROUP_PREFIX = "站点#"
DEPARTMENT_GROUP_PREFIX = "承办单位·"
# The row grants (django-guardian object permissions) that scope everything else.
MANAGE_STREET = "content.manage_street"
MANAGE_STATION = "content.manage_station"
HANDLE_DEPARTMENT = "workflows.handle_department"


def role_group_name(role: Role) -> str:
    return role.label


def street_group_name(street) -> str:
    return f"{STREET_GROUP_PREFIX}{street.name}"


def station_group_prefix(station) -> str:
    return f"{STATION_GROUP_PREFIX}{station.pk}·"


def station_group_name(station) -> str:
    return f"{station_group_prefix(station)}{station.title}"[:150]


def department_group_name(department) -> str:
    return f"{DEPARTMENT_GROUP_PREFIX}{department.name}"


def street_collection_name(street) -> str:
    """The street's own image and document library."""
    return f"{street.name}图库"


_ROLE_BY_GROUP = {role_group_name(role): role for role in Role}


@dataclass
class Roles:
    """One person's roles and grants, as every permission decision reads them."""

    user: object
    roles: frozenset[Role]
    _granted: dict = field(default_factory=dict, repr=False)

    @property
    def active(self) -> bool:
        return bool(self.user is not None and self.user.is_authenticated and self.user.is_active)

    @property
    def superuser(self) -> bool:
        return self.active and self.user.is_superuser

    def has(self, role: Role) -> bool:
        """Holds `role` through its group (a superuser holds none unless put in one)."""
        return role in self.roles

    @property
    def is_district_admin(self) -> bool:
        return self.superuser or self.has(Role.DISTRICT_ADMIN)

    @property
    def is_editor(self) -> bool:
        return self.has(Role.EDITOR)

    @property
    def is_auditor(self) -> bool:
        """Reads everything and changes nothing (a superuser is never treated as one)."""
        return self.active and not self.superuser and self.has(Role.AUDITOR)

    @property
    def district_wide(self) -> bool:
        """Sees every street's rows: superusers, district admins, editors and auditors."""
        return self.superuser or any(self.has(role) for role in DISTRICT_WIDE_ROLES)

    def granted(self, permission: str, model) -> models.QuerySet:
        """Rows of `model` on which the person (or one of their groups) holds the object
        permission `permission` (django-guardian; global permissions do not count, a
        superuser holds every row). The grants are read once, in one query, and kept with the
        roles: the queryset filters by their ids, so it is cheap to use as a subquery."""
        if not self.active:
            return model._default_manager.none()
        if self.superuser:
            return model._default_manager.all()
        return model._default_manager.filter(pk__in=self.granted_ids(permission, model))

    def granted_ids(self, permission: str, model) -> list:
        """The ids of the rows `granted()` filters by, read with it (no further query once
        read): a condition can name them directly, `street_id IN (3, 5)`, and leave out a
        kind of grant the person does not hold. Only for a person who is not a superuser
        (a superuser holds every row: `granted()` returns them all)."""
        if not self.active:
            return []
        if self.superuser:
            raise ValueError("A superuser holds every row; use granted().")
        key = (permission, model)
        if key not in self._granted:
            codename = permission.split(".", 1)[1]
            content_type = ContentType.objects.get_for_model(model)
            grants = {"permission__codename": codename, "permission__content_type": content_type}
            by_group = GroupObjectPermission.objects.filter(group__user=self.user, **grants)
            by_user = UserObjectPermission.objects.filter(user=self.user, **grants)
            found = by_group.values_list("object_pk", flat=True).union(by_user.values_list("object_pk", flat=True))
            self._granted[key] = sorted({model._meta.pk.to_python(pk) for pk in found})
        return self._granted[key]


def roles_of(user) -> Roles:
    """The person's roles: one query, remembered on the request being served (so a change of
    groups applies from the next request on; outside a request it is read afresh). Given a
    `Roles` already read, returns it: helpers that take a user take one too."""
    if isinstance(user, Roles):
        return user
    request = current_request()
    cache = None
    if request is not None and getattr(request, "user", None) is not None:
        cache = request.__dict__.setdefault("_lianluo_roles", {})
        key = getattr(user, "pk", None)
        if key is not None and key in cache:
            return cache[key]
    if user is None or not user.is_authenticated or not user.is_active:
        found = Roles(user, frozenset())
    else:
        names = user.groups.filter(name__in=_ROLE_BY_GROUP).values_list("name", flat=True)
        found = Roles(user, frozenset(_ROLE_BY_GROUP[name] for name in names))
    if cache is not None and getattr(user, "pk", None) is not None:
        cache[user.pk] = found
    return found


def forget_roles() -> None:
    """Drop what this request remembered (someone's groups changed while it is served)."""
    request = current_request()
    if request is not None:
        request.__dict__.pop("_lianluo_roles", None)


# --- People to tell: the members of a role's or a grant's group --------------------------------


def _active_users():
    return get_user_model().objects.filter(is_active=True)


def users_with_role(role: Role):
    return _active_users().filter(groups__name=role_group_name(role))


def street_committee_members(street):
    return _active_users().filter(groups__name=street_group_name(street))


def department_handlers(department):
    return _active_users().filter(groups__name=department_group_name(department))
