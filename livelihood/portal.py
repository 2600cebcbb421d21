"""民生实事票决 in 代表e站 (/e/livelihood/), phone-first.

A deputy on a round's roll opens the round, presses 签到领票 and gets the ballot in the same
response: the single-use token in a hidden field (never in a URL) and the candidates as
checkboxes. Casting posts the token and the choices to a separate view that reads nothing
else: it does not ask who is signed in (the portal login still guards it, for the session
and CSRF), so nothing links the stored ballot to the deputy, and the thanks page repeats
nothing of the choices. Once the count is published the round's page shows it.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from duties.portal import deputy_required
from livelihood import ballot
from livelihood.ballot import BallotError
from livelihood.models import BallotMethod, Elector, ProjectRound, RoundState
from livelihood.results import PUBLISHED, result_of

TOKEN_LENGTH = 64


@deputy_required
def index(request, deputy):
    """The rounds whose roll the deputy is on, the newest first."""
    electors = list(
        Elector.objects.filter(deputy=deputy)
        .select_related("round__street")
        .order_by("-round__year", "round__street__name")
    )
    return render(request, "livelihood/portal/index.html", {"deputy": deputy, "electors": electors})


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
    return render(
        request,
        "livelihood/portal/round.html",
        {
            "deputy": deputy,
            "round": round,
            "elector": elector,
            "balloting": round.state == RoundState.BALLOTING,
            "result": result_of(round) if round.state in PUBLISHED else None,
            "candidates": list(round.candidates.select_related("department").order_by("number")),
            "online": BallotMethod.ONLINE,
        },
    )


@never_cache  # the response carries the ballot's token: no cache keeps it
@deputy_required
@require_POST
def sign_in(request, deputy, pk):
    """签到领票: one online ballot for the deputy, shown at once; never a second one."""
    round, _elector = _round_on_roll(deputy, pk)
    try:
        token = ballot.issue(round, deputy, BallotMethod.ONLINE, user=request.user)
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
