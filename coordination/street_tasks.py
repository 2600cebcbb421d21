"""Each street's part in a district task, as a process on the one mechanism (流程机制):

    已下达 ─接收（街道）─▶ 已接收 ─报送成果（街道）─▶ 已报送 ─确认办结（区）─▶ 已办结
                          ▲  报告进展（街道，状态不变）      │
                          └──────── 已退回 ◀─退回（区，写明理由）┘

While the street still owes its result (已下达, 已接收, 已退回) the district may remind it (催办,
an email to the street committee's members) and move its deadline (调整期限); past the
deadline the row is overdue (`STREET_TASK_DEADLINE`). The daily sweep (coordination.reminders)
takes the same 催办 step as SYSTEM, before the deadline and once after it.

The district's liaison office (区人大常委会代表工委) acts as DISTRICT on every row; a street
committee (街道人大工委) as STREET on its own street's rows only; the auditor reads everything
and holds no capacity.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from base.roles import Role, Roles, roles_of, street_committee_members, users_with_role
from content.scoping import committee_streets_q
from coordination.models import (
    OPEN_STATES,
    STREET_TASK_DEADLINE,
    CoordinationAction,
    ReportKind,
    StreetTask,
    StreetTaskState,
    Task,
    TaskAttachment,
    TaskReport,
)
from workflows.attachments import clean_attachment
from workflows.intake import IntakeError
from workflows.notifications import send_notification
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    SYSTEM,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

S = StreetTaskState
DISTRICT, STREET = "district", "street"
MAX_ATTACHMENTS = 5


class TaskError(TransitionError):
    """Refused, with the reason in Chinese; nothing stored."""


def street_task_capacities(roles: Roles) -> dict[str, Q]:
    return {DISTRICT: Q() if roles.is_district_admin else NOTHING, STREET: committee_streets_q(roles)}


# --- Notifications ----------------------------------------------------------------------------------


def _emails(users) -> list[str]:
    return sorted(set(users.exclude(email="").values_list("email", flat=True)))


def _link(row: StreetTask) -> str:
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('coordination_street_tasks:inspect', args=[row.pk])}"


def _send(row: StreetTask, subject: str, lines: list[str], recipients: list[str]) -> None:
    if recipients:
        body = "\n".join([*lines, "", f"办理页面：{_link(row)}"])
        send_notification.enqueue(row.pk, f"【联络】{subject}", body, recipients)


def _to_street(row: StreetTask) -> list[str]:
    return _emails(street_committee_members(row.street))


def issued(row: StreetTask) -> None:
    _send(
        row,
        f"区街联动任务：{row.task.title}",
        [f"区人大常委会代表工委向{row.street.name}下达了任务，请接收，并于 {row.due_on:%Y年%m月%d日} 前报送成果。"],
        _to_street(row),
    )


def returned(row: StreetTask) -> None:
    _send(
        row,
        f"成果被退回：{row.task.title}",
        [f"报送的成果已被退回，理由：{row.return_reason}", f"请修改后于 {row.due_on:%Y年%m月%d日} 前重新报送。"],
        _to_street(row),
    )


def submitted(row: StreetTask) -> None:
    _send(
        row,
        f"成果待确认：{row.task.title}",
        [f"{row.street.name}已报送成果，请确认办结或退回。"],
        _emails(users_with_role(Role.DISTRICT_ADMIN)),
    )


def reminded(row: StreetTask) -> None:
    """催办 by the district, or the daily sweep's reminder before the deadline and notice after it."""
    late = "已超过" if row.is_overdue else "即将到达"
    if getattr(row, "reminded_by_system", False):
        who, subject = "系统提醒", "已超期" if row.is_overdue else "即将到期"
    else:
        who, subject = "区人大常委会代表工委催办", "催办"
    _send(
        row,
        f"{subject}：{row.task.title}",
        [
            f"{who}：{row.street.name}承担的任务“{row.task.title}”{late}完成期限"
            f"（{row.due_on:%Y年%m月%d日}），目前状态为“{row.get_state_display()}”，请抓紧办理并报送成果。"
        ],
        _to_street(row),
    )


# --- Reports and their attachments ------------------------------------------------------------------


def _clean_files(uploads) -> list:
    uploads = [upload for upload in (uploads or []) if upload]
    if len(uploads) > MAX_ATTACHMENTS:
        raise TaskError(f"每次最多上传 {MAX_ATTACHMENTS} 个附件。")
    cleaned = []
    for upload in uploads:
        try:
            cleaned.append((upload.name, clean_attachment(upload, office=True)))
        except IntakeError as error:
            raise TaskError(str(error)) from None
    return cleaned


