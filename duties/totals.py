"""Yearly totals (年度履职积分汇总): every active deputy's points of a year with ranks, and the
share of district deputies who have reported to their voters this term (向选民报告履职).

The points are `duties.points.yearly_points`, never worked out again here. What this adds is
who is counted and where: every active deputy (no records: 0 points, still listed), the
streets of the stations they sit in now, and ranks. Ranks are competition ranks ("1, 2, 2,
4": tied totals share a rank, the next one skips) within the deputy's congress level, since
the levels are compared with their own peers, and within each street they sit in (all
levels of that street together: what the street committee looks at). A deputy sitting in two
streets has a rank in each.

Everything is read in a fixed number of queries (the active deputies, their current seats,
the two of `yearly_points`, and the voter reports), whatever the number of deputies and
records: the report of 600 deputies costs what the report of 3 does.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db.models import F, Value
from django.db.models.functions import Coalesce

from base.roles import Role, roles_of
from content.models import CongressLevel, Deputy, Membership
from content.scoping import streets_for
from duties.models import DutyParticipant, RecordState
from duties.points import yearly_points

LEVEL_ORDER = {level: index for index, level in enumerate(CongressLevel.values)}

# Bands of a yearly total (the dashboard's points distribution and the report's filter):
# (key, label, lowest total included, lowest total of the next band). 0 is no verified
# activity at all; the congress session alone earns about 5 to 15 points; a reception day
# confirmed every month earns 24 (the item's cap) by itself; 50 or more is a deputy active
# in several kinds of duty all year (the 23 items' caps add up to 168).
POINT_BANDS = (
    ("0", "0 分", Decimal("0"), Decimal("0.1")),
    ("1-9", "10 分以下（不含 0）", Decimal("0.1"), Decimal("10")),
    ("10-19", "10–19.9 分", Decimal("10"), Decimal("20")),
    ("20-49", "20–49.9 分", Decimal("20"), Decimal("50")),
    ("50+", "50 分及以上", Decimal("50"), None),
)


def point_band(total: Decimal) -> str:
    """The key of the band a yearly total falls in."""
    for key, _label, lowest, below in POINT_BANDS:
        if total >= lowest and (below is None or total < below):
            return key
    return POINT_BANDS[0][0]  # a negative total cannot happen: points are never below 0


@dataclass(frozen=True, order=True)
class StreetRef:
    """A street as the report names it (name first, so a list of them sorts by name)."""

    name: str
    pk: int


@dataclass
class TotalsRow:
    """One deputy's line of the yearly report."""

    deputy: Deputy
    streets: list[StreetRef]
    total: Decimal
    records: int
    level_rank: int = 0
    street_ranks: dict[int, int] = field(default_factory=dict)  # street id → rank in that street

    @property
    def name(self) -> str:
        return self.deputy.name

    @property
    def level(self) -> str:
        return self.deputy.get_congress_level_display()

    @property
    def street_names(self) -> str:
        return "、".join(street.name for street in self.streets)

    @property
    def street_rank_text(self) -> str:
        """ "湖滨街道第1名、清波街道第3名" (a deputy in no street: empty)."""
        return "、".join(f"{street.name}第{self.street_ranks[street.pk]}名" for street in self.streets)

    def street_ids(self) -> set[int]:
        return {street.pk for street in self.streets}


def competition_ranks(totals: dict[Hashable, Decimal]) -> dict[Hashable, int]:
    """{key: rank} by total, highest first, ties sharing a rank ("1, 2, 2, 4")."""
    ranks: dict[Hashable, int] = {}
    previous, rank = None, 0
    for position, (key, total) in enumerate(sorted(totals.items(), key=lambda pair: pair[1], reverse=True), 1):
        if total != previous:
            previous, rank = total, position
        ranks[key] = rank
    return ranks


def current_seats(deputy_ids: Iterable[int] | None = None, on: dt.date | None = None) -> dict[int, list[StreetRef]]:
    """{deputy id: the streets of the stations they sit in on `on` (today)}, in one query."""
    memberships = Membership.objects.current(on).filter(deputy__is_active=True, station__street__isnull=False)
    if deputy_ids is not None:
        memberships = memberships.filter(deputy_id__in=list(deputy_ids))
    found: dict[int, set[StreetRef]] = defaultdict(set)
    for deputy_id, street_id, name in memberships.values_list(
        "deputy_id", "station__street_id", "station__street__name"
    ):
        found[deputy_id].add(StreetRef(name, street_id))
    return {deputy_id: sorted(streets) for deputy_id, streets in found.items()}


def current_stations(on: dt.date | None = None) -> dict[int, set[int]]:
    """{deputy id: the stations they sit in on `on` (today)}, active deputies only, the 总站
    included (a station without a street), in one query: where the dashboard counts them."""
    found: dict[int, set[int]] = defaultdict(set)
    memberships = Membership.objects.current(on).filter(deputy__is_active=True)
    for deputy_id, station_id in memberships.values_list("deputy_id", "station_id"):
        found[deputy_id].add(station_id)
    return dict(found)


def seated_in(station, tree: bool = False, on: dt.date | None = None) -> set[int]:
    """The active deputies sitting on `on` (today) in `station` (with `tree`, in it or a
    station below it), in one query."""
    memberships = Membership.objects.current(on).filter(deputy__is_active=True)
    if tree:
        memberships = memberships.filter(station__path__startswith=station.path)
    else:
        memberships = memberships.filter(station=station)
    return set(memberships.values_list("deputy_id", flat=True))


