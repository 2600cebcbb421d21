"""民生实事票决 in 代表e站 (/e/livelihood/), phone-first.

A deputy on a round's roll opens the round, presses 签到领票 and gets the ballot in the same
response: the single-use token in a hidden field (never in a URL) and the candidates as
checkboxes. Casting posts the token and the choices to a separate view that reads nothing
else: it does not ask who is signed in (the portal login still guards it, for the session
and CSRF), so nothing links the stored ballot to the deputy, and the thanks page repeats
nothing of the choices. Once the count is published the round's page shows it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core import signing
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from content.models import Membership, StationPage
from duties.portal import deputy_required
from livelihood import ballot, implementation, nominations
from livelihood.ballot import BallotError
from livelihood.models import (
    BallotMethod,
    Candidate,
    Elector,
    Nomination,
    NominationSource,
    ProjectRating,
    ProjectRound,
    RoundState,
)
from livelihood.project_forms import InspectionForm
from livelihood.results import PUBLISHED, result_of
from workflows.models import Rating

TOKEN_LENGTH = 64


@deputy_required
def index(request, deputy):
    """The rounds whose roll the deputy is on, the newest first; the rounds collecting
    nominations; the deputy's own nominations with their answers; the projects they supervise."""
    electors = list(
        Elector.objects.filter(deputy=deputy)
        .select_related("round__street")
        .order_by("-round__year", "round__street__name")
    )
    return render(
        request,
        "livelihood/portal/index.html",
        {
            "deputy": deputy,
            "electors": electors,
            "collecting": nominating_rounds(deputy).exists(),
            "nominations": list(
                Nomination.objects.filter(deputy=deputy).select_related("round").order_by("-created_at")[:20]
            ),
            "supervised": list(
                Candidate.objects.filter(supervisors=deputy)
                .select_related("round", "department")
                .order_by("-round__year")
            ),
        },
    )


def _round_on_roll(deputy, pk) -> tuple[ProjectRound, Elector]:
    elector = get_object_or_404(Elector.objects.select_related("round__street"), round_id=pk, deputy=deputy)
    return elector.round, elector


def _ballot_page(request, round: ProjectRound, token: str, *, chosen=(), status=200):
    candidates = list(round.candidates.select_related("department").order_by("number"))
    return render(
        request,
        "livelihood/portal/ballot.html",
        {
            "round": round,
            "token": ballot.normalise_code(token),
            "code": ballot.show_code(ballot.normalise_code(token)),
            "candidates": candidates,
            "chosen": {str(n) for n in chosen},
        },
        status=status,
    )


@deputy_required
def round_detail(request, deputy, pk):
    round, elector = _round_on_roll(deputy, pk)
    balloting = round.state == RoundState.BALLOTING
    return render(
        request,
        "livelihood/portal/round.html",
        {
            "deputy": deputy,
            "round": round,
            "elector": elector,
            "balloting": balloting,
            "result": result_of(round) if round.state in PUBLISHED else None,
            "candidates": list(round.candidates.select_related("department").order_by("number")),
            "online": BallotMethod.ONLINE,
            "ticket": code_to_show(request, round)
            if round.state == RoundState.BALLOTING and not elector.issued
            else None,
            **evaluation_context(round, deputy),
        },
    )


CODE_SALT = "lianluo.livelihood.ballot-code"
CODE_MAX_AGE = 6 * 3600  # a sign-in page older than a session day is refreshed


def code_to_show(request, round: ProjectRound) -> tuple[str, str]:
    """A fresh ballot code for the round's page, and the signed field that carries it to 签到领票:
    the deputy sees the code before signing in. Nothing is stored until they sign in."""
    code = ballot.new_code()
    signed = signing.dumps({"code": code, "round": round.pk, "user": request.user.pk}, salt=CODE_SALT)
    return ballot.show_code(code), signed


def shown_code(request, round: ProjectRound) -> str:
    """The code the page showed this deputy for this round, or "" if the field is not genuine."""
    try:
        data = signing.loads(request.POST.get("ticket", ""), salt=CODE_SALT, max_age=CODE_MAX_AGE)
    except signing.BadSignature:
        return ""
    if not isinstance(data, dict) or data.get("round") != round.pk or data.get("user") != request.user.pk:
        return ""
    return str(data.get("code", ""))


@never_cache  # the response carries the ballot's token: no cache keeps it
@deputy_required
@require_POST
def sign_in(request, deputy, pk):
    """签到领票: one online ballot for the deputy, shown at once; never a second one. The code
    is the one the round's page showed (signed for this deputy and round): if this response
    is lost, the deputy still has it and goes on voting with it."""
    round, _elector = _round_on_roll(deputy, pk)
    code = shown_code(request, round)
    if not code:
        messages.error(request, "页面已过期，请刷新后再签到领票。")
        return redirect("livelihood_portal:round", pk=round.pk)
    try:
        token = ballot.issue(round, deputy, BallotMethod.ONLINE, user=request.user, code=code)
    except BallotError as error:
        messages.error(request, str(error))
        return redirect("livelihood_portal:round", pk=round.pk)
    return _ballot_page(request, round, token)