def _report(row: StreetTask, kind: str, text: str, attachments, user) -> TaskReport:
    """Store a report with its files (inside the transition's transaction), after checking all of it."""
    empty = "请填写成果内容。" if kind == ReportKind.RESULT else "请填写进展情况。"
    text = required(text, empty)
    files = _clean_files(attachments)
    report = TaskReport.objects.create(street_task=row, kind=kind, text=text, reported_by=user)
    for original, content in files:
        attachment = TaskAttachment(report=report, original_name=original[:200])
        attachment.file.save(content.name, content, save=False)
        attachment.save()
    return report


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    """Several files in one field; each is checked by `_clean_files` when the report is stored."""

    widget = MultipleFileInput(attrs={"accept": ".pdf,.docx,.xlsx,image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(f"每次最多上传 {MAX_ATTACHMENTS} 个附件。")
        return [super(AttachmentsField, self).clean(item, initial) for item in files]


class ReportForm(TransitionForm):
    text = forms.CharField(label="进展情况", max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    attachments = AttachmentsField(
        label="附件（可选）",
        required=False,
        help_text=f"最多 {MAX_ATTACHMENTS} 个，每个不超过 10 MB：PDF、Word（.docx）、Excel（.xlsx）或图片。",
    )


class ResultForm(ReportForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["text"].label = "成果内容"


def _progress(row, *, user, text="", attachments=None, **_):
    report = _report(row, ReportKind.PROGRESS, text, attachments, user)
    return {"report": report.pk, "attachments": report.attachments.count()}


def _result(row, *, user, text="", attachments=None, **_):
    report = _report(row, ReportKind.RESULT, text, attachments, user)
    row.submitted_at = timezone.now()
    return {"report": report.pk, "attachments": report.attachments.count()}


def _accept(row, **_):
    row.accepted_at = timezone.now()


class ReturnForm(TransitionForm):
    reason = forms.CharField(label="退回理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def _return(row, *, reason="", **_):
    row.return_reason = required(reason, "请写明退回的理由。")
    row.submitted_at = None
    return {"reason": row.return_reason}


def _complete(row, **_):
    row.completed_at = timezone.now()


class RemindForm(TransitionForm):
    note = forms.CharField(label="催办说明（可选）", max_length=500, required=False)


def _remind(row, *, held=(), **_):
    row.reminded_by_system = SYSTEM in held  # the daily sweep (coordination.reminders)
    row.reminded_at = timezone.now()
    row.reminder_count += 1
    return {"reminder": row.reminder_count}


class DeadlineForm(TransitionForm):
    due_on = forms.DateField(label="新的完成期限", widget=forms.DateInput(attrs={"type": "date"}))

    def initial_for(self, row):
        return {"due_on": row.due_on}


def _change_deadline(row, *, due_on=None, today=None, **_):
    today = today or timezone.localdate()
    if due_on is None:
        raise TaskError("请填写新的完成期限。")
    if due_on < today:
        raise TaskError("完成期限不能早于今天。")
    if due_on == row.due_on:
        raise TaskError("新的完成期限与原期限相同。")
    before, row.due_on = row.due_on, due_on
    return {"from": before.isoformat(), "to": due_on.isoformat()}


def _overdue() -> Q:
    return STREET_TASK_DEADLINE.overdue_q()


STREET_TASKS = Process(
    model=StreetTask,
    noun="街道任务",
    capacities_of=street_task_capacities,
    transition_action=CoordinationAction.STREET_TASK,
    created_action=CoordinationAction.ISSUED,
    created_summary="下达",
    on_created=issued,
    lock_related=("task", "street"),
    transitions=[
        Transition(
            "accept",
            "接收任务",
            (S.ISSUED,),
            S.ACCEPTED,
            (STREET,),
            _accept,
            todos=(Todo("to_accept", "待接收"),),
        ),
        Transition(
            "report_progress", "报告进展", (S.ACCEPTED, S.RETURNED), None, (STREET,), _progress, ReportForm, kind=SIDE
        ),
        Transition(
            "submit_result",
            "报送成果",
            (S.ACCEPTED, S.RETURNED),
            S.SUBMITTED,
            (STREET,),
            _result,
            ResultForm,
            todos=(Todo("to_submit", "待报送成果"),),
            notify=submitted,
        ),
        Transition(
            "complete",
            "确认办结",
            (S.SUBMITTED,),
            S.COMPLETED,
            (DISTRICT,),
            _complete,
            todos=(Todo("to_confirm", "待确认的成果"),),
        ),
        Transition(
            "return_result",
            "退回成果",
            (S.SUBMITTED,),
            S.RETURNED,
            (DISTRICT,),
            _return,
            ReturnForm,
            kind=REFUSAL,
            notify=returned,
        ),
        Transition(
            "remind", "催办", OPEN_STATES, None, (DISTRICT, SYSTEM), _remind, RemindForm, notify=reminded, kind=SIDE
        ),
        Transition(
            "change_deadline", "调整期限", OPEN_STATES, None, (DISTRICT,), _change_deadline, DeadlineForm, kind=SIDE
        ),
    ],
    todos=(Todo("overdue", "已超期", when=_overdue, capacities=(DISTRICT, STREET), query="overdue=true"),),
)


# --- Issuing a task to streets -------------------------------------------------------------------------


def issue(task: Task, streets, *, user) -> list[StreetTask]:
    """Give the task to each of `streets` not yet holding it (the district's liaison office only):
    one StreetTask each, with the task's deadline, one audit record and an email to the street."""
    if not roles_of(user).is_district_admin:
        raise TaskError("只有区人大常委会代表工委能下达区街联动任务。")
    held = set(task.street_tasks.values_list("street_id", flat=True))
    rows = []
    with transaction.atomic():
        for street in streets:
            if street.pk in held:
                continue
            row = StreetTask.objects.create(task=task, street=street, due_on=task.due_on)
            STREET_TASKS.created(row, user=user, task=task.title, street=street.name)
            rows.append(row)
    return rows


def follow_deadline(task: Task, before, *, user) -> int:
    """The task's deadline moved from `before`: each street still owing its result on that
    deadline gets the new one (调整期限, audited); a deadline set for one street stays."""
    moved = 0
    for row in task.street_tasks.filter(state__in=OPEN_STATES, due_on=before):
        STREET_TASKS.perform(row, "change_deadline", user=user, due_on=task.due_on)
        moved += 1
    return moved
