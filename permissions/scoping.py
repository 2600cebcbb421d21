"""The one scoping helper: which rows of a street- or station-owned model a user may see.

District-wide roles (district admin, editor, auditor) and superusers see every street.
A street committee sees the streets its groups hold the `content.manage_street` grant on;
station staff see the stations their groups hold `content.manage_station` on, with the
contact points below them. Rows are filtered through subqueries on those grants, so a
scoped listing costs the same number of queries whether the user has one street or fourteen.
"""

from __future__ import annotations

from guardian.shortcuts import get_objects_for_user

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr

from permissions.roles import (
    DISTRICT_WIDE_ROLES,
    HANDLE_DEPARTMENT,
    MANAGE_STATION,
    MANAGE_STREET,
    role_group_name,
)


def is_district_wide(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Asked many times while one request is served: remembered on the user object, which
    # lives as long as the request (a change of groups applies from the next request on).
    cached = getattr(user, "_lianluo_district_wide", None)
    if cached is None:
        names = [role_group_name(role) for role in DISTRICT_WIDE_ROLES]
        cached = user.groups.filter(name__in=names).exists()
        user._lianluo_district_wide = cached
    return cached


def streets_for(user) -> QuerySet:
    """Streets the user manages as a whole (district-wide roles: all of them)."""
    from content.models import Street

    if is_district_wide(user):
        return Street.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Street.objects.none()
    return get_objects_for_user(user, MANAGE_STREET, klass=Street, accept_global_perms=False)


def granted_stations_for(user) -> QuerySet:
    """Stations the user is staff of (the guardian grant itself, without descendants)."""
    from content.models import StationPage

    if not user.is_authenticated or not user.is_active:
        return StationPage.objects.none()
    return get_objects_for_user(user, MANAGE_STATION, klass=StationPage, accept_global_perms=False)


def staffed_stations_for(user) -> QuerySet:
    """The stations the user is staff of, with the contact points below them."""
    from content.models import StationPage

    granted = granted_stations_for(user).filter(
        path=Substr(OuterRef("path"), 1, Length(F("path")))
    )  # an ancestor-or-self of the outer row holds the grant
    return StationPage.objects.filter(Exists(granted))


def stations_for(user) -> QuerySet:
    """Every station page the user may work on: the stations of their streets, plus the
    stations they are staff of and the contact points below those."""
    from content.models import StationPage

    if is_district_wide(user):
        return StationPage.objects.all()
    return StationPage.objects.filter(
        Q(street__in=streets_for(user).values("pk")) | Q(pk__in=staffed_stations_for(user).values("pk"))
    )


def scope_by_street(queryset: QuerySet, user, street_field: str = "street") -> QuerySet:
    """`queryset` limited to rows whose `street_field` is one of the user's streets."""
    if is_district_wide(user):
        return queryset
    return queryset.filter(**{f"{street_field}__in": streets_for(user).values("pk")})


def scope_by_station(queryset: QuerySet, user, station_field: str = "station") -> QuerySet:
    """`queryset` limited to rows whose `station_field` is a station the user may work on
    (through their street or as that station's staff)."""
    if is_district_wide(user):
        return queryset
    return queryset.filter(**{f"{station_field}__in": stations_for(user).values("pk")})


def departments_for(user) -> QuerySet:
    """Departments the user handles for (their groups hold `workflows.handle_department`)."""
    from workflows.models import Department

    if not user.is_authenticated or not user.is_active:
        return Department.objects.none()
    return get_objects_for_user(user, HANDLE_DEPARTMENT, klass=Department, accept_global_perms=False)


def scope_opinions(queryset: QuerySet, user) -> QuerySet:
    """Opinions a user may see: the district sees all; a street its street's; station staff
    their stations'; a department handler those assigned to their department."""
    if is_district_wide(user):
        return queryset
    if not user.is_authenticated or not user.is_active:
        return queryset.none()
    # Three branches, each served by its own index; the station branch holds only stations
    # the user staffs (their streets' stations are already in the first branch).
    return queryset.filter(
        Q(street__in=streets_for(user).values("pk"))
        | Q(station__in=staffed_stations_for(user).values("pk"))
        | Q(department__in=departments_for(user).values("pk"))
    )
