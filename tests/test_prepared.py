"""base.prepared: a queryset compiled once, run again with other values, gives exactly the rows
the queryset itself gives; a builder whose SQL would not follow its arguments is refused."""

import datetime as dt

import pytest

from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from base.models import CalendarDay
from base.prepared import prepared
from content.models import Membership, Street
from tests.conftest import make_deputy

pytestmark = pytest.mark.django_db


@pytest.fixture
def streets():
    names = ["湖滨街道", "清波街道", "小营街道", "望江街道", "南星街道"]
    return [Street.objects.create(name=name, slug=f"s{i}", sort_order=i) for i, name in enumerate(names)]


def counted(build):
    """`build` made prepared, counting how often it is built (each compile builds it twice)."""
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        return build(*args, **kwargs)

    wrapper.__qualname__ = build.__qualname__
    made = prepared(wrapper)
    made.calls = calls
    return made


def test_other_values_give_their_own_rows_and_the_query_is_built_only_once(streets):
    by_order = counted(lambda low, high: Street.objects.filter(sort_order__gte=low, sort_order__lte=high))
    assert [s.name for s in by_order(0, 1)] == ["湖滨街道", "清波街道"]
    built = len(by_order.calls)
    assert [s.name for s in by_order(3, 4)] == ["望江街道", "南星街道"]
    assert [s.name for s in by_order(2, 2)] == ["小营街道"]
    assert len(by_order.calls) == built  # no rebuilding for new values
    assert by_order(7, 9) == []


def test_rows_are_the_querysets_own_strings_lists_and_none(streets):
    def build(slugs, name):
        condition = Q(slug__in=slugs) if name is None else Q(slug__in=slugs) | Q(name=name)
        return Street.objects.filter(condition).order_by("sort_order")

    made = prepared(build)
    for slugs, name in [(["s0", "s1"], None), (["s3", "s4"], None), (["s2"], "南星街道"), (["s0", "s1", "s2"], "清波")]:
        assert made(slugs, name) == list(build(slugs, name))
    # A list's length and an argument being None are each a shape of its own.
    assert len(made._plans) == 3


def test_dates_are_adapted_as_the_database_needs(db):
    for day, name in [(dt.date(2026, 10, 1), "国庆节"), (dt.date(2026, 10, 10), "调休"), (dt.date(2027, 1, 1), "元旦")]:
        CalendarDay.objects.create(date=day, kind=CalendarDay.Kind.HOLIDAY, name=name)
    between = prepared(lambda start, end: CalendarDay.objects.filter(date__range=(start, end)).order_by("date"))
    assert [d.name for d in between(dt.date(2026, 9, 30), dt.date(2026, 10, 9))] == ["国庆节"]
    assert [d.name for d in between(dt.date(2026, 10, 2), dt.date(2027, 1, 1))] == ["调休", "元旦"]
    assert [d.date for d in between(dt.date(2026, 10, 1), dt.date(2026, 10, 1))] == [dt.date(2026, 10, 1)]


def test_related_objects_annotations_and_values_come_back_as_from_the_queryset(tree):
    station = tree["station"]
    for name in ["王芳", "李强"]:
        Membership.objects.create(station=station, deputy=make_deputy(name))
    other = make_deputy("赵敏")
    Membership.objects.create(station=tree["point"], deputy=other)

    def wall(station_id, today):
        return (
            Membership.objects.current(today)
            .filter(station_id=station_id)
            .select_related("deputy", "station")
            .annotate(others=Count("deputy__memberships"))
            .order_by("deputy__name")
        )

    made = prepared(wall)
    today = dt.date.today()
    for page in (station, tree["point"]):
        expected = list(wall(page.pk, today))
        with CaptureQueriesContext(connection) as queries:
            got = made(page.pk, today)
            names = [(m.deputy.name, m.station.title, m.others) for m in got]  # no further queries
        assert names == [(m.deputy.name, m.station.title, m.others) for m in expected]
        assert len(queries) == 1
    assert [m.deputy for m in made(tree["point"].pk, today)] == [other]

    values = prepared(lambda street_id: Street.objects.filter(pk=street_id).values("name", "slug"))
    street = Street.objects.get()
    assert values(street.pk) == [{"name": street.name, "slug": street.slug}]


def test_an_empty_list_needs_no_query(streets):
    made = prepared(lambda slugs: Street.objects.filter(slug__in=slugs))
    with CaptureQueriesContext(connection) as queries:
        assert made([]) == []
    assert len(queries) == 0
    assert [s.slug for s in made(["s1"])] == ["s1"]


def test_a_builder_computing_with_its_argument_is_refused_with_the_reason(streets):
    def computed(day):
        return CalendarDay.objects.filter(date__gte=day - dt.timedelta(days=40))

    with pytest.raises(ImproperlyConfigured, match="computed from an argument"):
        prepared(computed)(dt.date(2026, 10, 1))

    sliced = prepared(lambda limit: Street.objects.order_by("sort_order")[:limit])
    with pytest.raises(ImproperlyConfigured, match="changes the SQL text"):
        sliced(2)


def test_shape_arguments_are_compiled_apart(streets):
    first = prepared(lambda low, *, limit: Street.objects.filter(sort_order__gte=low).order_by("sort_order")[:limit])
    assert [s.slug for s in first(1, limit=2)] == ["s1", "s2"]
    assert [s.slug for s in first(1, limit=3)] == ["s1", "s2", "s3"]
    assert [s.slug for s in first(3, limit=2)] == ["s3", "s4"]


def test_arguments_of_another_kind_are_refused(streets):
    made = prepared(lambda street: Street.objects.filter(pk=street))
    with pytest.raises(TypeError, match="int, str, date"):
        made(streets[0])
    with pytest.raises(TypeError):
        made(True)


def test_a_process_keeps_a_bounded_number_of_shapes_and_answers_beyond_them(streets):
    made = prepared(lambda slugs: Street.objects.filter(slug__in=slugs).order_by("sort_order"))
    for count in range(1, prepared.MAX_SHAPES + 20):
        slugs = [f"s{i % 5}" for i in range(count)]
        assert [s.slug for s in made(slugs)] == sorted(set(slugs), key=lambda slug: int(slug[1:]))
    assert len(made._plans) == prepared.MAX_SHAPES
