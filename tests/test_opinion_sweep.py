"""The daily sweep: reminders, overdue flags, closing unrated replies, the roll-up."""

import datetime as dt

import pytest

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from base.roles import Role, department_group_name, role_group_name
from tests.conftest import new_opinion, role_user, station_user
from workflows import opinions
from workflows.models import Department, Opinion, OpinionState
from workflows.sweep import sweep

pytestmark = pytest.mark.django_db
S = OpinionState


@pytest.fixture
def setup(two_streets):
    department = Department.objects.create(name="区城管局", email="cgj@example.com")
    staff = station_user(two_streets["station"])
    other_staff = station_user(two_streets["other_station"], "qingbo-staff")
    handler = role_user("clerk", role_group_name(Role.DEPARTMENT_HANDLER), department_group_name(department))
    return {**two_streets, "department": department, "staff": staff, "other_staff": other_staff, "handler": handler}


def assigned(station, staff, department, start, workdays, title="意见"):
    opinion = opinions.perform(new_opinion(station, title=title), "accept", user=staff)
    return opinions.perform(opinion, "assign", user=staff, department=department, workdays=workdays, today=start)


def test_reminders_go_out_once_before_the_deadline(setup):
    # Assigned Monday 3 Nov 2025 with 5 working days: due Monday 10 Nov.
    opinion = assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 5)
    assert opinion.deadline == dt.date(2025, 11, 10)
    mail.outbox.clear()
    assert sweep(dt.date(2025, 11, 4)).reminded == 0  # four working days left
    report = sweep(dt.date(2025, 11, 6))  # Thursday: Fri and Mon left
    assert report.reminded == 1
    assert [m.subject for m in mail.outbox] == ["【联络】即将到期：意见"]
    assert "还剩 2 个工作日" in mail.outbox[0].body
    assert sweep(dt.date(2025, 11, 6)).reminded == 0  # not twice on the same day


def test_two_sweeps_at_once_send_each_reminder_once(setup, monkeypatch):
    """A second sweep starting while the first is sending finds the reminders claimed."""
    from workflows import notifications

    assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 5, "即将到期")
    assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 1, "已超期")
    mail.outbox.clear()
    nested = []
    send_reminder = notifications.remind_deadline

    def remind_while_another_sweep_runs(opinion, days_left):
        if not nested:
            nested.append(sweep(dt.date(2025, 11, 6)))
        send_reminder(opinion, days_left)

    monkeypatch.setattr(notifications, "remind_deadline", remind_while_another_sweep_runs)
    first = sweep(dt.date(2025, 11, 6))
    (second,) = nested
    assert first.reminded + second.reminded == 1
    assert first.overdue_flagged + second.overdue_flagged == 1
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["【联络】即将到期：即将到期", "【联络】已超期：已超期"]


def test_overdue_items_are_flagged_once_and_rolled_up_by_street(setup):
    assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 1, "湖滨1")
    assigned(setup["point"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 1, "湖滨2")
    assigned(setup["other_station"], setup["other_staff"], setup["department"], dt.date(2025, 11, 3), 1, "清波1")
    later = dt.date(2025, 11, 10)
    report = sweep(later)
    assert report.overdue_flagged == 3
    assert report.overdue_by_street == {"湖滨街道": 2, "清波街道": 1} and report.overdue_total == 3
    assert sweep(later).overdue_flagged == 0  # already flagged
    assert Opinion.objects.filter(overdue_notified_at__isnull=False).count() == 3


def test_replies_nobody_rated_are_closed_after_the_configured_wait(setup, settings):
    settings.LIANLUO_RATING_WAIT_DAYS = 5
    opinion = assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 5)
    opinion = opinions.perform(opinion, "sign", user=setup["handler"])
    opinion = opinions.perform(opinion, "reply", user=setup["handler"], outcome="resolved", text="已处理。")
    replied_on = timezone.localtime(opinion.replied_at).date()
    assert sweep(replied_on + dt.timedelta(days=4)).closed_unrated == 0
    assert sweep(replied_on + dt.timedelta(days=5)).closed_unrated == 1
    opinion.refresh_from_db()
    assert opinion.state == S.CLOSED and opinion.close_reason == "答复后 5 天未评价"


def test_the_command_prints_the_rollup(setup, capsys):
    assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 1)
    call_command("sweep_opinions", "--today", "2025-11-10")
    out = capsys.readouterr().out
    assert "超期合计 overdue in the district: 1" in out and "湖滨街道: 1" in out


def test_the_background_task_runs_the_same_sweep(setup):
    from django_tasks import TaskResultStatus

    from workflows.sweep import sweep_task

    assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 1, "湖滨1")
    result = sweep_task.enqueue()  # "today" is the real date: long after the 2025 deadline
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == {"reminded": 0, "overdue_flagged": 1, "closed_unrated": 0, "overdue_total": 1}
    assert Opinion.objects.get(title="湖滨1").overdue_notified_at is not None


def test_an_overdue_item_is_supervised_once_and_told_once(setup, django_capture_on_commit_callbacks):
    from base.models import AuditEvent
    from workflows.models import SupervisionCase

    late = assigned(setup["station"], setup["staff"], setup["department"], dt.date(2025, 11, 3), 1, "超期的意见")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sweep(dt.date(2025, 11, 10))
        sweep(dt.date(2025, 11, 11))
    late.refresh_from_db()
    assert late.is_key
    (case,) = SupervisionCase.objects.filter(opinion=late)
    assert case.reason == "overdue" and case.opened_by is None and "已过" in case.note
    event = AuditEvent.objects.filter(object_id=str(late.pk), action="opinion_transition").latest("pk")
    assert event.detail["transition"] == "supervise" and event.detail["reason"] == "overdue"
    assert event.actor_username == "系统"
    assert [m.subject for m in mail.outbox] == ["【联络】已超期：超期的意见"]  # no second 督办 mail

    # When the opinion is finally closed, its supervision ends.
    opinion = opinions.perform(late, "sign", user=setup["handler"])
    opinion = opinions.perform(opinion, "reply", user=setup["handler"], outcome="resolved", text="已处理。")
    opinion = opinions.perform(opinion, "evaluate", capacity=opinions.CITIZEN, rating="satisfied")
    opinions.perform(opinion, "close", user=setup["staff"])
    case.refresh_from_db()
    assert case.closed_at is not None
