"""交办: the liaison office assigns a filed suggestion to one lead department (主办) and any
co-handling ones (协办), with a statutory deadline; each department signs for it (签收) or
asks to be taken off it (申请调整), which the office grants or refuses.

    已立案 filed ──交办（主办一个、协办若干、期限）──▶ 已交办 assigned ──增加承办单位──▶ 已交办

    each department:  待签收 ──签收──▶ 已签收
                         └──申请调整（理由）──▶ 申请调整 ──同意调整──▶ 已调整出（另行交办）
                                                   └──不同意调整──▶ 待签收

The deadline is the assignment date plus the statutory months (LIANLUO_SUGGESTION_DEADLINE_MONTHS,
default 3; the office may give up to LIANLUO_SUGGESTION_MAX_MONTHS, 6), moved to the next
working day when it falls on a weekend or holiday (base.calendar). One lead department at a
time is kept by a database constraint as well as by the checks here.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from base.calendar import WorkdayCalendar, add_months
from base.roles import Roles
from suggestions.drafting import OFFICE, SUGGESTIONS, SuggestionError
from suggestions.models import (
    AssignmentRole,
    AssignmentState,
    SuggestionAction,
    SuggestionAssignment,
    SuggestionState,
)
from workflows.models import Department
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    Process,
    Todo,
    Transition,
    TransitionForm,
    required,
)

A = AssignmentState
HANDLER = "handler"  # a handler of the assignment's department


def deadline_months() -> tuple[int, int]:
    """(the statutory default, the longest the office may give), in months."""
    return (
        getattr(settings, "LIANLUO_SUGGESTION_DEADLINE_MONTHS", 3),
        getattr(settings, "LIANLUO_SUGGESTION_MAX_MONTHS", 6),
    )


def statutory_deadline(start: dt.date, months: int) -> dt.date:
    """`months` after `start`, on the next working day if that day is not one."""
    due = add_months(start, months)
    return WorkdayCalendar.load(due, due + dt.timedelta(days=30)).next_workday(due)


def assignment_capacities(roles: Roles) -> dict[str, Q]:
    return {
        HANDLER: Q(department__in=Department.objects.handled_by(roles).values("pk")),
        OFFICE: Q() if roles.is_district_admin else NOTHING,
    }


def _add(suggestion, department: Department, role: str) -> SuggestionAssignment:
    if not department.is_active:
        raise SuggestionError(f"{department.name}已停用，不能交办。")
    active = suggestion.assignments.exclude(state=A.RELEASED)
    if active.filter(department=department).exists():
        raise SuggestionError(f"{department.name}已在承办这件建议。")
    if role == AssignmentRole.LEAD and active.filter(role=AssignmentRole.LEAD).exists():
        raise SuggestionError("这件建议已有主办单位，主办单位只能有一个。")
    try:
        with transaction.atomic():
            row = SuggestionAssignment(suggestion=suggestion, department=department, role=role)
            row._change_reason = "交办"
            row.save()
    except IntegrityError:  # another lead or the same department added meanwhile
        raise SuggestionError("这件建议已有主办单位，或该单位已在承办。") from None
    return row


# --- Transitions of the suggestion ---------------------------------------------------------------


class AssignForm(TransitionForm):
    lead = forms.ModelChoiceField(
        label="主办单位", queryset=Department.objects.filter(is_active=True).order_by("name"), empty_label="请选择"
    )
    co = forms.ModelMultipleChoiceField(
        label="协办单位",
        queryset=Department.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    months = forms.IntegerField(label="办理期限（月）", min_value=1)

    def initial_for(self, row) -> dict:
        return {"months": deadline_months()[0]}


def _assign(suggestion, *, lead=None, co=(), months=None, today=None, **_):
    lead = required(lead, "请选择主办单位。")
    default, longest = deadline_months()
    months = int(months or default)
    if not 1 <= months <= longest:
        raise SuggestionError(f"办理期限须在 1 到 {longest} 个月之间。")
    if lead in list(co):
        raise SuggestionError(f"{lead.name}已是主办单位，不能同时协办。")
    _add(suggestion, lead, AssignmentRole.LEAD)
    for department in co:
        _add(suggestion, department, AssignmentRole.CO)
    start = today or timezone.localdate()
    suggestion.assigned_at = timezone.now()
    suggestion.deadline = statutory_deadline(start, months)
    return {
        "lead": lead.name,
        "co": [d.name for d in co],
        "months": months,
        "deadline": suggestion.deadline.isoformat(),
    }


class AddDepartmentForm(TransitionForm):
    department = forms.ModelChoiceField(
        label="承办单位", queryset=Department.objects.filter(is_active=True).order_by("name"), empty_label="请选择"
    )
    role = forms.ChoiceField(label="承办方式", choices=AssignmentRole.choices)


def _add_department(suggestion, *, department=None, role="", **_):
    department = required(department, "请选择承办单位。")
    if role not in AssignmentRole.values:
        raise SuggestionError("请选择主办或协办。")
    _add(suggestion, department, role)
    return {"department": department.name, "role": role}


SUGGESTIONS.extend(
    Transition(
        "assign",
        "交办",
        (SuggestionState.FILED,),
        SuggestionState.ASSIGNED,
        (OFFICE,),
        _assign,
        AssignForm,
        todos=(Todo("to_assign", "待交办的代表建议"),),
    ),
    Transition(
        "add_department",
        "增加承办单位",
        (SuggestionState.ASSIGNED,),
        None,
        (OFFICE,),
        _add_department,
        AddDepartmentForm,
        kind=SIDE,
    ),
)


# --- Each department's part -------------------------------------------------------------------------


class ReasonForm(TransitionForm):
    note = forms.CharField(label="理由", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class DecisionForm(TransitionForm):
    note = forms.CharField(label="说明", max_length=300, required=False, widget=forms.Textarea(attrs={"rows": 2}))


def _sign(row, **_):
    row.signed_at = timezone.now()


def _request_adjust(row, *, note="", **_):
    row.reason = required(note, "请说明申请调整的理由。")[:300]


def _grant(row, *, note="", **_):
    if note:
        row.reason = f"{row.reason}（同意：{note}）"[:300]


def _refuse(row, *, note="", **_):
    row.reason = f"{row.reason}（不同意：{required(note, '请说明不同意调整的理由。')}）"[:300]


ASSIGNMENTS = Process(
    model=SuggestionAssignment,
    noun="承办",
    capacities_of=assignment_capacities,
    transition_action=SuggestionAction.ASSIGNMENT,
    lock_related=("suggestion", "department"),
    transitions=[
        Transition(
            "sign",
            "签收",
            (A.ASSIGNED,),
            A.SIGNED,
            (HANDLER,),
            _sign,
            todos=(Todo("to_sign", "待签收的代表建议"),),
        ),
        Transition(
            "request_adjust", "申请调整", (A.ASSIGNED,), A.ADJUST, (HANDLER,), _request_adjust, ReasonForm, kind=REFUSAL
        ),
        Transition(
            "grant_adjust",
            "同意调整",
            (A.ADJUST,),
            A.RELEASED,
            (OFFICE,),
            _grant,
            DecisionForm,
            todos=(Todo("to_decide", "待决定的调整申请"),),
        ),
        Transition(
            "refuse_adjust", "不同意调整", (A.ADJUST,), A.ASSIGNED, (OFFICE,), _refuse, ReasonForm, kind=REFUSAL
        ),
    ],
)