@never_cache
@deputy_required
@require_POST
def cast(request, _deputy, pk):
    """Cast the ballot the token stands for. Reads only the token and the choices: not the
    signed-in person (the decorator's deputy is ignored), and passes no user on."""
    round = get_object_or_404(ProjectRound, pk=pk)
    token = request.POST.get("token", "")[:TOKEN_LENGTH]
    choices = request.POST.getlist("choice")
    try:
        ballot.cast(round, token, choices)
    except BallotError as error:
        if not ballot.token_is_live(round, token):  # spent, lapsed or never this round's: no form to fill in again
            return render(request, "livelihood/portal/refused.html", {"round": round, "error": str(error)}, status=400)
        messages.error(request, str(error))
        return _ballot_page(request, round, token, chosen=choices, status=400)
    return render(request, "livelihood/portal/cast.html", {"round": round})


@never_cache
@deputy_required
@require_POST
def resume(request, deputy, pk):
    """凭选票码继续投票: the ballot again for a code taken and not yet cast (the page was lost).
    Like casting, it asks nothing but the code: it does not check whose code it is."""
    round, _elector = _round_on_roll(deputy, pk)
    token = request.POST.get("code", "")[:TOKEN_LENGTH]
    if round.state != RoundState.BALLOTING or not ballot.token_is_live(round, token):
        messages.error(request, "选票码不对，或这张选票已经投过。")
        return redirect("livelihood_portal:round", pk=round.pk)
    return _ballot_page(request, round, token)


# --- The deputy's nominations (代表点菜) ----------------------------------------------------------


def deputy_stations(deputy):
    return StationPage.objects.live().filter(memberships__in=Membership.objects.current().filter(deputy=deputy))


def nominating_rounds(deputy):
    """Rounds collecting nominations that the deputy may nominate for: the district's, and those
    of the streets where the deputy sits."""
    streets = deputy_stations(deputy).exclude(street__isnull=True).values("street_id")
    return ProjectRound.objects.filter(state=RoundState.NOMINATING).filter(
        Q(street__isnull=True) | Q(street_id__in=streets)
    )


class DeputyNominationForm(forms.Form):
    round = forms.ModelChoiceField(label="轮次", queryset=ProjectRound.objects.none(), empty_label=None)
    station = forms.ModelChoiceField(label="提名站点", queryset=StationPage.objects.none(), empty_label=None)
    title = forms.CharField(label="项目名称", max_length=60)
    need = forms.CharField(label="群众需求", max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
    place = forms.CharField(label="地点或范围", max_length=120)
    scale = forms.CharField(label="大致规模（可选）", max_length=120, required=False)

    def __init__(self, *args, deputy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = nominating_rounds(deputy).order_by("street_id", "-year")
        self.fields["station"].queryset = deputy_stations(deputy).order_by("path")


@deputy_required
@require_http_methods(["GET", "POST"])
def nominate(request, deputy):
    """代表提名: marked as the deputy's on the round's page; no phone asked (the deputy is known)."""
    form = DeputyNominationForm(request.POST or None, deputy=deputy)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            nominations.nominate(
                nominations.Proposal(
                    round=data["round"],
                    title=data["title"],
                    need=data["need"],
                    place=data["place"],
                    scale=data["scale"],
                    nominator_name=deputy.name,
                    nominator_phone="",
                    station=data["station"],
                    source=NominationSource.DEPUTY,
                    deputy=deputy,
                )
            )
        except nominations.NominationError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "提名已提交，审核后在轮次页面公开，并会得到答复。")
            return redirect("livelihood_portal:index")
    return render(
        request, "livelihood/portal/nominate.html", {"deputy": deputy, "form": form}, status=400 if form.errors else 200
    )


# --- Supervising a chosen project (监督组) ---------------------------------------------------------


@deputy_required
@require_http_methods(["GET", "POST"])
def inspect(request, deputy, pk):
    """A member of the project's supervision group records an inspection."""
    project = get_object_or_404(Candidate.objects.select_related("round", "department"), pk=pk, supervisors=deputy)
    form = InspectionForm(request.POST or None, candidate=project, initial={"deputies": [deputy.pk]})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        visit = implementation.Visit(
            data["date"], data["kind"], list(data["deputies"]), data["findings"], data["problems"]
        )
        try:
            implementation.record_inspection(project, visit, user=request.user)
        except implementation.ProjectError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "监督活动已记录，参加的代表计入履职积分。")
            return redirect("livelihood_portal:index")
    inspections = list(project.inspections.prefetch_related("deputies").order_by("-date", "-pk"))
    return render(
        request,
        "livelihood/portal/inspect.html",
        {"deputy": deputy, "project": project, "form": form, "inspections": inspections},
        status=400 if form.errors else 200,
    )


# --- The year-end evaluation (满意度测评) ------------------------------------------------------


def evaluation_context(round: ProjectRound, deputy) -> dict:
    """While the round is evaluated: each chosen project with the deputy's rating, if given."""
    if round.state != RoundState.EVALUATING:
        return {}
    projects = list(implementation.chosen(round).select_related("department").order_by("number"))
    given = dict(
        ProjectRating.objects.filter(candidate__in=projects, deputy=deputy).values_list("candidate_id", "rating")
    )
    for project in projects:
        project.my_rating = given.get(project.pk, "")
    return {"evaluating": True, "projects": projects, "rating_choices": Rating.choices}


@deputy_required
@require_POST
def rate(request, deputy, pk, number):
    round, _elector = _round_on_roll(deputy, pk)
    project = get_object_or_404(Candidate, round=round, number=number)
    try:
        implementation.rate(project, deputy, request.POST.get("rating", ""))
    except implementation.ProjectError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"已测评“{project.title}”。")
    return redirect("livelihood_portal:round", pk=round.pk)
