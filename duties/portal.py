"""代表e站: the deputy's own portal, phone-first, on the public site (not the admin).

A deputy signs in on the platform's sign-in page (the same lockout and two-factor rules as
staff: permissions.two_factor guards /e/ as it guards /admin/) and sees, on one page: their
stations, their reception duties (confirming attendance at past ones), the opinions they
received and where each stands, this year's points and how they were counted, and their
duty records; they report an activity (自报) and answer a return (重新提交, 撤回).

Every view acts only for the deputy linked to the signed-in account (duties.DeputyAccount);
an account without one gets a plain refusal. The home page costs a fixed number of queries
whatever the number of records, opinions or duties (tests/test_duty_portal.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from wagtail import hooks

from base.calendar import WorkdayCalendar
from base.ids import parse_id
from content.models import Deputy, Membership, ReceptionSchedule
from content.reception import occurrences_between
from duties.automatic import confirm_attendance
from duties.direct import raise_directly, rate
from duties.models import DutyAttendance, DutyItem, DutyRecord, DutyRecordPhoto, RecordState, TopicState
from duties.points import deputy_points
from duties.records import DUTY_RECORDS, PHOTO_HELP, Entry, RecordError, deputy_of, report_by_deputy
from duties.topics import my_topics
from workflows.models import Category, Department, Opinion, OpinionState, Rating
from workflows.process import Process, TransitionError
from workflows.public_views import MultipleFileField
from workflows.storage import private_file_response

PAST_DAYS = 45  # how far back unconfirmed duties are offered for confirmation
AHEAD_DAYS = 60
LISTED = 10


def deputy_required(view):
    """Signed in (else the sign-in page) and linked to a deputy (else 403)."""

    @login_required(login_url="wagtailadmin_login")
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        deputy = deputy_of(request.user)
        if deputy is None or not deputy.is_active:
            raise PermissionDenied("您的账号没有关联在任代表，不能使用代表e站。")
        return view(request, deputy, *args, **kwargs)

    return wrapper


@dataclass
class PortalSteps:
    """The transitions the signed-in person may take on one row from a portal page: a form
    for each (bound to the POST for the one posted as `action`)."""

    process: Process
    row: object
    action: str
    forms: dict

    @classmethod
    def of(cls, request, process: Process, row, exclude=()) -> PortalSteps:
        action = request.POST.get("action", "") if request.method == "POST" else ""
        names = [t.name for t in process.available(request.user, row) if t.name not in exclude]
        forms_by_name = {
            name: process.by_name[name].form_class(
                request.POST if action == name else None,
                process=process,
                transition=process.by_name[name],
                row=row,
                user=request.user,
            )
            for name in names
        }
        return cls(process, row, action, forms_by_name)

    def run(self, request):
        """Perform the posted step: the row as it is now, or None when refused (the reason on
        the step's form, or as a message when the step is not open to this person now)."""
        form = self.forms.get(self.action)
        if form is None:
            messages.error(request, f"该{self.process.noun}当前不能进行这一操作。")
            return None
        if not form.is_valid():
            return None
        try:
            return self.process.perform(
                self.row,
                self.action,
                user=request.user,
                expected_version=form.cleaned_data["version"],
                **form.perform_kwargs(),
            )
        except TransitionError as error:
            form.add_error(None, str(error))
            return None


def portal_links() -> list[tuple[str, str]]:
    """Buttons other apps add to the portal's home (`register_portal_links` hook: a function
    returning [(label, url)]), e.g. 代表建议."""
    return [link for register in hooks.get_hooks("register_portal_links") for link in register()]


def follow_ups(row) -> list[tuple[str, str]]:
    """What a deputy can go on to do with an opinion or a topic of theirs, offered by other
    apps (`portal_follow_ups` hook: a function of the row returning [(label, url)])."""
    return [link for offer in hooks.get_hooks("portal_follow_ups") for link in offer(row)]


def seated_at(deputy: Deputy):
    """The deputy's current memberships at live stations, with their stations."""
    return Membership.objects.current().filter(deputy=deputy, station__live=True).select_related("station")


def _duties(deputy: Deputy, today: dt.date):
    """(past duties still to confirm, upcoming duties) of the deputy's reception schedules."""
    schedules = list(
        ReceptionSchedule.objects.filter(duty_deputies=deputy, station__live=True).select_related("station")
    )
    start, end = today - dt.timedelta(days=PAST_DAYS), today + dt.timedelta(days=AHEAD_DAYS)
    workdays = WorkdayCalendar.load(start - dt.timedelta(days=40), end + dt.timedelta(days=40))
    found = occurrences_between(schedules, start, end, workdays)
    confirmed = set(
        DutyAttendance.objects.filter(deputy=deputy, date__gte=start, date__lte=today).values_list(
            "schedule_id", "date"
        )
    )
    past = [o for o in found if o.date <= today and (o.schedule.pk, o.date) not in confirmed]
    upcoming = [o for o in found if o.date > today][:6]
    return past, upcoming


@deputy_required
def home(request, deputy):
    today = timezone.localdate()
    memberships = list(seated_at(deputy).order_by("station__path"))
    past, upcoming = _duties(deputy, today)
    # Opinions the deputy received or forwarded, their own 直通车 items among them (one query).
    opinions = list(
        Opinion.objects.filter(received_by_deputy=deputy)
        .select_related("station", "department")
        .only(
            "receipt_no",
            "title",
            "state",
            "created_at",
            "originator_id",
            "reply_text",
            "version",
            "station__title",
            "department__name",
        )
        .order_by("-created_at")[:LISTED]
    )
    for opinion in opinions:
        opinion.follow_ups = follow_ups(opinion)
    points = deputy_points(today.year, deputy.pk)
    records = list(
        DutyRecord.objects.filter(participants__deputy=deputy)
        .select_related("item")
        .only("date", "state", "reason", "item__name")
        .order_by("-date", "-pk")[:LISTED]
    )
    return render(
        request,
        "duties/portal/home.html",
        {
            "deputy": deputy,
            "memberships": memberships,
            "to_confirm": past,
            "upcoming": upcoming,
            "opinions": opinions,
            "year": today.year,
            "points": points,
            "point_items": sorted(points.items.values(), key=lambda p: p.item.number) if points else [],
            "records": records,
            "ratings": Rating.choices,
            "replied": OpinionState.REPLIED,
            "topics": my_topics(deputy, LISTED),
            "portal_links": portal_links(),
            "topic_open": TopicState.OPEN,
            "today": today,
        },
    )


class ReportForm(forms.Form):
    """A self-report: one activity the deputy led or took part in."""

    item = forms.ModelChoiceField(label="履职事项", queryset=DutyItem.objects.none(), empty_label="请选择")
    date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    station = forms.ChoiceField(label="站点")
    text = forms.CharField(label="履职内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    others = forms.ModelMultipleChoiceField(
        label="一同参加的代表",
        queryset=Deputy.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="您为牵头人；与您同站的代表一同参加的，请勾选。",
    )
    photos = MultipleFileField(label="照片（可选）", required=False, help_text=PHOTO_HELP)

    def __init__(self, *args, deputy, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.deputy, self.stations = deputy, {str(m.station.pk): m.station for m in memberships}
        year = timezone.localdate().year
        self.fields["item"].queryset = DutyItem.objects.filter(
            scheme__year__in=(year - 1, year), self_reportable=True
        ).select_related("scheme")
        self.fields["item"].label_from_instance = lambda item: f"{item.scheme.year}年 · {item.name}"
        self.fields["station"].choices = [(pk, s.title) for pk, s in self.stations.items()]
        colleagues = Membership.objects.current().filter(station__in=self.stations.values()).values("deputy")
        self.fields["others"].queryset = (
            Deputy.objects.filter(pk__in=colleagues, is_active=True).exclude(pk=deputy.pk).order_by("name")
        )

    def entry(self) -> Entry:
        data = self.cleaned_data
        return Entry(
            data["item"],
            data["date"],
            self.stations[data["station"]],
            data["text"],
            self.deputy,
            data["others"],
            data.get("photos") or [],
        )


@deputy_required
@require_http_methods(["GET", "POST"])
def report(request, deputy):
    memberships = list(seated_at(deputy))
    if not memberships:
        messages.error(request, "您目前没有驻站，不能自报履职。")
        return redirect("duty_portal:home")
    form = ReportForm(request.POST or None, request.FILES or None, deputy=deputy, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        try:
            record = report_by_deputy(form.entry(), request.user)
        except RecordError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"已提交“{record.item.name}”，待街道人大工委核实。")
            return redirect("duty_portal:home")
    return render(request, "duties/portal/report.html", {"deputy": deputy, "form": form})


@deputy_required
@require_POST
def confirm(request, deputy):
    schedule = get_object_or_404(ReceptionSchedule, pk=parse_id(request.POST.get("schedule")) or 0)
    try:
        day = dt.date.fromisoformat(request.POST.get("date", ""))
    except ValueError:
        messages.error(request, "日期格式不正确。")
        return redirect("duty_portal:home")
    try:
        confirm_attendance(schedule, day, deputy, request.user)
    except RecordError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已确认 {day:%Y-%m-%d} 在“{schedule.station.title}”到岗接待。")
    return redirect("duty_portal:home")


class ResubmitForm(forms.Form):
    text = forms.CharField(label="修改后的履职内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))


@deputy_required
@require_http_methods(["GET", "POST"])
def record_detail(request, deputy, pk):
    """One of the deputy's records: its state, the return reason, and resubmit / withdraw."""
    record = get_object_or_404(
        DutyRecord.objects.filter(participants__deputy=deputy).select_related("item", "station"), pk=pk
    )
    form = ResubmitForm(request.POST or None, initial={"text": record.text})
    if request.method == "POST":
        action = request.POST.get("action")
        data = {}
        if action == "resubmit":
            if not form.is_valid():
                return render(request, "duties/portal/record.html", {"record": record, "form": form})
            data["text"] = form.cleaned_data["text"]
        version = request.POST.get("version", "")
        expected = int(version) if version.isascii() and version.isdigit() and len(version) < 10 else None
        try:
            DUTY_RECORDS.perform(record, action or "", user=request.user, expected_version=expected, **data)
        except TransitionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "已重新提交，待核实。" if action == "resubmit" else "已撤回。")
            return redirect("duty_portal:home")
        return redirect("duty_portal:record", pk=record.pk)
    actions = {t.name for t in DUTY_RECORDS.available(request.user, record)}
    return render(
        request,
        "duties/portal/record.html",
        {
            "record": record,
            "form": form,
            "actions": actions,
            "pending": record.state == RecordState.PENDING,
            "photos": list(record.photos.all()),
        },
    )


@deputy_required
def record_photo(request, deputy, pk):
    """A photo of one of the deputy's own records."""
    photo = get_object_or_404(DutyRecordPhoto.objects.filter(record__participants__deputy=deputy), pk=pk)
    return private_file_response(photo.file)


# --- 直通车 ------------------------------------------------------------------------------------


class DirectForm(forms.Form):
    """A deputy's issue for one department (直通车)."""

    station = forms.ChoiceField(label="站点", help_text="事项所在的站点（您驻站的站点）。")
    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.none(), empty_label="请选择")
    department = forms.ModelChoiceField(label="承办单位", queryset=Department.objects.none(), empty_label="请选择")
    title = forms.CharField(label="标题", max_length=60)
    content = forms.CharField(label="事项内容", max_length=2000, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, memberships, **kwargs):
        super().__init__(*args, **kwargs)
        self.stations = {str(m.station.pk): m.station for m in memberships}
        self.fields["station"].choices = [(pk, station.title) for pk, station in self.stations.items()]
        self.fields["category"].queryset = Category.objects.all()
        self.fields["department"].queryset = Department.objects.filter(is_active=True).order_by("name")


@deputy_required
@require_http_methods(["GET", "POST"])
def direct(request, deputy):
    memberships = list(seated_at(deputy))
    if not memberships:
        messages.error(request, "您目前没有驻站，不能使用直通车。")
        return redirect("duty_portal:home")
    form = DirectForm(request.POST or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opinion = raise_directly(
                deputy,
                request.user,
                station=form.stations[data["station"]],
                category=data["category"],
                department=data["department"],
                title=data["title"],
                content=data["content"],
            )
        except RecordError as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                f"已直接交办{opinion.department.name}（编号 {opinion.receipt_no}），"
                f"办理期限 {opinion.deadline:%Y-%m-%d}。答复后可在此评价。",
            )
            return redirect("duty_portal:home")
    return render(request, "duties/portal/direct.html", {"deputy": deputy, "form": form})


@deputy_required
@require_POST
def rate_direct(request, deputy, pk):
    opinion = get_object_or_404(Opinion, pk=pk, originator=deputy)
    try:
        rate(opinion, deputy, request.POST.get("rating", ""))
    except RecordError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已评价 {opinion.receipt_no}，谢谢。")
    return redirect("duty_portal:home")
