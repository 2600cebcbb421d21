"""Points (履职积分): computed from verified records and the scheme of their year, never stored.

For one deputy, one item and one year, the occurrences are taken in date order: the first
earns the item's `base_points`, each further one its `repeat_points`; each is weighted by the
deputy's part in it (`lead_weight` as lead, `co_weight` as co-participant); the sum is capped
at `yearly_cap`. A deputy's yearly total is the sum over the items. Worked examples are in
tests/test_duty_points.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from duties.models import DutyItem, DutyParticipant, ParticipantRole, RecordState

TENTH = Decimal("0.1")


@dataclass
class ItemPoints:
    item: DutyItem
    occurrences: int = 0
    as_lead: int = 0
    uncapped: Decimal = Decimal("0")

    @property
    def points(self) -> Decimal:
        cap = self.item.yearly_cap
        return (min(self.uncapped, cap) if cap is not None else self.uncapped).quantize(TENTH)

    @property
    def capped(self) -> bool:
        return self.item.yearly_cap is not None and self.uncapped > self.item.yearly_cap


@dataclass
class DeputyYear:
    deputy_id: int
    items: dict[int, ItemPoints] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((p.points for p in self.items.values()), Decimal("0")).quantize(TENTH)

    @property
    def records(self) -> int:
        return sum(p.occurrences for p in self.items.values())


def occurrence_points(item: DutyItem, index: int, role: str) -> Decimal:
    """What the `index`-th (0-based) occurrence of `item` in a year earns in `role`."""
    points = item.base_points if index == 0 else item.repeat_points
    weight = item.lead_weight if role == ParticipantRole.LEAD else item.co_weight
    return points * weight


def add_up(items: dict[int, DutyItem], rows: Iterable[tuple[int, int, str]]) -> dict[int, DeputyYear]:
    """{deputy id: DeputyYear} from (deputy id, item id, role) rows in date order."""
    years: dict[int, DeputyYear] = {}
    for deputy_id, item_id, role in rows:
        year = years.get(deputy_id)
        if year is None:
            year = years[deputy_id] = DeputyYear(deputy_id)
        item_points = year.items.get(item_id)
        if item_points is None:
            item_points = year.items[item_id] = ItemPoints(items[item_id])
        item_points.uncapped += occurrence_points(item_points.item, item_points.occurrences, role)
        item_points.occurrences += 1
        item_points.as_lead += role == ParticipantRole.LEAD
    return years


def yearly_points(year: int, deputy_ids: Iterable[int] | None = None) -> dict[int, DeputyYear]:
    """Every deputy's points in `year` (or those of `deputy_ids`), in two queries: the year's
    items, and the participations in its verified records."""
    items = {item.pk: item for item in DutyItem.objects.filter(scheme__year=year)}
    rows = DutyParticipant.objects.filter(
        record__state=RecordState.VERIFIED, record__item__scheme__year=year, record__date__year=year
    )
    if deputy_ids is not None:
        rows = rows.filter(deputy_id__in=list(deputy_ids))
    rows = rows.order_by("record__date", "record_id").values_list("deputy_id", "record__item_id", "role")
    return add_up(items, rows.iterator(chunk_size=5000))


def deputy_points(year: int, deputy_id: int) -> DeputyYear | None:
    """One deputy's points in `year` in one query: the items come with the participations
    (the portal's home; `yearly_points` serves many deputies at once)."""
    rows = list(
        DutyParticipant.objects.filter(
            deputy_id=deputy_id,
            record__state=RecordState.VERIFIED,
            record__item__scheme__year=year,
            record__date__year=year,
        )
        .select_related("record__item")
        .only("deputy_id", "role", "record__date", "record__item")
        .order_by("record__date", "record_id")
    )
    items = {row.record.item_id: row.record.item for row in rows}
    return add_up(items, ((row.deputy_id, row.record.item_id, row.role) for row in rows)).get(deputy_id)
