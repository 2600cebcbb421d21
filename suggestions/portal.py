"""代表建议 in 代表e站 (/e/suggestions/): the deputy drafts a suggestion (alone or as lead with
co-signers), answers the co-signing requests of others, revises after a return, submits it
for pre-review and follows it. Phone-first, like the rest of the portal; every page acts
only for the deputy linked to the signed-in account."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from base.history import text_diff
from base.ids import parse_id
from content.models import Deputy, Membership
from duties.models import DiscussionTopic
from duties.portal import PortalSteps, deputy_required
from suggestions.drafting import COSIGNS, SUGGESTIONS, Draft, SuggestionError, revise, start_draft
from suggestions.models import AssignmentState, CoSigner, CosignState, Suggestion, SuggestionKind, SuggestionState
from workflows.models import Category, Opinion


def colleagues(deputy: Deputy):
    """The deputies one may ask to co-sign: serving deputies seated in the lead's streets."""
    streets = Membership.objects.current().filter(deputy=deputy).values("station__street")
    seated = Membership.objects.current().filter(station__street__in=streets).values("deputy")
    return Deputy.objects.filter(pk__in=seated, is_active=True).exclude(pk=deputy.pk).order_by("name")


class DraftForm(forms.Form):
    kind = forms.ChoiceField(label="提出时间", choices=SuggestionKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(
        label="标题", max_length=80, help_text="写明要解决的问题，例如“关于加快老旧小区加装电梯的建议”。"
    )
    category = forms.ModelChoiceField(label="分类", queryset=Category.objects.all(), empty_label="请选择")
    problem = forms.CharField(label="问题和理由", max_length=5000, widget=forms.Textarea(attrs={"rows": 8}))
    measures = forms.CharField(label="建议措施", max_length=5000, widget=forms.Textarea(attrs={"rows": 6}))
    cosigners = forms.ModelMultipleChoiceField(
        label="请以下代表附议",
        queryset=Deputy.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="同街道驻站的在任代表；他们在自己的代表e站确认后，您才能提交。",
    )

    def __init__(self, *args, deputy, locked_cosigners=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cosigners"].queryset = colleagues(deputy)
        if locked_cosigners:  # after pre-review began the co-signers stand
            self.fields["cosigners"].disabled = True

    def draft(self, **sources) -> Draft:
        data = self.cleaned_data
        return Draft(
            data["kind"],
            data["title"],
            data["category"],
            data["problem"],
            data["measures"],
            list(data["cosigners"]),
            **sources,
        )


def _sources(request, deputy) -> dict:
    """The opinion, 直通车 item or topic a new draft starts from (?opinion=, ?topic=), if the
    deputy's own; anything else is ignored."""
    found = {}
    if (pk := parse_id(request.GET.get("opinion", ""))) is not None:
        found["source_opinion"] = (
            Opinion.objects.filter(pk=pk).filter(Q(received_by_deputy=deputy) | Q(originator=deputy)).first()
        )
    if (pk := parse_id(request.GET.get("topic", ""))) is not None:
        found["source_topic"] = DiscussionTopic.objects.filter(pk=pk, deputy=deputy).first()
    return {name: row for name, row in found.items() if row is not None}


def _initial(sources: dict) -> dict:
    if opinion := sources.get("source_opinion"):
        return {"title": f"关于{opinion.title}的建议", "problem": opinion.content, "category": opinion.category_id}
    if topic := sources.get("source_topic"):
        return {"title": f"关于{topic.title}的建议", "problem": f"{topic.description}\n\n{topic.summary}".strip()}
    return {}


@deputy_required
def index(request, deputy):
    """My suggestions (led), the co-signing requests waiting for me, and those I co-signed."""
    led = list(Suggestion.objects.filter(lead=deputy).select_related("category").order_by("-created_at")[:50])
    asks = list(
        CoSigner.objects.filter(deputy=deputy)
        .select_related("suggestion__lead")
        .order_by("-suggestion__created_at")[:50]
    )
    return render(
        request,
        "suggestions/portal/index.html",
        {
            "deputy": deputy,
            "led": led,
            "waiting": [row for row in asks if row.state == CosignState.INVITED],
            "cosigned": [row for row in asks if row.state != CosignState.INVITED],
        },
    )


@deputy_required
@require_http_methods(["GET", "POST"])
def new(request, deputy):
    sources = _sources(request, deputy)
    form = DraftForm(request.POST or None, deputy=deputy, initial=_initial(sources))
    if request.method == "POST" and form.is_valid():
        try:
            suggestion = start_draft(deputy, request.user, form.draft(**sources))
        except SuggestionError as error:
            form.add_error(None, str(error))
        else:
            asked = suggestion.cosigners.count()
            messages.success(
                request,
                f"草稿已保存。已请 {asked} 位代表附议，全部确认后可提交预审。"
                if asked
                else "草稿已保存，可以提交预审。",
            )
            return redirect("suggestion_portal:detail", pk=suggestion.pk)
    return render(request, "suggestions/portal/form.html", {"deputy": deputy, "form": form, "sources": sources})


def _mine(deputy):
    """The suggestions this deputy leads or was asked to co-sign."""
    asked = CoSigner.objects.filter(deputy=deputy).values("suggestion_id")
    return Suggestion.objects.filter(Q(lead=deputy) | Q(pk__in=asked))


@deputy_required
@require_http_methods(["GET", "POST"])
def edit(request, deputy, pk):
    suggestion = get_object_or_404(Suggestion.objects.filter(lead=deputy), pk=pk)
    if suggestion.state not in (SuggestionState.DRAFT, SuggestionState.RETURNED):
        messages.error(request, f"该建议当前状态为“{suggestion.get_state_display()}”，不能修改。")
        return redirect("suggestion_portal:detail", pk=pk)
    initial = {
        "kind": suggestion.kind,
        "title": suggestion.title,
        "category": suggestion.category_id,
        "problem": suggestion.problem,
        "measures": suggestion.measures,
        "cosigners": list(suggestion.cosigners.values_list("deputy_id", flat=True)),
    }
    locked = suggestion.state != SuggestionState.DRAFT
    form = DraftForm(request.POST or None, deputy=deputy, initial=initial, locked_cosigners=locked)
    if request.method == "POST" and form.is_valid():
        try:
            revise(suggestion, request.user, form.draft())
        except SuggestionError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, "修改已保存。")
            return redirect("suggestion_portal:detail", pk=pk)
    return render(request, "suggestions/portal/form.html", {"deputy": deputy, "form": form, "suggestion": suggestion})


DONE = {
    "submit": "已提交预审，代表工委审查后会受理立案或退回修改。",
    "withdraw": "建议已撤回。",
    "confirm": "已确认附议。",
    "decline": "已表示不附议。",
    "rate": "谢谢您的评价。",
}


def round_changes(before, after) -> dict:
    """{field label: diff segments} of what the deputy changed between two rounds."""
    if before is None:
        return {}
    pairs = {
        "标题": (before.title, after.title),
        "问题和理由": (before.problem, after.problem),
        "建议措施": (before.measures, after.measures),
    }
    return {label: text_diff(old, new) for label, (old, new) in pairs.items() if old != new}


@deputy_required
@require_http_methods(["GET", "POST"])
def detail(request, deputy, pk):
    """One suggestion: its text, co-signers, every round of pre-review with what changed, and
    the steps open to this deputy (as lead, or as a co-signer)."""
    suggestion = get_object_or_404(_mine(deputy).select_related("lead", "category"), pk=pk)
    cosigners = list(suggestion.cosigners.select_related("deputy").order_by("pk"))
    own_ask = next((row for row in cosigners if row.deputy_id == deputy.pk), None)
    steps = PortalSteps.of(request, SUGGESTIONS, suggestion)
    cosign_steps = PortalSteps.of(request, COSIGNS, own_ask) if own_ask is not None else None
    if request.method == "POST":
        chosen = steps if steps.action in steps.forms else cosign_steps
        if chosen is None:
            raise Http404
        moved = chosen.run(request)
        if moved is not None:
            messages.success(request, DONE.get(chosen.action, "已完成。"))
        elif (form := chosen.forms.get(chosen.action)) is not None:
            messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect("suggestion_portal:detail", pk=pk)
    rounds = list(suggestion.rounds.order_by("number"))
    for before, after in zip([None, *rounds], rounds, strict=False):
        after.changes = round_changes(before, after)
    return render(
        request,
        "suggestions/portal/detail.html",
        {
            "deputy": deputy,
            "suggestion": suggestion,
            "cosigners": cosigners,
            "assignments": list(
                suggestion.assignments.exclude(state=AssignmentState.RELEASED).select_related("department")
            ),
            "rounds": rounds,
            "replies": list(suggestion.replies.select_related("department").order_by("number")),
            "steps": steps.forms,
            "cosign_steps": cosign_steps.forms if cosign_steps else {},
            "is_lead": suggestion.lead_id == deputy.pk,
        },
    )
