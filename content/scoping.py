"""Which streets and stations a person may work on, from their roles (`base.roles`).

District-wide roles (district admin, editor, auditor) and superusers see every street.
A street committee sees the streets its groups hold the `content.manage_street` grant on;
station staff see the stations their groups hold `content.manage_station` on, with the
contact points below them. Rows are filtered through subqueries on those grants, so a
scoped listing costs the same number of queries whether the user has one street or fourteen.

Each helper takes a user, or the `Roles` already read for them (`roles_of(user)`), which
saves reading their groups again.
"""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr

from base.roles import MANAGE_STATION, MANAGE_STREET, roles_of
from content.models import StationPage, Street


def streets_for(user) -> QuerySet:
    """Streets the user manages as a whole (district-wide roles: all of them)."""
    roles = roles_of(user)
    if roles.district_wide:
        return Street.objects.all()
    return roles.granted(MANAGE_STREET, Street)


def granted_stations_for(user) -> QuerySet:
    """Stations the user is staff of (the guardian grant itself, without descendants)."""
    return roles_of(user).granted(MANAGE_STATION, StationPage)


def staffed_stations_for(user) -> QuerySet:
    """The stations the user is staff of, with the contact points below them."""
    granted = granted_stations_for(user).filter(
        path=Substr(OuterRef("path"), 1, Length(F("path")))
    )  # an ancestor-or-self of the outer row holds the grant
    return StationPage.objects.filter(Exists(granted))


def stations_for(user) -> QuerySet:
    """Every station page the user may work on: the stations of their streets, plus the
    stations they are staff of and the contact points below those."""
    if roles_of(user).district_wide:
        return StationPage.objects.all()
    return StationPage.objects.filter(
        Q(street__in=streets_for(user).values("pk")) | Q(pk__in=staffed_stations_for(user).values("pk"))
    )


def scope_by_street(queryset: QuerySet, user, street_field: str = "street") -> QuerySet:
    """`queryset` limited to rows whose `street_field` is one of the user's streets."""
    if roles_of(user).district_wide:
        return queryset
    return queryset.filter(**{f"{street_field}__in": streets_for(user).values("pk")})


def scope_by_station(queryset: QuerySet, user, station_field: str = "station") -> QuerySet:
    """`queryset` limited to rows whose `station_field` is a station the user may work on
    (through their street or as that station's staff)."""
    if roles_of(user).district_wide:
        return queryset
    return queryset.filter(**{f"{station_field}__in": stations_for(user).values("pk")})


def scope_streets(queryset: QuerySet, user) -> QuerySet:
    """Street rows themselves: a street committee reaches its own streets only."""
    return scope_by_street(queryset, user, street_field="pk")


def committee_streets_q(user, path: str = "") -> Q:
    """The rows of the streets the person's street committee holds (`path` leading from the row
    to its `street`): the one definition of "this street committee's rows" for street-owned
    processes (livelihood rounds, district-to-street tasks); none for anyone without the grant."""
    streets = roles_of(user).granted(MANAGE_STREET, Street)
    return Q(**{f"{path}street__in": streets.values("pk")}) if streets.exists() else Q(pk__isnull=True)


def station_work_q(user, path: str = "") -> Q:
    """The rows of a station's own work that the person runs, `path` leading from the row to
    its `station` and `street` (e.g. "topic__"): every row for the district admin; the rows
    of their streets' stations for a street committee; the rows of the stations they are
    staff of (and the contact points below them) for station staff; none for anyone else
    (editors and auditors read, they do not run). The one definition for discussion topics,
    legislative consultations and residents' deliberation."""
    roles = roles_of(user)
    if roles.is_district_admin:
        return Q()
    if roles.district_wide:
        return Q(pk__isnull=True)
    return Q(**{f"{path}street__in": streets_for(roles).values("pk")}) | Q(
        **{f"{path}station__in": staffed_stations_for(roles).values("pk")}
    )
