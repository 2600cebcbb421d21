"""The public side of the loop: submit an opinion, get a receipt, follow it, rate the reply,
and read the published results (晾晒).

Nothing here shows a citizen's name or phone number. A submission is stored and receipted
or refused with a reason in Chinese; a double submit (same idempotency key) gives back the
first receipt; too many attempts from one address, or too many stored opinions for one phone
number, get a 429.
"""

from __future__ import annotations

import re
import uuid

from django import forms
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from base.ids import parse_id
from base.prepared import prepared
from content.models import StationLevel, StationPage, Street
from workflows import opinions
from workflows.intake import (
    MAX_PHOTOS,
    MOBILE,
    IntakeError,
    Submission,
    lookup,
    normalise_phone,
    opinion_for_rating_token,
    rating_token,
    submit,
)
from workflows.limits import OPINION_LIMITS, TOO_MANY_LOOKUPS, limited, lookup_limited, take_in
from workflows.models import Category, Channel, Opinion, OpinionState, Publication, Rating

S = OpinionState
PROGRESS = [
    (S.SUBMITTED, "提交"),
    (S.ACCEPTED, "受理"),
    (S.ASSIGNED, "交办"),
    (S.SIGNED, "签收"),
    (S.REPLIED, "答复"),
    (S.EVALUATED, "评价"),
    (S.CLOSED, "办结"),
]
_ORDER = {state: index for index, (state, _label) in enumerate(PROGRESS)}
_ORDER[S.REOPENED] = _ORDER[S.ASSIGNED]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(f"最多上传 {MAX_PHOTOS} 张照片。")
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class MobilePhoneField(forms.CharField):
    """A mainland mobile number as people type it (spaces, dashes, +86), cleaned to 11 digits."""

    def __init__(self, *, help_text: str, **kwargs):
        kwargs.setdefault("label", "手机号码")
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel"}))
        kwargs.setdefault("error_messages", {"required": "请填写手机号码。"})
        super().__init__(help_text=help_text, **kwargs)

    def clean(self, value):
        phone = normalise_phone(super().clean(value))
        if not MOBILE.match(phone):
            raise forms.ValidationError("请填写 11 位中国大陆手机号码，例如 13812345678。")
        return phone


def name_field() -> forms.CharField:
    """The submitter's name: required, at most 30 characters."""
    return forms.CharField(
        label="姓名",
        max_length=30,
        error_messages={"required": "请填写姓名。", "max_length": "姓名不能超过 30 字。"},
    )


