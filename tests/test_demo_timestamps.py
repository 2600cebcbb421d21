"""Demo opinions tell the truth about time: submitted over the past months, every later step
at a moment derived from the one before with the working-day calendar, nothing overdue
before it was received, and the overdue count what the sweep and the dashboards compute."""

import datetime as dt
import re

import pytest
import time_machine

from django.urls import reverse
from django.utils import timezone

from base.calendar import WorkdayCalendar
from base.models import AuditEvent
from workflows import demo
from workflows.models import OPINION_DEADLINE, Opinion, OpinionReply, OpinionState, SupervisionCase
from workflows.opinions import OPINIONS
from workflows.sweep import sweep

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)  # a Friday, deadlines running through the autumn's holidays
S = OpinionState


def build(count=150, seed=11):
    assert demo.build_opinions(count, seed=seed, today=TODAY, progress=lambda message: None) == count
    return timezone.make_aware(dt.datetime.combine(TODAY, dt.time(23, 59)))  # the end of the build's day


def local_day(moment):
    return timezone.localtime(moment).date()


def steps_in_order(opinion):
    """The opinion's own timestamps in the order of the loop (those it has)."""
    # rated_at of a round rated 不满意 stays while the next round (重办) runs: only a current
    # rating's moment belongs to this round.
    rated_at = opinion.rated_at if opinion.rating else None
    moments = [opinion.created_at, opinion.assigned_at, opinion.signed_at, opinion.replied_at]
    moments += [rated_at, opinion.closed_at, opinion.published_at]
    return [m for m in moments if m is not None]


def check_fields(opinion, until, calendar):
    moments = steps_in_order(opinion)
    assert moments == sorted(moments), opinion.receipt_no
    assert moments[-1] <= until, opinion.receipt_no
    assert opinion.updated_at <= until
    if opinion.deadline:
        # The deadline is the category's working days counted from the assignment's day.
        assigned_on = local_day(opinion.assigned_at)
        assert opinion.deadline == calendar.add_workdays(assigned_on, opinion.category.deadline_workdays)
    if opinion.overdue_notified_at:  # flagged the day after its deadline, never before it came in
        assert opinion.created_at < opinion.overdue_notified_at <= until
        assert local_day(opinion.overdue_notified_at) == opinion.deadline + dt.timedelta(days=1)
    if opinion.replied_at:  # nobody replies within a day of submission
        assert opinion.replied_at - opinion.created_at > dt.timedelta(days=1)
    if opinion.state in (S.REPLIED,):  # unrated replies are closed by the sweep after the wait
        assert (local_day(until) - local_day(opinion.replied_at)).days < 7
    if opinion.state == S.CLOSED and not opinion.rating:
        assert local_day(opinion.closed_at) - local_day(opinion.replied_at) == dt.timedelta(days=7)


