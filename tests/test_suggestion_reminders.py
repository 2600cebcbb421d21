"""The suggestions' daily sweep: a reminder to the departments still owing their part before
the deadline, a notice to them and the liaison office once it has passed unanswered, a notice
when a B reply's promised date has passed; each once, a reopened suggestion's new deadline anew."""

from __future__ import annotations

import datetime as dt

import pytest

from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from base.roles import Role, department_group_name, role_group_name
from suggestions.assignment import ASSIGNMENTS
from suggestions.drafting import SUGGESTIONS
from suggestions.models import Suggestion, SuggestionState
from suggestions.reminders import sweep
from tests.conftest import role_user
from tests.test_suggestion_drafting import SuggestionDriver
from tests.test_suggestion_drafting import world as world  # noqa: F401 - the shared fixture

pytestmark = pytest.mark.django_db
S = SuggestionState
DEADLINE = dt.date(2026, 12, 3)  # a Thursday


@pytest.fixture
def people(world, settings):
    settings.LIANLUO_SUGGESTION_REMINDER_WORKDAYS = 3
    for user, email in ((world["lead_handler"], "jj@example.com"), (world["office"], "office@example.com")):
        user.email = email
        user.save()
    world["co_handler"] = role_user(
        "cg-handler",
        role_group_name(Role.DEPARTMENT_HANDLER),
        department_group_name(world["co_department"]),
        email="cg@example.com",
    )
    return world


def assigned(people, deadline=DEADLINE):
    suggestion = SuggestionDriver(people).bring(S.ASSIGNED)
    Suggestion.objects.filter(pk=suggestion.pk).update(deadline=deadline)
    mail.outbox.clear()
    return Suggestion.objects.get(pk=suggestion.pk)


def sent() -> list[tuple[str, list[str]]]:
    return [(message.subject, sorted(message.to)) for message in mail.outbox]


def test_the_departments_owing_their_part_are_reminded_once_before_the_deadline(people):
    suggestion = assigned(people)
    assert sweep(dt.date(2026, 11, 27)).reminded == 0  # Friday: the deadline is four working days off
    assert sweep(dt.date(2026, 11, 30)).reminded == 1  # Monday: three left
    title = f"【联络】代表建议即将到期：{suggestion.title}"
    assert sent() == [(title, ["cg@example.com", "jj@example.com"])]
    body = mail.outbox[0].body
    assert "2026年12月03日" in body and "还剩 3 个工作日" in body and suggestion.number in body
    assert reverse("suggestions:inspect", args=[suggestion.pk]) in body
    assert sweep(dt.date(2026, 11, 30)).reminded == 0 and sweep(dt.date(2026, 12, 1)).reminded == 0
    assert len(mail.outbox) == 1


def test_a_co_handler_that_sent_its_opinion_is_not_reminded(people):
    suggestion = assigned(people)
    co = suggestion.assignments.get(role="co")
    co = ASSIGNMENTS.perform(co, "sign", user=people["co_handler"])
    ASSIGNMENTS.perform(co, "send_opinion", user=people["co_handler"], opinion="同意延长绿灯时间。")
    mail.outbox.clear()
    sweep(dt.date(2026, 11, 30))
    assert [to for _, to in sent()] == [["jj@example.com"]]


def test_a_passed_deadline_is_reported_once_to_the_departments_and_the_office(people):
    suggestion = assigned(people)
    report = sweep(dt.date(2026, 12, 4))
    assert (report.reminded, report.overdue) == (0, 1)
    assert sent() == [
        (f"【联络】代表建议已超期：{suggestion.title}", ["cg@example.com", "jj@example.com", "office@example.com"])
    ]
    assert sweep(dt.date(2026, 12, 7)).overdue == 0 and len(mail.outbox) == 1


def test_a_reopened_suggestion_is_reminded_of_its_new_deadline(people):
    suggestion = assigned(people)
    sweep(dt.date(2026, 11, 30))
    suggestion = SuggestionDriver(people).replied(suggestion)
    suggestion = SUGGESTIONS.perform(suggestion, "rate", user=people["王芳"], rating="unsatisfied")
    assert suggestion.state == S.REOPENED
    Suggestion.objects.filter(pk=suggestion.pk).update(deadline=dt.date(2026, 12, 9))
    mail.outbox.clear()
    assert sweep(dt.date(2026, 12, 4)).reminded == 1  # its new deadline, three working days off
    assert sweep(dt.date(2026, 12, 4)).reminded == 0


def test_a_passed_b_promise_is_reported_once_until_followed_up(people):
    suggestion = SuggestionDriver(people).bring(S.CLOSED)  # a B reply whose promised date has passed
    mail.outbox.clear()
    assert sweep(dt.date(2026, 11, 30)).promises == 1
    assert sent() == [(f"【联络】B类承诺已到期：{suggestion.title}", ["jj@example.com", "office@example.com"])]
    assert sweep(dt.date(2026, 12, 1)).promises == 0


def test_the_command_runs_the_sweep_for_a_given_day(people, capsys):
    assigned(people)
    call_command("sweep_suggestions", "--today", "2026-11-30")
    assert "到期提醒 reminded: 1" in capsys.readouterr().out
    assert len(mail.outbox) == 1