class IdempotentForm(forms.Form):
    """A public submission form carrying a fresh key, so that sending it twice stores it once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)


class OpinionForm(IdempotentForm):
    """What a citizen fills in. Field checks here; intake.submit() checks again before storing."""

    station = forms.ModelChoiceField(
        label="提交到哪个站点",
        queryset=None,
        empty_label="请选择站点",
        error_messages={"required": "请选择站点。", "invalid_choice": "请选择列表中的站点。"},
    )
    category = forms.ModelChoiceField(
        label="意见类别",
        queryset=Category.objects.all(),
        empty_label="请选择类别",
        error_messages={"required": "请选择意见类别。", "invalid_choice": "请选择列表中的类别。"},
    )
    title = forms.CharField(
        label="标题",
        max_length=60,
        error_messages={"required": "请填写标题。", "max_length": "标题不能超过 60 字。"},
    )
    content = forms.CharField(
        label="意见内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="请写清楚地点、问题和您的建议，不超过 2000 字。",
        error_messages={"required": "请填写意见内容。", "max_length": "意见内容不能超过 2000 字。"},
    )
    photos = MultipleFileField(
        label="照片（可选）",
        required=False,
        help_text=f"最多 {MAX_PHOTOS} 张，每张不超过 5 MB，支持 JPG、PNG、WebP；照片中的位置信息会被删除。",
    )
    citizen_name = name_field()
    citizen_phone = MobilePhoneField(help_text="用于查询进度和回访，不会公开。")
    publish_consent = forms.BooleanField(label="同意公开答复（不公开姓名和电话）", required=False)

    def __init__(self, *args, station=None, street=None, **kwargs):
        super().__init__(*args, **kwargs)
        if station is not None:
            # The page it is on says which station; the list of all stations (thousands of
            # them in a big district) is never built for a station's own form.
            del self.fields["station"]
        else:
            self._offer_stations(street)

    def _offer_stations(self, street) -> None:
        stations = StationPage.objects.live().exclude(level=StationLevel.GENERAL).select_related("street")
        if street is not None:
            stations = stations.filter(street=street)
        stations = stations.order_by("street__sort_order", "street__name", "path")
        self.fields["station"].queryset = stations

        def grouped():
            # Street first, then station: the list is grouped by street (one <optgroup> each).
            groups: dict[str, list] = {}
            for page in stations:
                groups.setdefault(page.street.name if page.street else "区级", []).append((page.pk, page.title))
            return [("", "请选择站点"), *groups.items()]

        # A callable is read only when the form is drawn, not when a good submission is checked.
        self.fields["station"].choices = grouped

    def clean_content(self):
        content = self.cleaned_data["content"].strip()
        if len(content) < 5:
            raise forms.ValidationError("请把意见内容写清楚（至少 5 个字）。")
        return content


@require_http_methods(["GET", "POST"])
def new_opinion(request, station=None):
    """The opinion form: standalone (choose a station) or on a station's page."""
    channel = Channel.QR if request.GET.get("src") == "qr" or request.POST.get("src") == "qr" else Channel.ONLINE
    street = None
    if station is None and request.GET.get("street"):
        street = Street.objects.filter(slug=request.GET["street"]).first()
    if request.method == "POST":
        form = OpinionForm(request.POST, request.FILES, station=station)
        fixed = {"channel": channel} | ({"station": station} if station else {})
        response = take_in(
            request,
            form,
            limits=OPINION_LIMITS,
            phone_field="citizen_phone",
            stored=lambda key: Opinion.objects.filter(idempotency_key=key).first(),
            store=lambda data: submit(Submission.from_cleaned_data(data, **fixed)),
            refused=IntakeError,
            receipt_url=lambda opinion: reverse("opinion_receipt", args=[rating_token(opinion)]),
        )
        if response is not None:
            return response
        status = 400
    else:
        form = OpinionForm(station=station, street=street)
        status = 200
    context = {"form": form, "station": station, "channel": channel, "page_title": "提交意见建议"}
    if station is None:
        context |= {"streets": Street.objects.order_by("sort_order", "name"), "street": street}
    return render(request, "workflows/public/opinion_form.html", context, status=status)


def station_opinion_form(station, request):
    """<station>/opinion/: the form at one station (a route of every station page)."""
    return new_opinion(request, station=station)


def receipt(request, token):
    opinion = opinion_for_rating_token(token)
    if opinion is None:
        raise Http404
    return render(
        request,
        "workflows/public/receipt.html",
        {"opinion": opinion, "rate_url": reverse("opinion_rate", args=[token]), "page_title": "意见已收到"},
    )


class LookupForm(forms.Form):
    receipt_no = forms.CharField(label="回执编号", max_length=20, error_messages={"required": "请填写回执编号。"})
    phone_last4 = forms.RegexField(
        label="手机号后四位",
        regex=r"^\d{4}$",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 4, "autocomplete": "off"}),
        error_messages={"required": "请填写手机号后四位。", "invalid": "请填写手机号后四位数字。"},
    )


def _progress(opinion: Opinion) -> list[dict]:
    reached = _ORDER.get(opinion.state, -1)
    return [{"label": label, "done": index <= reached} for index, (_state, label) in enumerate(PROGRESS)]


