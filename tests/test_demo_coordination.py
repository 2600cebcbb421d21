"""The demo's district-to-street tasks: this year's research topic (accepted by the demo street,
one progress report), an inspection (the demo street's result confirmed; the other street
overdue and reminded) and a survey just issued (the demo street's to-do); all made through the
real process code at each step's moment, once, and cleared by the demo reset."""

import datetime as dt

import pytest

from django.utils import timezone

from base.models import AuditEvent
from base.roles import Role, role_group_name
from content.demo.reset import reset_district
from coordination.demo import ensure_demo_coordination
from coordination.models import CoordinationAction, ReportKind, StreetTask, StreetTaskState, Task, TaskKind, TaskReport
from coordination.street_tasks import STREET_TASKS
from tests.conftest import role_user, street_user

pytestmark = pytest.mark.django_db
S = StreetTaskState


def test_the_demo_issues_this_years_tasks_once_through_the_process(two_streets, street):
    office = role_user("office", role_group_name(Role.DISTRICT_ADMIN))
    secretary = street_user(street)
    other = two_streets["other_street"]
    today, now = timezone.localdate(), timezone.now()

    assert ensure_demo_coordination(office_user=office, street_user=secretary) == 3

    tasks = {task.kind: task for task in Task.objects.filter(year=today.year)}
    assert set(tasks) == {TaskKind.RESEARCH, TaskKind.INSPECTION, TaskKind.SURVEY}
    assert all(task.street_tasks.count() == 2 for task in tasks.values())  # every street
    assert all(task.created_by == office and task.created_at <= now for task in tasks.values())

    def days(n):
        return today + dt.timedelta(days=n)

    def part(kind, of=street):
        return StreetTask.objects.get(task=tasks[kind], street=of)

    research = part(TaskKind.RESEARCH)
    assert research.state == S.ACCEPTED and days(21) <= research.due_on <= days(30)  # a working day
    assert list(research.reports.values_list("kind", flat=True)) == [ReportKind.PROGRESS]
    assert research.created_at < research.accepted_at < research.reports.get().reported_at <= now

    inspection = part(TaskKind.INSPECTION)
    assert inspection.state == S.COMPLETED and days(-20) < inspection.due_on <= days(-10)
    assert inspection.accepted_at < inspection.submitted_at < inspection.completed_at <= now
    assert inspection.submitted_at.date() <= inspection.due_on and not inspection.is_overdue
    assert inspection.reports.get().kind == ReportKind.RESULT

    late = part(TaskKind.INSPECTION, other)
    assert late.state == S.ISSUED and late.is_overdue and late.reminder_count == 2
    assert timezone.localdate(late.reminded_at) > late.due_on

    survey = part(TaskKind.SURVEY)
    assert survey.state == S.ISSUED and survey.due_on > today and survey.created_at <= now

    # Each step is audited at its own moment, in order.
    steps = AuditEvent.objects.filter(action=CoordinationAction.STREET_TASK, object_id=str(inspection.pk))
    moments = list(steps.order_by("pk").values_list("timestamp", flat=True))
    assert len(moments) == 3 and moments == sorted(moments) and moments[-1] <= now
    assert moments[0] < now - dt.timedelta(days=50)

    # The office sees the overdue street; the demo street has one task to accept and one to report on.
    assert STREET_TASKS.todo_counts(office)["overdue"] == 1
    counts = STREET_TASKS.todo_counts(secretary)
    assert counts["to_accept"] == 1 and counts["to_submit"] == 1 and counts["overdue"] == 0

    # A second run adds nothing.
    before = (Task.objects.count(), StreetTask.objects.count(), TaskReport.objects.count(), AuditEvent.objects.count())
    assert ensure_demo_coordination(office_user=office, street_user=secretary) == 0
    after = (Task.objects.count(), StreetTask.objects.count(), TaskReport.objects.count(), AuditEvent.objects.count())
    assert after == before

    reset_district(lambda *args: None)
    assert not Task.objects.exists() and not StreetTask.objects.exists() and not TaskReport.objects.exists()
