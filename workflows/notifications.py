"""Emails to the people who must act next, sent as background tasks after the commit.

Which backend sends them is a setting: the console in development, SMTP in production
(EMAIL_HOST…), an in-memory outbox in tests. Messages never contain the citizen's name or
phone number: staff open the opinion in the admin to see (masked) contact details.

Each transition of the loop names its notification in `workflows.opinions`; the sweep
sends the reminders and overdue notices at the end of this module.
"""

from __future__ import annotations

from django_tasks import task

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from base.roles import Role, department_handlers, street_committee_members, users_with_role
from content.models import StationPage
from workflows.models import Opinion, OpinionState, SupervisionCase

S = OpinionState


def _admin_url(opinion: Opinion) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('opinions:inspect', args=[opinion.pk])}"


def _emails(users) -> set[str]:
    return set(users.exclude(email="").values_list("email", flat=True))


def station_recipients(opinion: Opinion) -> list[str]:
    """Staff of the opinion's station (and of stations above it) and its street committee."""
    stations = StationPage.objects.ancestor_of(opinion.station, inclusive=True).values("pk")
    emails = _emails(get_user_model().objects.filter(is_active=True, station_assignments__station__in=stations))
    if opinion.street_id:
        emails |= _emails(street_committee_members(opinion.street))
    return sorted(emails)


def department_recipients(opinion: Opinion) -> list[str]:
    if opinion.department_id is None:
        return []
    department = opinion.department
    emails = _emails(department_handlers(department))
    if department.email:
        emails.add(department.email)
    return sorted(emails)


@task()
def send_notification(object_id: int, subject: str, body: str, recipients: list[str]) -> int:
    """One email, in the background; `object_id` names the row it is about (in the task list)."""
    if not recipients:
        return 0
    return send_mail(subject, body, None, recipients)


def _send(opinion: Opinion, subject: str, lines: list[str], recipients: list[str]) -> None:
    if not recipients:
        return
    body = "\n".join([*lines, "", f"回执编号：{opinion.receipt_no}", f"办理页面：{_admin_url(opinion)}"])
    send_notification.enqueue(opinion.pk, f"【联络】{subject}", body, recipients)


def submitted(opinion: Opinion) -> None:
    _send(
        opinion,
        f"新意见待受理：{opinion.title}",
        [f"{opinion.station.title} 收到一条群众意见（{opinion.get_channel_display()}），请及时受理。"],
        station_recipients(opinion),
    )


def assigned(opinion: Opinion) -> None:
    _send(
        opinion,
        f"交办：{opinion.title}",
        [f"请签收并于 {opinion.deadline:%Y年%m月%d日} 前答复（工作日计）。"],
        department_recipients(opinion),
    )


def escalated(opinion: Opinion) -> None:
    _send(
        opinion,
        f"上报：{opinion.title}",
        [f"一条意见已上报至 {opinion.station.title}，请受理。"],
        station_recipients(opinion),
    )


def replied(opinion: Opinion) -> None:
    _send(
        opinion,
        f"已答复：{opinion.title}",
        ["承办单位已答复，请联系群众回访或等待群众评价。"],
        station_recipients(opinion),
    )


def rated(opinion: Opinion) -> None:
    """Only an unsatisfied rating needs someone: the item is back for another round."""
    if opinion.state != S.REOPENED:
        return
    _send(
        opinion,
        f"群众不满意，重办：{opinion.title}",
        [f"群众对答复不满意，已进入第 {opinion.round} 轮办理并列入督办，请重新交办。"],
        station_recipients(opinion),
    )


def publication_requested(opinion: Opinion) -> None:
    editors = _emails(users_with_role(Role.EDITOR))
    _send(
        opinion,
        f"待审核公开：{opinion.title}",
        ["一条办理结果申请公开（晾晒），请审核。"],
        sorted(editors | set(station_recipients(opinion))),
    )


def supervised(opinion: Opinion) -> None:
    """督办 goes to whoever must act next: the department while it holds the item, otherwise
    the station staff and street committee (nobody has been assigned yet, or the item was
    sent back for another round and waits to be assigned again, or it waits for a rating)."""
    latest = opinion.supervision_cases.order_by("-pk").first()
    if latest is not None and latest.reason == SupervisionCase.Reason.OVERDUE:
        return  # the sweep's own overdue notice (notify_overdue) tells everyone concerned
    if opinion.department_id and opinion.state in (S.ASSIGNED, S.SIGNED):
        lines, recipients = ["此件已列为重点督办，请抓紧办理。"], department_recipients(opinion)
    else:
        next_step = {
            S.SUBMITTED: "受理并交办",
            S.ACCEPTED: "交办",
            S.REOPENED: "重新交办",
        }.get(opinion.state, "回访并办结")
        lines, recipients = [f"此件已列为重点督办，请抓紧{next_step}。"], station_recipients(opinion)
    _send(opinion, f"督办：{opinion.title}", lines, recipients)


def remind_deadline(opinion: Opinion, days_left: int) -> None:
    _send(
        opinion,
        f"即将到期：{opinion.title}",
        [f"答复期限 {opinion.deadline:%Y年%m月%d日}，还剩 {days_left} 个工作日。"],
        department_recipients(opinion),
    )


def notify_overdue(opinion: Opinion) -> None:
    _send(
        opinion,
        f"已超期：{opinion.title}",
        [f"答复期限 {opinion.deadline:%Y年%m月%d日} 已过，请尽快答复。"],
        sorted(set(department_recipients(opinion)) | set(station_recipients(opinion))),
    )
