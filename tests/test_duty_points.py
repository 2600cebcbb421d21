"""Points (履职积分) on worked examples: base, increment, cap, lead/co weights, and the scheme
of each year (changing next year's rules never changes last year's totals)."""

import datetime as dt
from decimal import Decimal

import pytest

from content.models import Membership
from duties.models import DutyItem, DutyScheme, ParticipantRole, RecordState
from duties.points import add_up, deputy_points, yearly_points
from duties.records import Entry, record_by_staff
from tests.conftest import make_deputy, street_user

LEAD, CO = ParticipantRole.LEAD, ParticipantRole.CO
D = Decimal


def item(pk, base, repeat, cap=None, lead="1", co="0.5"):
    return DutyItem(
        pk=pk,
        number=pk,
        name=f"事项{pk}",
        base_points=D(base),
        repeat_points=D(repeat),
        yearly_cap=None if cap is None else D(cap),
        lead_weight=D(lead),
        co_weight=D(co),
    )


# Research (调研): 3 the first time, 2 each further time, at most 9; co-participants earn half.
RESEARCH = item(1, "3", "2", cap="9")
# Attending the session: 5 once, nothing more, everyone alike.
SESSION = item(2, "5", "0", cap="5", co="1")
# Study: 1, then 0.5 each time, no cap.
STUDY = item(3, "1", "0.5")
ITEMS = {i.pk: i for i in (RESEARCH, SESSION, STUDY)}


def points(rows):
    return add_up(ITEMS, rows)


def test_first_occurrence_earns_the_base_and_each_further_one_the_increment():
    year = points([(7, 1, LEAD), (7, 1, LEAD)])[7]
    assert year.items[1].points == D("5.0")  # 3 + 2
    assert year.items[1].occurrences == 2


def test_a_co_participant_earns_the_co_weight_of_that_occurrence():
    # lead, lead, co: 3×1 + 2×1 + 2×0.5 = 6
    assert points([(7, 1, LEAD), (7, 1, LEAD), (7, 1, CO)])[7].items[1].points == D("6.0")
    # co first, then lead: 3×0.5 + 2×1 = 3.5 (the order of occurrences counts, not the role)
    assert points([(8, 1, CO), (8, 1, LEAD)])[8].items[1].points == D("3.5")


def test_the_yearly_cap_stops_an_item_and_says_so():
    year = points([(7, 1, LEAD)] * 5)[7]  # 3 + 2 + 2 + 2 + 2 = 11, capped at 9
    assert year.items[1].points == D("9.0")
    assert year.items[1].capped
    assert not points([(7, 1, LEAD)] * 4)[7].items[1].capped  # 9 exactly is not over the cap


def test_an_item_without_cap_goes_on():
    assert points([(7, 3, LEAD)] * 4)[7].items[3].points == D("2.5")  # 1 + 0.5 × 3


def test_the_total_adds_the_items_each_after_its_own_cap():
    rows = [(7, 1, LEAD), (7, 1, LEAD), (7, 1, CO), (7, 2, LEAD), (7, 2, LEAD), (9, 2, CO)]
    years = points(rows)
    assert years[7].total == D("11.0")  # research 6 + session 5 (the second attendance adds 0)
    assert years[7].records == 5
    assert years[9].total == D("5.0")  # the session item weighs co-participants fully


# --- From the database: verified records, the scheme of the record's year ----------------------


@pytest.fixture
def deputies(two_streets):
    tree = two_streets
    wang, li = make_deputy("王芳"), make_deputy("李强")
    for deputy in (wang, li):
        Membership.objects.create(station=tree["station"], deputy=deputy)
    return wang, li


def scheme_item(year, number):
    return DutyItem.objects.get(scheme__year=year, number=number)


def test_totals_come_from_verified_records_and_their_years_scheme(tree, street, deputies, fixed_today):
    fixed_today(dt.date(2027, 3, 1))
    wang, li = deputies
    secretary = street_user(street)
    research_2026 = scheme_item(2026, 9)  # 参加集中调研月活动: 3, then 2, cap 9, co 0.5
    for day in (dt.date(2026, 5, 1), dt.date(2026, 6, 1)):
        record_by_staff(Entry(research_2026, day, tree["station"], "调研停车难", wang, [li]), secretary)
    assert yearly_points(2026)[wang.pk].total == D("5.0")
    assert yearly_points(2026)[li.pk].total == D("2.5")
    # One deputy's points in one query (the portal's home) are the same figures.
    assert (deputy_points(2026, wang.pk).total, deputy_points(2026, li.pk).total) == (D("5.0"), D("2.5"))

    # Next year the district changes the rules: last year's totals stay as they were.
    research_2027 = scheme_item(2027, 9)
    research_2027.base_points, research_2027.yearly_cap = D("10"), D("20")
    research_2027.save()
    record_by_staff(Entry(research_2027, dt.date(2027, 2, 1), tree["station"], "调研", wang), secretary)
    assert yearly_points(2026)[wang.pk].total == D("5.0")
    assert yearly_points(2027)[wang.pk].total == D("10.0")
    assert (deputy_points(2026, wang.pk).total, deputy_points(2027, wang.pk).total) == (D("5.0"), D("10.0"))


def test_records_not_verified_do_not_count(tree, street, deputies, fixed_today):
    fixed_today(dt.date(2026, 12, 1))
    wang, _ = deputies
    record = record_by_staff(
        Entry(scheme_item(2026, 10), dt.date(2026, 4, 2), tree["station"], "视察", wang), street_user(street)
    )
    assert yearly_points(2026)[wang.pk].total == D("3.0")
    record.state = RecordState.VOID
    record.save()
    assert wang.pk not in yearly_points(2026)
    assert deputy_points(2026, wang.pk) is None


def test_the_default_scheme_has_23_items_in_four_groups(db):
    for year in (2026, 2027):
        items = DutyItem.objects.filter(scheme__year=year)
        assert items.count() == 23
        assert set(items.values_list("group", flat=True)) == {"session", "recess", "exemplary", "other"}
        assert set(items.exclude(auto_source="").values_list("auto_source", flat=True)) == {
            "reception",
            "opinion_received",
            "opinion_closed",
            "livelihood_vote",  # 参加民生实事项目票决: signing in for the vote (duties migration 0008)
            "livelihood_supervision",  # 参加民生实事项目监督: an inspection of a chosen project
        }


def test_copying_a_scheme_makes_next_years_own_items(db):
    copied = DutyScheme.objects.get(year=2027).copy_to(2028)
    assert copied.items.count() == 23
    first = copied.items.get(number=1)
    first.base_points = D("8")
    first.save()
    assert DutyItem.objects.get(scheme__year=2027, number=1).base_points == D("5")
    assert first.history.last().history_change_reason == "复制自2027年"
