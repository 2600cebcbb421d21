"""Public views outside the page tree: deputy profiles, search, preferences, health."""

import datetime as dt

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from wagtail import hooks

from content.ical import DISTRICT_FEED_DAYS, schedules_calendar
from content.models import (
    ActivityPage,
    CongressLevel,
    Deputy,
    ReceptionSchedule,
    Street,
)
from content.qr import qr_svg_markup, qr_svg_response
from content.reception import occurrences_between
from content.search import query_tokens
from content.search_query import COUNT_CAP as SEARCH_COUNT_CAP
from content.search_query import KINDS as SEARCH_KINDS
from content.search_query import SiteSearch, street_option, street_select_options

ELDER_COOKIE = "lianluo_elder"
DEPUTY_PAGE_SIZE = 48
SEARCH_PAGE_SIZE = 20
SEARCH_MAX_LENGTH = 50


@require_GET
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request):
    """/favicon.ico, which browsers ask for on their own (the admin, a PDF, a bookmark):
    the platform mark, without a second copy of it in another format."""
    response = HttpResponseRedirect(static("img/favicon.svg"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


@require_safe
def accessibility_statement(request):
    """无障碍声明: the text the district admin set in 站点标识, or the platform's own."""
    return render(request, "content/accessibility.html")


@csrf_exempt
@require_POST
def toggle_elder_mode(request):
    """Switch the large-text mode (适老化) on or off; works without JavaScript.

    Exempt from CSRF on purpose: the worst a forged request can do is change someone's font
    size, and without a token in every page the public pages set no cookie and stay
    cacheable by proxies and the page cache.
    """
    enable = request.POST.get("elder") == "1"
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if enable:
        response.set_cookie(ELDER_COOKIE, "1", max_age=60 * 60 * 24 * 365, samesite="Lax", secure=request.is_secure())
    else:
        response.delete_cookie(ELDER_COOKIE, samesite="Lax")
    return response


@require_GET
def deputy_list(request):
    level = request.GET.get("level", "")
    deputies = Deputy.objects.filter(is_active=True).with_photo_renditions()
    if level in CongressLevel.values:
        deputies = deputies.filter(congress_level=level)
    page = Paginator(deputies.order_by("congress_level", "name", "pk"), DEPUTY_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "content/deputy_list.html",
        {"deputies": page, "levels": CongressLevel.choices, "current_level": level},
    )


def _public_deputy(pk):
    return get_object_or_404(Deputy.objects.with_photo_renditions(), pk=pk, is_active=True)


def upcoming_duties(deputy, today=None, count=8):
    """The deputy's next reception duties across all live stations."""
    today = today or timezone.localdate()
    schedules = list(
        ReceptionSchedule.objects.filter(duty_deputies=deputy, station__live=True)
        .select_related("station")
        .prefetch_related("duty_deputies")
    )
    return occurrences_between(schedules, today, today + dt.timedelta(days=180), first=count)


@require_GET
def deputy_detail(request, pk):
    deputy = _public_deputy(pk)
    memberships = list(deputy.current_memberships(live_only=True))
    activities = list(ActivityPage.objects.live().filter(deputies=deputy).order_by("-date", "-pk")[:6])
    context = {
        "deputy": deputy,
        "memberships": memberships,
        "duties": upcoming_duties(deputy),
        "activities": activities,
    }
    # Other apps add sections (duties: the published yearly points) as (template, data) pairs.
    for construct in hooks.get_hooks("construct_deputy_page_context"):
        construct(request, deputy, context)
    return render(request, "content/deputy_detail.html", context)


def _ics_response(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _feed_schedules():
    return (
        ReceptionSchedule.objects.filter(station__live=True).select_related("station").prefetch_related("duty_deputies")
    )


@require_GET
def deputy_ics(request, pk):
    """The deputy's reception duties at every live station, as a calendar to subscribe to."""
    deputy = _public_deputy(pk)
    schedules = _feed_schedules().filter(duty_deputies=deputy)
    return _ics_response(
        schedules_calendar(f"{deputy.name}代表 接待值班", schedules, request), f"deputy-{deputy.pk}.ics"
    )


@require_GET
def district_ics(request):
    """Every live station's receptions over the next three months; `?street=<slug>` for one street."""
    schedules, name, filename = _feed_schedules(), "全区代表接待日", "district.ics"
    slug = request.GET.get("street", "")
    if slug:
        street = Street.objects.filter(slug=slug).first()
        if street is None:
            raise Http404
        schedules, name, filename = schedules.filter(station__street=street), f"{street.name} 代表接待日", f"{slug}.ics"
    return _ics_response(schedules_calendar(name, schedules, request, DISTRICT_FEED_DAYS), filename)


@require_GET
def deputy_qr(request, pk):
    deputy = _public_deputy(pk)
    return qr_svg_response(request.build_absolute_uri(deputy.get_absolute_url()))


@require_GET
def deputy_card(request, pk):
    deputy = _public_deputy(pk)
    memberships = list(deputy.current_memberships(live_only=True))
    return render(
        request,
        "content/deputy_card.html",
        {
            "deputy": deputy,
            "memberships": memberships,
            "qr_svg": qr_svg_markup(request.build_absolute_uri(deputy.get_absolute_url())),
        },
    )


@require_GET
def search(request):
    """Public search over stations, deputies and activities: counts per kind, filters by kind
    and street, pages of SEARCH_PAGE_SIZE hits (content.search_query owns the SQL)."""
    query = " ".join((request.GET.get("q") or "").split())[:SEARCH_MAX_LENGTH]
    kind = request.GET.get("kind", "")
    kind = kind if kind in SEARCH_KINDS else ""
    street = street_option(request.GET.get("street"))
    context = {
        "query": query,
        "kinds": SEARCH_KINDS,
        "current_kind": kind,
        "street_options": street_select_options(street),
        "current_street": street,
        "searched": False,
    }
    if query and query_tokens(query):
        results = SiteSearch(query, kind=kind or None, street=street, request=request)
        page = Paginator(results, SEARCH_PAGE_SIZE).get_page(request.GET.get("page"))
        params = {"q": query, **({"kind": kind} if kind else {}), **({"street": street.pk} if street else {})}
        context.update(
            searched=True,
            page=page,
            shown={value: results.shown(value) for value in SEARCH_KINDS},
            total=results.shown(),
            capped=results.capped,
            count_cap=SEARCH_COUNT_CAP,
            page_range=page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1),
            kind_counts=[(value, label, results.shown(value)) for value, label in SEARCH_KINDS.items()],
            current_kind_label=SEARCH_KINDS.get(kind, ""),
            base_query=urlencode(params),
            street_query=urlencode({k: v for k, v in params.items() if k != "kind"}),
            base_query_all=urlencode({"q": query}),
        )
    return render(request, "content/search.html", context)
