"""民生实事 on the public site: the rounds (/livelihood/), each round's page with its phases,
the nominations and their answers, the candidates and the result, and the nomination form
(点菜) — from the round's page, or from a station's page (the station is kept).

The form takes the opinions' checks: the phone number's form, the limits per address and per
phone number (workflows.limits), a double submit giving back the first receipt, moderation
before anything is shown. The public pages never show a nominator's name or phone.
"""

from __future__ import annotations

from django import forms
from django.core import signing
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from wagtail import hooks

from base.ids import parse_id
from base.prepared import prepared
from content.models import StationPage
from livelihood import implementation
from livelihood.models import Candidate, Nomination, NominationSource, ProjectRound, RoundState
from livelihood.nominations import PUBLIC_STATES, NominationError, Proposal, nominate
from livelihood.results import PUBLISHED, result_of
from workflows.limits import SubmissionLimits, take_in
from workflows.public_views import IdempotentForm, MobilePhoneField, name_field

NOMINATION_LIMITS = SubmissionLimits(
    "livelihood-nominate", "LIANLUO_NOMINATION_RATE_IP", "10/h", "LIANLUO_NOMINATION_RATE_PHONE", "5/d"
)
RECEIPT_SALT = "lianluo.livelihood.nomination"
S = RoundState
PHASES = [
    ("nomination_opens", "征集开始", (S.NOMINATING,)),
    ("nomination_closes", "征集截止", (S.SCREENING,)),
    ("candidates_on", "公布候选项目", (S.CANDIDATES,)),
    ("ballot_on", "人代会票决", (S.BALLOTING, S.COUNTED)),
    ("results_on", "公布结果、组织实施", (S.IMPLEMENTING,)),
    ("evaluation_on", "年终满意度测评", (S.EVALUATING, S.CLOSED)),
]


class NominationForm(IdempotentForm):
    title = forms.CharField(
        label="项目名称",
        max_length=60,
        help_text="例如：东平巷老旧小区加装电梯。",
        error_messages={"required": "请填写项目名称。", "max_length": "项目名称不能超过 60 字。"},
    )
    need = forms.CharField(
        label="群众需求",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="为什么要办这件事、涉及多少居民，10 到 2000 字。",
        error_messages={"required": "请写明群众需求。", "max_length": "群众需求不能超过 2000 字。"},
    )
    place = forms.CharField(
        label="地点或范围",
        max_length=120,
        error_messages={"required": "请写明地点或范围。", "max_length": "地点不能超过 120 字。"},
    )
    scale = forms.CharField(
        label="大致规模（可选）", max_length=120, required=False, help_text="例如：3 个小区、约 200 万元。"
    )
    nominator_name = name_field()
    nominator_phone = MobilePhoneField(help_text="用于答复和联系您，不会公开。")


@hooks.register("construct_station_page_context")
def add_station_rounds(station, request, context):
    """Every station page offers the rounds collecting nominations there: the district's, and
    its street's."""
    context["livelihood_rounds"] = _nominating_rounds(station.street_id)


@prepared
def _nominating_rounds(street_id):
    """The rounds collecting nominations: the district's, and the street's (if any)."""
    rounds = Q(street__isnull=True) if street_id is None else Q(street__isnull=True) | Q(street_id=street_id)
    return ProjectRound.objects.filter(rounds, state=S.NOMINATING).order_by("street_id", "-year")


def _receipt(nomination: Nomination) -> str:
    return signing.Signer(salt=RECEIPT_SALT).sign_object(nomination.pk)


def _for_receipt(token: str, round: ProjectRound) -> Nomination | None:
    try:
        pk = signing.Signer(salt=RECEIPT_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError):
        return None
    return Nomination.objects.filter(pk=pk, round=round).first() if isinstance(pk, int) else None


def public_rounds():
    return ProjectRound.objects.exclude(state=S.DRAFT).select_related("street")


@require_GET
def index(request):
    rounds = list(public_rounds().order_by("-year", "street__name"))
    return render(request, "livelihood/public/index.html", {"rounds": rounds, "page_title": "民生实事项目"})


