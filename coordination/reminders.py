"""The street tasks' daily sweep (`python manage.py sweep_street_tasks`, or the background task
`sweep_task`): each street still owing its result is reminded once, a few working days
before its deadline, and told once when the deadline has passed. Both are the process's
催办 step taken by the system (`STREET_TASKS.perform(..., capacity=SYSTEM)`), so they count,
are audited and show in the row's timeline like the district's own reminders.

Each reminder is claimed on its row first (an UPDATE only one of two sweeps running at once
can make), so a second run on the same day sends nothing twice; a deadline moved later is
reminded of anew.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django_tasks import task

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from base.calendar import WorkdayCalendar
from coordination.models import OPEN_STATES, StreetTask
from coordination.street_tasks import STREET_TASKS
from workflows.process import SYSTEM, TransitionError


@dataclass
class SweepReport:
    reminded: int = 0
    overdue: int = 0


def reminder_workdays() -> int:
    return getattr(settings, "LIANLUO_STREET_TASK_REMINDER_WORKDAYS", 3)


def _remind(row: StreetTask, claim: str) -> bool:
    """Claim the row's current deadline under `claim`, then remind; False if already done."""
    claimed = StreetTask.objects.filter(pk=row.pk).exclude(**{claim: row.due_on}).update(**{claim: row.due_on})
    if not claimed:
        return False
    try:
        STREET_TASKS.perform(row, "remind", capacity=SYSTEM)
    except TransitionError:  # moved on since it was read (accepted, submitted): nothing to remind
        return False
    return True


def sweep(today: dt.date | None = None) -> SweepReport:
    today = today or timezone.localdate()
    report = SweepReport()
    calendar = WorkdayCalendar.load(today, today + dt.timedelta(days=60))
    remind_until = calendar.add_workdays(today, reminder_workdays())
    owing = StreetTask.objects.filter(state__in=OPEN_STATES)
    for row in owing.filter(due_on__gte=today, due_on__lte=remind_until).exclude(auto_reminded_for=F("due_on")):
        report.reminded += _remind(row, "auto_reminded_for")
    for row in owing.filter(due_on__lt=today).exclude(overdue_notified_for=F("due_on")):
        report.overdue += _remind(row, "overdue_notified_for")
    return report


@task()
def sweep_task() -> dict:
    report = sweep()
    return {"reminded": report.reminded, "overdue": report.overdue}
