"""Publication of suggestions and their replies (公开): the liaison office approves a replied
suggestion for the public suggestions page (/suggestions/), or takes it off again. The page
lists them per year, category, lead department and state, with the deputies' names (they
are public) and the departments' replies; nothing of any citizen is ever shown."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from base.ids import parse_id
from suggestions.drafting import OFFICE, SUGGESTIONS
from suggestions.models import (
    AssignmentRole,
    AssignmentState,
    CoSigner,
    CosignState,
    Suggestion,
    SuggestionAssignment,
    SuggestionReply,
    SuggestionState,
)
from workflows.models import Category, Department
from workflows.process import REFUSAL, SIDE, Todo, Transition

S = SuggestionState
ANSWERED = (S.REPLIED, S.REOPENED, S.CLOSED)


def _closed_unpublished() -> Q:
    return Q(state=S.CLOSED, published_at__isnull=True)


def _publish(suggestion, **_):
    suggestion.published_at = timezone.now()


def _unpublish(suggestion, **_):
    suggestion.published_at = None


SUGGESTIONS.extend(
    Transition(
        "publish",
        "批准公开",
        ANSWERED,
        None,
        (OFFICE,),
        _publish,
        todos=(Todo("to_publish", "办结待公开的代表建议", when=_closed_unpublished()),),
        kind=SIDE,
    ),
    Transition("unpublish", "撤销公开", ANSWERED, None, (OFFICE,), _unpublish, kind=REFUSAL),
)


# --- The public page ------------------------------------------------------------------------------------

PUBLIC_STATES = {"handling": (S.REPLIED, S.REOPENED), "closed": (S.CLOSED,)}


def published_suggestions():
    """Published suggestions with what the public page shows, in a fixed number of queries."""
    return (
        Suggestion.objects.filter(published_at__isnull=False, state__in=ANSWERED)
        .select_related("lead", "category")
        .prefetch_related(
            Prefetch(
                "cosigners",
                queryset=CoSigner.objects.filter(state=CosignState.CONFIRMED).select_related("deputy"),
                to_attr="confirmed_cosigners",
            ),
            Prefetch(
                "assignments",
                queryset=SuggestionAssignment.objects.exclude(state=AssignmentState.RELEASED).select_related(
                    "department"
                ),
                to_attr="active_assignments",
            ),
            Prefetch(
                "replies",
                queryset=SuggestionReply.objects.select_related("department").order_by("number"),
                to_attr="reply_list",
            ),
        )
        .order_by("-year", "kind", "serial")
    )


def index(request):
    queryset = published_suggestions()
    chosen = {name: request.GET.get(name, "") for name in ("year", "category", "department", "state")}
    if (year := parse_id(chosen["year"])) is not None:
        queryset = queryset.filter(year=year)
    if (category := parse_id(chosen["category"])) is not None:
        queryset = queryset.filter(category_id=category)
    if (department := parse_id(chosen["department"])) is not None:
        queryset = queryset.filter(
            assignments__department_id=department, assignments__role=AssignmentRole.LEAD
        ).distinct()
    if chosen["state"] in PUBLIC_STATES:
        queryset = queryset.filter(state__in=PUBLIC_STATES[chosen["state"]])
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    published = Suggestion.objects.filter(published_at__isnull=False)
    years = published.order_by("-year").values_list("year", flat=True).distinct()
    return render(
        request,
        "suggestions/public/index.html",
        {
            "page_obj": page,
            "years": list(years),
            "categories": Category.objects.all(),
            "departments": Department.objects.filter(is_active=True).order_by("name"),
            "chosen": chosen,
            "page_title": "代表建议办理公开",
        },
    )


def detail(request, pk):
    suggestion = get_object_or_404(published_suggestions(), pk=pk)
    return render(
        request,
        "suggestions/public/detail.html",
        {"suggestion": suggestion, "page_title": suggestion.title},
    )