RECEIPT_NO = re.compile(r"^[A-Z0-9]{1,20}$")  # what a receipt number may look like; only to prefill


@require_http_methods(["GET", "POST"])
def status(request):
    """Look an opinion up by receipt number and the last four digits of the phone.

    The lookup is a POST so neither value lands in an address bar, browser history or access
    log; a GET only shows the form (query parameters never look anything up). The receipt
    page may link here with the receipt number, which alone reveals nothing, filled in.
    """
    if request.method == "POST":
        form = LookupForm(request.POST)
    else:
        prefill = request.GET.get("receipt_no", "").strip().upper()
        form = LookupForm(initial={"receipt_no": prefill} if RECEIPT_NO.match(prefill) else None)
    context = {"form": form, "page_title": "查询办理进度"}
    code = 200
    if form.is_bound:
        if lookup_limited(request, "opinion-lookup"):
            return limited(request, TOO_MANY_LOOKUPS)
        opinion = lookup(form.data.get("receipt_no", ""), form.data.get("phone_last4", "")) if form.is_valid() else None
        if opinion is None:
            code = 404 if form.is_valid() else 400
            context["not_found"] = form.is_valid()
        else:
            context.update(opinion=opinion, progress=_progress(opinion), rate_url=None)
            if opinion.state == S.REPLIED:
                context["rate_url"] = reverse("opinion_rate", args=[rating_token(opinion)])
    return render(request, "workflows/public/status.html", context, status=code)


class RatingForm(forms.Form):
    rating = forms.ChoiceField(
        label="您对答复是否满意？",
        choices=Rating.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意、基本满意或不满意。"},
    )


@require_http_methods(["GET", "POST"])
def rate(request, token):
    opinion = opinion_for_rating_token(token)
    if opinion is None:
        raise Http404
    form = RatingForm(request.POST or None)
    context = {"opinion": opinion, "form": form, "page_title": "评价答复", "progress": _progress(opinion)}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "workflows/public/rate.html", context, status=400)
        try:
            opinion = opinions.perform(
                opinion, "evaluate", capacity=opinions.CITIZEN, rating=form.cleaned_data["rating"]
            )
        except opinions.TransitionError as error:
            context["error"] = str(error)
            return render(request, "workflows/public/rate.html", context, status=409)
        context.update(opinion=opinion, rated=True, progress=_progress(opinion))
    return render(request, "workflows/public/rate.html", context)


def published_opinions(queryset=None):
    """Approved results (晾晒), with what a public listing may show; nothing personal."""
    queryset = queryset if queryset is not None else Opinion.objects.all()
    return (
        queryset.filter(publication=Publication.APPROVED)
        .select_related("category", "origin_station", "street", "department")
        .order_by("-published_at", "-pk")
    )


def station_results(station, limit: int = 5) -> list[Opinion]:
    """The newest published results of opinions raised at this station."""
    results = _station_results(station.pk, limit=limit)
    for result in results:
        result._state.fields_cache["origin_station"] = station  # the page asking, not read again
    return results


@prepared
def _station_results(station_id, *, limit):
    return (
        published_opinions()
        .filter(origin_station_id=station_id)
        .select_related(None)
        .select_related("category", "street", "department")[:limit]
    )


def results(request):
    """The district's published results, filterable by street and category."""
    queryset = published_opinions()
    street = request.GET.get("street", "")
    category = request.GET.get("category", "")
    if (street_id := parse_id(street)) is not None:
        queryset = queryset.filter(street_id=street_id)
    if (category_id := parse_id(category)) is not None:
        queryset = queryset.filter(category_id=category_id)
    page = Paginator(queryset, 20).get_page(request.GET.get("page"))
    return render(
        request,
        "workflows/public/results.html",
        {
            "page_obj": page,
            "streets": Street.objects.all(),
            "categories": Category.objects.all(),
            "selected_street": street,
            "selected_category": category,
            "page_title": "办理结果公开",
        },
    )