def yearly_totals(year: int, on: dt.date | None = None) -> list[TotalsRow]:
    """Every active deputy's total of `year` with ranks, ordered by congress level, then rank
    within it, then name. Four queries."""
    deputies = list(Deputy.objects.filter(is_active=True).order_by("name", "pk"))
    seats = current_seats(on=on)
    points = yearly_points(year)
    rows = []
    for deputy in deputies:
        year_points = points.get(deputy.pk)
        rows.append(
            TotalsRow(
                deputy=deputy,
                streets=seats.get(deputy.pk, []),
                total=year_points.total if year_points else Decimal("0.0"),
                records=year_points.records if year_points else 0,
            )
        )
    by_level: dict[str, dict[int, Decimal]] = defaultdict(dict)
    by_street: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for index, row in enumerate(rows):
        by_level[row.deputy.congress_level][index] = row.total
        for street in row.streets:
            by_street[street.pk][index] = row.total
    for totals in by_level.values():
        for index, rank in competition_ranks(totals).items():
            rows[index].level_rank = rank
    for street_id, totals in by_street.items():
        for index, rank in competition_ranks(totals).items():
            rows[index].street_ranks[street_id] = rank
    rows.sort(key=lambda row: (LEVEL_ORDER.get(row.deputy.congress_level, 99), row.level_rank, row.name))
    return rows


# --- Who sees what ---------------------------------------------------------------------------


def may_see_totals(user) -> bool:
    """District-wide roles and street committees; deputies, station staff and departments not."""
    roles = roles_of(user)
    return roles.active and (roles.district_wide or roles.has(Role.STREET_COMMITTEE))


def visible_street_ids(user) -> set[int] | None:
    """The streets whose deputies the person sees: None for every street (district-wide roles),
    an empty set for someone who may not see the report."""
    roles = roles_of(user)
    if not may_see_totals(roles):
        return set()
    if roles.district_wide:
        return None
    return set(streets_for(roles).values_list("pk", flat=True))


def scope_totals(rows: list[TotalsRow], user) -> list[TotalsRow]:
    """The rows the person may see: all for district-wide roles, the deputies sitting in their
    streets for a street committee, none for anyone else."""
    streets = visible_street_ids(user)
    if streets is None:
        return rows
    return [row for row in rows if row.street_ids() & streets]


# --- Voter-report coverage (向选民报告履职) -----------------------------------------------------


@dataclass
class Coverage:
    """How many of a set of district deputies have reported to their voters this term."""

    label: str
    deputies: list[Deputy]
    covered_ids: set[int]

    @property
    def total(self) -> int:
        return len(self.deputies)

    @property
    def covered(self) -> int:
        return sum(deputy.pk in self.covered_ids for deputy in self.deputies)

    @property
    def share(self) -> Decimal | None:
        """Percent, one decimal (None when there is nobody to count)."""
        if not self.deputies:
            return None
        return (Decimal(100) * self.covered / self.total).quantize(Decimal("0.1"))

    @property
    def share_text(self) -> str:
        return "—" if self.share is None else f"{self.share}%"

    @property
    def uncovered(self) -> list[Deputy]:
        return [deputy for deputy in self.deputies if deputy.pk not in self.covered_ids]

    @property
    def uncovered_names(self) -> str:
        return "、".join(deputy.name for deputy in self.uncovered)


def reported_to_voters(deputy_ids: Iterable[int] | None = None) -> set[int]:
    """The deputies (among `deputy_ids`; None: every deputy, which the district's refresh asks
    rather than a list of tens of thousands) with a verified voter-report record dated on or
    after the start of their current term (their own `term_start`, else
    settings.LIANLUO_TERM_START). One query."""
    term_start = Coalesce(F("deputy__term_start"), Value(settings.LIANLUO_TERM_START))
    participations = (
        DutyParticipant.objects.all()
        if deputy_ids is None
        else DutyParticipant.objects.filter(deputy_id__in=list(deputy_ids))
    )
    participations = participations.filter(
        record__state=RecordState.VERIFIED,
        record__item__voter_report=True,
        record__date__gte=term_start,
    )
    return set(participations.values_list("deputy_id", flat=True).distinct())


@dataclass
class CoverageReport:
    district: Coverage | None  # None for a street committee: they see their streets only
    streets: list[Coverage]


def voter_report_coverage(user=None, on: dt.date | None = None, rows: list[TotalsRow] | None = None) -> CoverageReport:
    """District-wide and per-street coverage among active district deputies (区人大代表), limited
    to what `user` may see (no user: everything). `rows` (the year's totals) saves reading the
    deputies and their seats again."""
    if rows is None:
        deputies = list(Deputy.objects.filter(is_active=True, congress_level=CongressLevel.DISTRICT).order_by("name"))
        seats = current_seats((deputy.pk for deputy in deputies), on=on)
    else:
        district_rows = [row for row in rows if row.deputy.congress_level == CongressLevel.DISTRICT]
        deputies = sorted((row.deputy for row in district_rows), key=lambda deputy: (deputy.name, deputy.pk))
        seats = {row.deputy.pk: row.streets for row in district_rows}
    covered = reported_to_voters(deputy.pk for deputy in deputies)
    in_street: dict[StreetRef, list[Deputy]] = defaultdict(list)
    for deputy in deputies:
        for street in seats.get(deputy.pk, []):
            in_street[street].append(deputy)
    visible = None if user is None else visible_street_ids(user)
    streets = [
        Coverage(street.name, members, covered)
        for street, members in sorted(in_street.items())
        if visible is None or street.pk in visible
    ]
    district = Coverage("全区", deputies, covered) if visible is None else None
    return CoverageReport(district, streets)
