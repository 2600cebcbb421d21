"""项目征集（点菜）in the admin: the nominations of the rounds one may reach, with the
NOMINATIONS process's buttons (公开, 不予受理, 列为候选项目, 合并, 未列入候选) and timeline, and
the entry of a nomination on behalf of a station (source 联络站) by its staff or its street's
committee.

Who sees what: the district admin all nominations, a street committee its street's rounds'
ones (the moderators, `NOMINATIONS.scope`), station staff those entered at their stations
(read only), the auditor all of them (read only). Nominators' names and phones are masked
in the listing and on the detail page; a moderator may reveal them, and that is logged.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic

from base.masking import mask_name, mask_phone, reveal
from base.viewsets import ModelInspectView, ScopedModelViewSet
from content.scoping import staffed_stations_for, stations_for
from livelihood.models import Nomination, NominationSource, ProjectRound, RoundState
from livelihood.nominations import MOBILE, MODERATOR, NOMINATIONS, NominationError, Proposal, check, nominate
from workflows.process_admin import ProcessDetailMixin, transition_urlpattern


def nomination_scope(queryset, user):
    """The moderators' nominations (NOMINATIONS.scope), and for station staff those entered
    or submitted at their own stations."""
    moderated = NOMINATIONS.scope(queryset, user)
    own = queryset.filter(station__in=staffed_stations_for(user).values("pk"))
    return (moderated | own).distinct()


def entry_stations(user):
    """The stations a person may enter a nomination for: their street's, or their own."""
    return stations_for(user).filter(live=True).order_by("path")


def entry_rounds(user):
    """Rounds collecting nominations that the person's stations belong to (or the district's)."""
    streets = entry_stations(user).exclude(street__isnull=True).values("street_id")
    rounds = ProjectRound.objects.filter(state=RoundState.NOMINATING)
    return rounds.filter(Q(street__isnull=True) | Q(street__in=streets)).select_related("street")


def masked_name(nomination: Nomination) -> str:
    return mask_name(nomination.nominator_name)


def masked_phone(nomination: Nomination) -> str:
    return mask_phone(nomination.nominator_phone)


class NominationEntryForm(WagtailAdminModelForm):
    """A nomination a station's staff enter for people who came to the station."""

    class Meta:
        model = Nomination
        fields = ["round", "station", "title", "need", "place", "scale", "nominator_name", "nominator_phone"]
        widgets = {"round": forms.Select, "station": forms.Select, "need": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        round, station = self.fields["round"], self.fields["station"]
        round.queryset = entry_rounds(self.for_user).order_by("-year", "street__name")
        round.empty_label = "请选择"
        round.error_messages["invalid_choice"] = "请选择正在征集项目、且是本站点所在街道或全区的轮次。"
        station.queryset = entry_stations(self.for_user)
        station.required = True
        station.empty_label = "请选择"
        station.error_messages["invalid_choice"] = "只能为本人负责的站点录入提名。"
        station.error_messages["required"] = "请选择提交站点。"
        self.fields["nominator_phone"].help_text = "可不填；填写的须是 11 位手机号码。"

    def clean_nominator_phone(self):
        phone = (self.cleaned_data.get("nominator_phone") or "").strip()
        if phone and not MOBILE.match(phone):
            raise ValidationError("请填写 11 位中国大陆手机号码，例如 13812345678。")
        return phone

    def proposal(self) -> Proposal:
        data = self.cleaned_data
        return Proposal(
            round=data["round"],
            title=data.get("title") or "",
            need=data.get("need") or "",
            place=data.get("place") or "",
            scale=data.get("scale") or "",
            nominator_name=data.get("nominator_name") or "",
            nominator_phone=data.get("nominator_phone") or "",
            station=data.get("station"),
            source=NominationSource.STATION,
        )

    def clean(self):
        data = super().clean()
        if not self.errors and data.get("round") is not None:
            try:
                check(self.proposal())
            except NominationError as error:
                raise ValidationError(str(error)) from None
        return data


class NominationEntryView(generic.CreateView):
    """The nomination is stored by `nominations.nominate` (source 联络站), never by the form."""

    def save_instance(self):
        row, _created = nominate(self.form.proposal())
        return row

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except NominationError as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)

    def get_success_message(self, instance):
        return f"已录入提名“{instance.title}”，待审核。"


class NominationDetailView(ProcessDetailMixin, ModelInspectView):
    template_name = "livelihood/admin/nomination_detail.html"
    process = NOMINATIONS
    act_url_name = "livelihood_nominations:act"

    def may_reveal(self) -> bool:
        return MODERATOR in self.held

    def get_context_data(self, **kwargs):
        nomination = self.object
        revealed = self.request.GET.get("reveal") == "1" and self.may_reveal()
        if revealed:
            name = reveal(self.request, nomination, "nominator_name")
            phone = reveal(self.request, nomination, "nominator_phone") if nomination.nominator_phone else ""
        else:
            name, phone = masked_name(nomination), masked_phone(nomination)
        return super().get_context_data(
            nominator_name=name,
            nominator_phone=phone,
            may_reveal=self.may_reveal() and not revealed,
            merged=list(nomination.merged.order_by("created_at")),
            **kwargs,
        )


class NominationViewSet(ScopedModelViewSet):
    """项目征集（点菜）: every nomination gets an answer; staff enter those made at a station."""

    model = Nomination
    form_class = NominationEntryForm
    icon = "form"
    menu_label = "项目征集（点菜）"
    url_prefix = "livelihood/nominations"
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_class = NominationDetailView
    add_view_class = NominationEntryView
    inspect_view_fields = [
        "round",
        "title",
        "need",
        "place",
        "scale",
        "source",
        "station",
        "deputy",
        "state",
        "answer",
        "merged_into",
        "candidate",
        "created_at",
        "answered_at",
    ]
    list_display = [
        "title",
        "round",
        Column("source", label="来源", accessor="get_source_display"),
        "station",
        Column("nominator", label="提名人", accessor=masked_name),
        Column("state", label="状态", accessor="get_state_display"),
        "created_at",
    ]
    list_filter = ["round", "state", "source"]
    search_fields = ["title", "need", "place"]
    ordering = ["-created_at"]

    def get_form_class(self, for_update=False):
        return NominationEntryForm

    def get_queryset(self, request):
        return Nomination.objects.select_related("round", "station")

    def get_urlpatterns(self):
        return [*super().get_urlpatterns(), transition_urlpattern(NOMINATIONS, self.get_url_name("inspect"))]