def phases(round: ProjectRound) -> list[dict]:
    return [
        {"label": label, "date": getattr(round, field), "current": round.state in states}
        for field, label, states in PHASES
    ]


@require_GET
def round_page(request, pk):
    round = get_object_or_404(public_rounds(), pk=pk)
    nominations = (
        Nomination.objects.filter(round=round, state__in=PUBLIC_STATES)
        .select_related("station", "deputy", "merged_into", "candidate")
        .order_by("-created_at", "-pk")
    )
    result = result_of(round) if round.state in PUBLISHED else None
    candidates = []
    if result is None and round.state not in (S.NOMINATING, S.SCREENING):
        candidates = list(Candidate.objects.filter(round=round).select_related("department"))
    received = _for_receipt(request.GET["received"], round) if request.GET.get("received") else None
    return render(
        request,
        "livelihood/public/round.html",
        {
            "round": round,
            "phases": phases(round),
            "nominations": nominations,
            "candidates": candidates,
            # The public page lists the candidates by votes (the admin and the portal by ballot order).
            "result": sorted(result.rows, key=lambda row: (-row.votes, row.candidate.number)) if result else None,
            "count": result.count if result else None,
            "threshold": result.threshold if result else None,
            "received": received,
            "page_title": round.title,
        },
    )


@require_http_methods(["GET", "POST"])
def nominate_page(request, pk):
    round = get_object_or_404(public_rounds(), pk=pk)
    station = None
    station_id = parse_id(request.GET.get("station") or request.POST.get("station"))
    if station_id is not None:
        station = StationPage.objects.live().filter(pk=station_id).first()
    url = reverse("livelihood_round", args=[round.pk])
    if round.state != S.NOMINATING:
        return redirect(url)
    form, status = NominationForm(), 200
    if request.method == "POST":
        form = NominationForm(request.POST)

        def store(data):
            return nominate(
                Proposal(
                    round=round,
                    title=data["title"],
                    need=data["need"],
                    place=data["place"],
                    scale=data["scale"],
                    nominator_name=data["nominator_name"],
                    nominator_phone=data["nominator_phone"],
                    idempotency_key=data["idempotency_key"],
                    station=station,
                    source=NominationSource.PUBLIC,
                )
            )

        response = take_in(
            request,
            form,
            limits=NOMINATION_LIMITS,
            phone_field="nominator_phone",
            stored=lambda key: Nomination.objects.filter(idempotency_key=key, round=round).first(),
            store=store,
            refused=NominationError,
            receipt_url=lambda nomination: f"{url}?received={_receipt(nomination)}",
        )
        if response is not None:
            return response
        status = 400
    return render(
        request,
        "livelihood/public/nominate.html",
        {"round": round, "station": station, "form": form, "page_title": f"{round.title} · 我要点菜"},
        status=status,
    )


@require_GET
def project_page(request, pk, number):
    """A chosen project's page: its progress against the plan, the latest report, photos, the
    supervision group and its inspections with the department's answers, and the evaluation."""
    round = get_object_or_404(public_rounds(), pk=pk)
    project = get_object_or_404(
        implementation.chosen(round).select_related("department", "supervision_leader"), number=number
    )
    reports = list(project.reports.order_by("-reported_on", "-pk"))
    inspections = list(project.inspections.prefetch_related("deputies", "photos").order_by("-date", "-pk"))
    evaluation = None
    if round.state == S.CLOSED:
        evaluation = next((r for r in implementation.evaluation_results(round) if r.candidate.pk == project.pk), None)
    return render(
        request,
        "livelihood/public/project.html",
        {
            "round": round,
            "project": project,
            "latest": reports[0] if reports else None,
            "reports": reports,
            "milestones": list(project.milestones.all()),
            "photos": list(project.photos.filter(report__isnull=False).order_by("-pk")[:6]),
            "supervisors": list(project.supervisors.order_by("name")),
            "inspections": inspections,
            "evaluation": evaluation,
            "page_title": project.title,
        },
    )
