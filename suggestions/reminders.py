"""The suggestions' daily sweep (`python manage.py sweep_suggestions`, or the background task
`sweep_task`): emails to the departments before a suggestion's deadline, to the departments and
the liaison office once it has passed unanswered, and to the office and the lead department
when a B reply's promised date has passed without a follow-up.

Each email is claimed on its row before it is sent (an UPDATE that only one of two sweeps
running at once can make), so a second run on the same day, or two at once, sends nothing
twice. A reopened suggestion's new deadline is reminded of anew. The messages name the
suggestion's number, title and deadline and link to the admin; nothing else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django_tasks import task

from django.conf import settings
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from base.calendar import WorkdayCalendar
from base.roles import Role, department_handlers, users_with_role
from suggestions.models import (
    AssignmentRole,
    AssignmentState,
    ReplyCategory,
    Suggestion,
    SuggestionReply,
    SuggestionState,
)
from workflows.notifications import send_notification

AWAITING_REPLY = (SuggestionState.ASSIGNED, SuggestionState.REOPENED)
UNFINISHED_PARTS = (AssignmentState.ASSIGNED, AssignmentState.SIGNED, AssignmentState.ADJUST)


@dataclass
class SweepReport:
    reminded: int = 0
    overdue: int = 0
    promises: int = 0


def reminder_workdays() -> int:
    return getattr(settings, "LIANLUO_SUGGESTION_REMINDER_WORKDAYS", 10)


def _emails(users) -> set[str]:
    return set(users.exclude(email="").values_list("email", flat=True))


def department_recipients(suggestion: Suggestion, *, lead_only: bool = False) -> list[str]:
    """The handlers (and the notice address) of the departments still owing their part: the
    lead department, and co-handlers that have not sent their opinion (unless `lead_only`)."""
    parts = suggestion.assignments.exclude(state=AssignmentState.RELEASED)
    owing = Q(role=AssignmentRole.LEAD) if lead_only else Q(role=AssignmentRole.LEAD) | Q(state__in=UNFINISHED_PARTS)
    emails: set[str] = set()
    for part in parts.filter(owing).select_related("department"):
        emails |= _emails(department_handlers(part.department))
        if part.department.email:
            emails.add(part.department.email)
    return sorted(emails)


def office_recipients() -> list[str]:
    return sorted(_emails(users_with_role(Role.DISTRICT_ADMIN)))


def _send(suggestion: Suggestion, subject: str, line: str, recipients: list[str]) -> None:
    if not recipients:
        return
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    body = "\n".join(
        [line, "", f"建议：{suggestion}", f"办理页面：{base}{reverse('suggestions:inspect', args=[suggestion.pk])}"]
    )
    send_notification.enqueue(suggestion.pk, f"【联络】{subject}", body, recipients)


def sweep(today: dt.date | None = None) -> SweepReport:
    today = today or timezone.localdate()
    report = SweepReport()
    calendar = WorkdayCalendar.load(today, today + dt.timedelta(days=60))
    remind_until = calendar.add_workdays(today, reminder_workdays())
    waiting = Suggestion.objects.filter(state__in=AWAITING_REPLY, deadline__isnull=False)

    due_soon = waiting.filter(deadline__gte=today, deadline__lte=remind_until)
    for suggestion in due_soon.exclude(reminded_for=F("deadline")):
        # Claim it first: of two sweeps running at once, one sends.
        if (
            not Suggestion.objects.filter(pk=suggestion.pk)
            .exclude(reminded_for=suggestion.deadline)
            .update(reminded_for=suggestion.deadline)
        ):
            continue
        days_left = calendar.count_workdays(today, suggestion.deadline)
        _send(
            suggestion,
            f"代表建议即将到期：{suggestion.title}",
            f"办理期限 {suggestion.deadline:%Y年%m月%d日}，还剩 {days_left} 个工作日，请按期答复领衔代表。",
            department_recipients(suggestion),
        )
        report.reminded += 1

    for suggestion in waiting.filter(deadline__lt=today).exclude(overdue_notified_for=F("deadline")):
        if (
            not Suggestion.objects.filter(pk=suggestion.pk)
            .exclude(overdue_notified_for=suggestion.deadline)
            .update(overdue_notified_for=suggestion.deadline)
        ):
            continue
        _send(
            suggestion,
            f"代表建议已超期：{suggestion.title}",
            f"办理期限 {suggestion.deadline:%Y年%m月%d日} 已过，尚未答复，请尽快办理。",
            sorted(set(department_recipients(suggestion)) | set(office_recipients())),
        )
        report.overdue += 1

    promises = SuggestionReply.objects.filter(
        category=ReplyCategory.B,
        promised_on__lt=today,
        followed_up_at__isnull=True,
        promise_notified_at__isnull=True,
        suggestion__state=SuggestionState.CLOSED,
    ).select_related("suggestion")
    for reply in promises:
        if not SuggestionReply.objects.filter(pk=reply.pk, promise_notified_at__isnull=True).update(
            promise_notified_at=timezone.now()
        ):
            continue
        _send(
            reply.suggestion,
            f"B类承诺已到期：{reply.suggestion.title}",
            f"第{reply.number}次答复承诺 {reply.promised_on:%Y年%m月%d日} 前解决，已到期，请跟踪落实情况。",
            sorted(set(department_recipients(reply.suggestion, lead_only=True)) | set(office_recipients())),
        )
        report.promises += 1
    return report


@task()
def sweep_task() -> dict:
    report = sweep()
    return {"reminded": report.reminded, "overdue": report.overdue, "promises": report.promises}