def test_every_step_of_every_demo_opinion_happens_in_order_at_its_derived_moment(tree, client, django_user_model):
    until = build()
    calendar = WorkdayCalendar.load(TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=200))
    opinions = list(Opinion.objects.select_related("category"))
    for opinion in opinions:
        check_fields(opinion, until, calendar)

        # The audit records and the history rows read in the order of the steps, each pair
        # at one moment, the first at the submission and the last at the row's last change.
        events = list(
            AuditEvent.objects.filter(object_type="workflows.Opinion", object_id=str(opinion.pk)).order_by("pk")
        )
        history = list(opinion.history.order_by("history_id"))
        assert events[0].action == "opinion_submitted" and events[0].timestamp == opinion.created_at
        assert history[0].history_date == opinion.created_at
        assert [e.timestamp for e in events] == sorted(e.timestamp for e in events)
        assert [h.history_date for h in history] == sorted(h.history_date for h in history)
        dated = {h.history_id: h.history_date for h in history}
        at = {}
        for event in events[1:]:
            assert event.timestamp == dated[event.detail["history_id"]]
            at[event.detail["transition"]] = event.timestamp  # the latest of each (重办 assigns twice)
        assert history[-1].history_date == opinion.updated_at
        assert events[-1].timestamp <= until

        # The row's own fields carry the moments of the transitions that set them.
        if "accept" in at:
            assert opinion.created_at < at["accept"] <= (opinion.assigned_at or until)
        for transition, moment in [
            ("assign", opinion.assigned_at),
            ("sign", opinion.signed_at),
            ("reply", opinion.replied_at),
            ("evaluate", opinion.rated_at),
            ("close", opinion.closed_at if opinion.state == S.CLOSED else None),
            ("approve_publication", opinion.published_at),
        ]:
            if moment is not None:
                assert at[transition] == moment, (opinion.receipt_no, transition)
        for reply in OpinionReply.objects.filter(opinion=opinion):
            assert opinion.created_at < reply.replied_at <= until

    # Submissions span the months before the build, more of them recent; stages follow age.
    created = sorted(o.created_at for o in opinions)
    assert (created[-1] - created[0]).days > 120
    assert len({(local_day(c).year, local_day(c).month) for c in created}) >= 5
    recent = [o for o in opinions if until - o.created_at < dt.timedelta(days=28)]
    assert len(recent) > len(opinions) / 4
    just_in = [o for o in opinions if until - o.created_at < dt.timedelta(days=1)]
    assert just_in and all(o.state not in (S.REPLIED, S.EVALUATED, S.CLOSED) for o in just_in)
    old = [o for o in opinions if until - o.created_at > dt.timedelta(days=90)]
    assert old and all(not o.is_open for o in old)

    # In the admin, a published opinion's timeline reads in order, with the dates it happened on.
    published = Opinion.objects.filter(state=S.CLOSED, published_at__isnull=False).order_by("created_at").first()
    client.force_login(django_user_model.objects.create_superuser("timeline-admin", "admin@example.com", "x"))
    page = client.get(reverse("opinions:inspect", args=[published.pk])).content.decode()
    shown = re.findall(r"<strong>(\d{4}-\d{2}-\d{2} \d{2}:\d{2})</strong>", page)
    steps = [published.created_at, published.assigned_at, published.replied_at, published.closed_at]
    steps = [f"{timezone.localtime(m):%Y-%m-%d %H:%M}" for m in [*steps, published.published_at]]
    assert shown == sorted(shown) and len(shown) >= 7
    assert shown[0] == steps[0] and shown[-1] == steps[-1] and set(steps) <= set(shown)
    assert len({m[:10] for m in shown}) >= 4  # days apart, not one build's minute
    assert "字段修改（无办理记录）" not in page


def test_the_overdue_count_is_what_the_sweep_and_the_dashboards_compute(tree, django_user_model):
    until = build(count=300, seed=2026)
    overdue = Opinion.objects.filter(OPINION_DEADLINE.overdue_q(TODAY))
    count = overdue.count()
    # A few items late, as in a district that mostly keeps its deadlines.
    assert 1 <= count <= 0.03 * Opinion.objects.count()
    for opinion in overdue:  # each flagged by the sweep the day after its deadline (超期督办)
        assert opinion.is_key and opinion.overdue_notified_at is not None
        assert opinion.supervision_cases.filter(reason=SupervisionCase.Reason.OVERDUE).exists()
    late = SupervisionCase.objects.filter(reason=SupervisionCase.Reason.OVERDUE).count()
    assigned = Opinion.objects.exclude(assigned_at=None).count()
    assert 0.02 * assigned <= late <= 0.12 * assigned

    admin = django_user_model.objects.create_superuser("dashboard-admin", "admin@example.com", "x")
    with time_machine.travel(until, tick=False):
        todo = OPINIONS.todo_counts(admin)
        report = sweep()  # the day's sweep already ran in the demo: nothing is left for it to do
    assert todo["overdue"] == count == report.overdue_total
    assert (report.overdue_flagged, report.closed_unrated, report.reminded) == (0, 0, 0)


def test_bulk_demo_opinions_follow_the_same_timeline(tree, monkeypatch):
    monkeypatch.setattr(demo, "REAL_PATH_MAX", 5)
    until = build(count=400, seed=5)
    calendar = WorkdayCalendar.load(TODAY - dt.timedelta(days=400), TODAY + dt.timedelta(days=200))
    opinions = list(Opinion.objects.select_related("category"))
    for opinion in opinions:
        check_fields(opinion, until, calendar)
        if opinion.duplicate_of_id:
            assert opinion.duplicate_of.created_at <= opinion.created_at
    for case in SupervisionCase.objects.select_related("opinion"):
        assert case.opinion.created_at < case.opened_at <= (case.closed_at or until)
    created = [o.created_at for o in opinions]
    assert (max(created) - min(created)).days > 120
    assert Opinion.objects.filter(OPINION_DEADLINE.overdue_q(TODAY)).count() <= 0.03 * len(opinions)
    with time_machine.travel(until, tick=False):
        report = sweep()
    assert (report.overdue_flagged, report.closed_unrated, report.reminded) == (0, 0, 0)
