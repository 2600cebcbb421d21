"""The one scoping helper: which rows of a street-owned model a user may see.

District-wide roles (district admin, editor, auditor) and superusers see every street.
Everyone else sees the streets their groups hold the `content.manage_street` grant on;
rows are filtered through a subquery on those grants, so a scoped listing costs the same
number of queries whether the user has one street or fourteen.
"""

from __future__ import annotations

from guardian.shortcuts import get_objects_for_user

from django.db.models import QuerySet

from permissions.roles import DISTRICT_WIDE_ROLES, MANAGE_STREET, role_group_name


def is_district_wide(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    names = [role_group_name(role) for role in DISTRICT_WIDE_ROLES]
    return user.groups.filter(name__in=names).exists()


def streets_for(user) -> QuerySet:
    from content.models import Street

    if is_district_wide(user):
        return Street.objects.all()
    if not user.is_authenticated:
        return Street.objects.none()
    return get_objects_for_user(user, MANAGE_STREET, klass=Street, accept_global_perms=False)


def scope_by_street(queryset: QuerySet, user, street_field: str = "street") -> QuerySet:
    """`queryset` limited to rows whose `street_field` is one of the user's streets."""
    if is_district_wide(user):
        return queryset
    return queryset.filter(**{f"{street_field}__in": streets_for(user).values("pk")})
