"""The station staff request (站点工作人员申请), declared on `workflows.process`.

    待审批 pending ──同意（选择账号，分配到站点）──▶ 已同意 approved
         │ └────────不同意（说明理由）────────▶ 未同意 declined
         └──────────撤回（申请站点）───────────▶ 已撤回 withdrawn

A station's staff file the request for their station; its street committee or the district
admin decides. Approving assigns the chosen account to the station (a StationAssignment,
whose signal brings the station's staff group up to date), in the same transaction.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from base.roles import Roles, street_committee_members
from content.scoping import staffed_stations_for, streets_for
from permissions.models import (
    StaffRequest,
    StaffRequestAction,
    StaffRequestState,
    StationAssignment,
    assignable_accounts,
)
from workflows.notifications import send_notification
from workflows.process import (
    NOTHING,
    REFUSAL,
    SIDE,
    Process,
    Todo,
    Transition,
    TransitionError,
    TransitionForm,
    required,
)

S = StaffRequestState
REQUESTER = "requester"  # staff of the request's station
COMMITTEE = "committee"  # the street committee of its street, or the district admin


def request_capacities(roles: Roles) -> dict[str, Q]:
    """On which requests a person holds each capacity. District roles never ask: the district
    admin decides everywhere, editors and auditors only read."""
    if roles.district_wide:
        return {REQUESTER: NOTHING, COMMITTEE: Q() if roles.is_district_admin else NOTHING}
    return {
        REQUESTER: Q(station__in=staffed_stations_for(roles).values("pk")),
        COMMITTEE: Q(street__in=streets_for(roles).values("pk")),
    }


@transaction.atomic
def file_request(request: StaffRequest, requester) -> StaffRequest:
    """Store a new request filed by `requester` for their station, with its audit record."""
    request.requested_by = requester
    request.save()
    STAFF_REQUESTS.created(request, user=requester, station=request.station.title)
    return request


# --- Forms and effects ------------------------------------------------------------------------


class ApproveForm(TransitionForm):
    account = forms.ModelChoiceField(
        label="分配的账号",
        queryset=get_user_model().objects.none(),
        help_text="拟分配人员的账号（须已有“站点工作人员”角色）。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = assignable_accounts(self.user).order_by("username")


class DeclineForm(TransitionForm):
    note = forms.CharField(label="不同意的理由", max_length=200)


def _approve(request, *, user=None, account=None, note="", **_):
    account = required(account, "请选择分配的账号。")
    if user is not None and not assignable_accounts(user).filter(pk=account.pk).exists():
        raise TransitionError(f"{account} 不是可分配的站点工作人员账号（须有“站点工作人员”角色，且未在其他街道任职）。")
    if StationAssignment.objects.filter(user=account, station=request.station).exists():
        raise TransitionError(f"{account} 已是该站点的工作人员。")
    assignment = StationAssignment(user=account, station=request.station, note=f"{request.post}（申请 #{request.pk}）")
    try:
        assignment.full_clean()
    except ValidationError as error:
        raise TransitionError(" ".join(error.messages)) from None
    assignment.save()
    request.assignment, request.decided_at, request.decision_note = assignment, timezone.now(), note[:200]
    return {"assigned": account.get_username()}


def _decline(request, *, note="", **_):
    request.decision_note = required(note, "请说明不同意的理由。")[:200]
    request.decided_at = timezone.now()


# --- Who is told ------------------------------------------------------------------------------


def _tell(request: StaffRequest, subject: str, line: str, users) -> None:
    recipients = sorted(set(users.exclude(email="").values_list("email", flat=True)))
    if recipients:
        base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
        url = base + reverse("station_staff_requests:inspect", args=[request.pk])
        send_notification.enqueue(request.pk, f"【联络】{subject}", f"{line}\n\n申请页面：{url}", recipients)


def _filed(request: StaffRequest) -> None:
    if request.street_id:
        line = f"{request.station.title} 申请分配{request.post}：{request.person_name}。请审批。"
        _tell(request, f"站点工作人员申请：{request.station.title}", line, street_committee_members(request.street))


def _decided(request: StaffRequest) -> None:
    requester = get_user_model().objects.filter(pk=request.requested_by_id, is_active=True)
    outcome = request.get_state_display()
    line = f"申请分配{request.post} {request.person_name}：{outcome}。{request.decision_note}"
    _tell(request, f"站点工作人员申请{outcome}：{request.station.title}", line, requester)


STAFF_REQUESTS = Process(
    model=StaffRequest,
    noun="申请",
    capacities_of=request_capacities,
    transition_action=StaffRequestAction.TRANSITION,
    created_action=StaffRequestAction.SUBMITTED,
    on_created=_filed,
    lock_related=("station",),
    transitions=[
        Transition(
            "approve",
            "同意",
            (S.PENDING,),
            S.APPROVED,
            (COMMITTEE,),
            _approve,
            ApproveForm,
            todos=(Todo("to_decide", "待审批", state=S.PENDING),),
            notify=_decided,
        ),
        Transition(
            "decline",
            "不同意",
            (S.PENDING,),
            S.DECLINED,
            (COMMITTEE,),
            _decline,
            DeclineForm,
            notify=_decided,
            kind=REFUSAL,
        ),
        Transition("withdraw", "撤回", (S.PENDING,), S.WITHDRAWN, (REQUESTER,), kind=SIDE),
    ],
)
