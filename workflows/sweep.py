"""The daily sweep: reminders before deadlines, overdue flags (each overdue item becomes a
key item with an overdue supervision case, 超期督办), closing unrated replies, and the
overdue roll-up by street and district.

Run it from cron or a scheduler (`python manage.py sweep_opinions`) or enqueue the
`sweep_task` background task; running it twice on the same day, or two runs at once, sends
nothing twice: each reminder is claimed on its row before it is sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django_tasks import task

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from base.calendar import WorkdayCalendar
from workflows import notifications, opinions
from workflows.models import OPINION_DEADLINE, Opinion, OpinionState, SupervisionCase

S = OpinionState


@dataclass
class SweepReport:
    reminded: int = 0
    overdue_flagged: int = 0
    closed_unrated: int = 0
    overdue_by_street: dict[str, int] = field(default_factory=dict)

    @property
    def overdue_total(self) -> int:
        return sum(self.overdue_by_street.values())


def reminder_workdays() -> int:
    return getattr(settings, "LIANLUO_REMINDER_WORKDAYS", 2)


def overdue_note(deadline: dt.date) -> str:
    """The note on the 超期督办 case the sweep opens the day after a missed deadline."""
    return f"答复期限 {deadline:%Y年%m月%d日} 已过"


def sweep(today: dt.date | None = None) -> SweepReport:
    today = today or timezone.localdate()
    report = SweepReport()
    calendar = WorkdayCalendar.load(today, today + dt.timedelta(days=30))
    remind_until = calendar.add_workdays(today, reminder_workdays())
    start_of_day = timezone.make_aware(dt.datetime.combine(today, dt.time.min))

    due_soon = Opinion.objects.filter(OPINION_DEADLINE.due_q(today, remind_until)).exclude(
        reminded_at__gte=start_of_day
    )
    for opinion in due_soon.select_related("department", "station", "street"):
        # Claim the reminder before sending it: of two sweeps running at once, one sends.
        claimed = (
            Opinion.objects.filter(pk=opinion.pk)
            .exclude(reminded_at__gte=start_of_day)
            .update(reminded_at=timezone.now())
        )
        if not claimed:
            continue
        notifications.remind_deadline(opinion, calendar.count_workdays(today, opinion.deadline))
        report.reminded += 1

    overdue = Opinion.objects.filter(OPINION_DEADLINE.overdue_q(today), overdue_notified_at__isnull=True)
    for opinion in overdue.select_related("department", "station", "street"):
        claimed = Opinion.objects.filter(pk=opinion.pk, overdue_notified_at__isnull=True).update(
            overdue_notified_at=timezone.now()
        )
        if not claimed:
            continue
        try:  # 超期督办: the item becomes a key item with an overdue supervision case
            opinions.perform(
                opinion.pk,
                "supervise",
                capacity=opinions.SYSTEM,
                reason=SupervisionCase.Reason.OVERDUE,
                note=overdue_note(opinion.deadline),
            )
        except opinions.TransitionError:
            pass  # answered or moved meanwhile: the notice below still reports the lateness
        notifications.notify_overdue(opinion)
        report.overdue_flagged += 1

    wait = dt.timedelta(days=opinions.rating_wait_days())
    cutoff = timezone.make_aware(dt.datetime.combine(today - wait, dt.time.max))
    for pk in Opinion.objects.filter(state=S.REPLIED, replied_at__lte=cutoff).values_list("pk", flat=True):
        try:
            opinions.perform(pk, "close", capacity=opinions.SYSTEM, today=today)
            report.closed_unrated += 1
        except opinions.TransitionError:
            continue  # someone rated or closed it meanwhile

    rows = (
        Opinion.objects.filter(OPINION_DEADLINE.overdue_q(today))
        .values("street__name")
        .annotate(count=Count("pk"))
        .order_by("street__name")
    )
    report.overdue_by_street = {row["street__name"] or "区级": row["count"] for row in rows}
    return report


@task()
def sweep_task() -> dict:
    report = sweep()
    return {
        "reminded": report.reminded,
        "overdue_flagged": report.overdue_flagged,
        "closed_unrated": report.closed_unrated,
        "overdue_total": report.overdue_total,
    }
