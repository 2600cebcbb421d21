"""The public station network: streets, the four-level station page tree, deputies modelled
the Popolo way (person, organisation, membership), reception schedules and activities.

Popolo mapping: `Deputy` is a Person, a `StationPage` is an Organization whose parent is its
parent page in the tree, and `Membership` links the two with a role and start/end dates.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
from dataclasses import dataclass
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone

from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from modelcluster.queryset import FakeQuerySet
from wagtail import hooks
from wagtail.admin.panels import (
    FieldPanel,
    FieldRowPanel,
    HelpPanel,
    InlinePanel,
    MultiFieldPanel,
    ObjectList,
    TabbedInterface,
)
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model, get_image_model_string
from wagtail.images.models import Filter
from wagtail.models import Orderable, Page, PageViewRestriction, RevisionMixin
from wagtail.search import index
from wagtail.search.queryset import SearchableQuerySetMixin

from base.calendar import WorkdayCalendar
from base.history import ClusterHistoricalRecords, HistoricalRecords, QuietRevisionSaveMixin
from base.models import CalendarDay
from base.prepared import prepared
from content import blocks
from content.ical import station_calendar
from content.jsonrows import JSONObject, instances, json_rows, json_rows_all
from content.pagetree import ancestor_paths, children_q, children_range, descendants_q
from content.qr import qr_svg_markup, qr_svg_response
from content.reception import HORIZON_DAYS, WEEKDAY_NAMES, HolidayRule, Recurrence, occurrences_between
from content.search import HIDDEN as SEARCH_HIDDEN
from content.search import (
    TitleSearchField,
    bigram_title_fields,
    cjk_index_text,
    kind_marker,
    page_markers,
    street_marker,
    with_markers,
)
from content.site_settings import SiteIdentity  # noqa: F401 (the 站点标识 setting's model)

IMAGE_MODEL = get_image_model_string()

# Rendition specs used by templates; prefetched together so images cost no per-row query.
DEPUTY_PHOTO_SPEC = "fill-240x300"
STATION_PHOTO_SPEC = "fill-640x400"


def stream_text(value) -> str:
    """The plain text of a StreamField value, without rendering any block template."""
    return " ".join(value.stream_block.get_searchable_content(value))


# --------------------------------------------------------------------------------------------
# Streets and facilities
# --------------------------------------------------------------------------------------------


class Street(models.Model):
    """A street (街道): the organisational unit later issues scope permissions by.

    Its centre station page (中心站) is the root of the street's subtree.
    """

    name = models.CharField("街道名称", max_length=40, unique=True)
    slug = models.SlugField("英文标识", max_length=60, unique=True, allow_unicode=True)
    division_code = models.CharField("行政区划代码", max_length=12, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    history = HistoricalRecords()

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("division_code"), FieldPanel("sort_order")]

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "街道"
        verbose_name_plural = "街道"
        # Granted per street (django-guardian) to that street's committee group; row access
        # to everything belonging to the street is derived from this one grant.
        permissions = [("manage_street", "管理本街道的站点与数据")]

    def __str__(self):
        return self.name


class Facility(models.Model):
    """One item of the station construction standard ("九有/八有"): e.g. 有场所、有制度."""

    name = models.CharField("设施/标准项", max_length=40, unique=True)
    description = models.CharField("说明", max_length=200, blank=True)
    sort_order = models.PositiveIntegerField("排序", default=0)

    panels = [FieldPanel("name"), FieldPanel("description"), FieldPanel("sort_order")]

    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = "设施标准项"
        verbose_name_plural = "设施标准项（九有）"

    def __str__(self):
        return self.name


# --------------------------------------------------------------------------------------------
# Deputies (Popolo Person)
# --------------------------------------------------------------------------------------------


class CongressLevel(models.TextChoices):
    NATIONAL = "national", "全国人大代表"
    PROVINCIAL = "provincial", "省人大代表"
    CITY = "city", "市人大代表"
    DISTRICT = "district", "区人大代表"
    STREET = "street", "街道议政代表"


class Gender(models.TextChoices):
    FEMALE = "female", "女"
    MALE = "male", "男"


def renditions_prefetch(image_lookup: str, spec: str) -> Prefetch:
    """Prefetch the one rendition a template asks for, so `{% image %}` costs no query per row."""
    rendition_model = get_image_model().get_rendition_model()
    return Prefetch(f"{image_lookup}__renditions", queryset=rendition_model.objects.filter(filter_spec=spec))


def rendition_rows(spec: str, image_lookup: str):
    """The renditions of one spec of the image at `image_lookup`, as JSON rows of the outer query."""
    rendition_model = get_image_model().get_rendition_model()
    return json_rows(
        rendition_model.objects.filter(filter_spec=spec),
        "image",
        outer=image_lookup,
        id="id",
        image_id="image_id",
        filter_spec="filter_spec",
        file="file",
        width="width",
        height="height",
        focal_point_key="focal_point_key",
    )


def attach_renditions(image, rows, spec: str | None = None) -> None:
    """Give `image` the renditions read as JSON rows, as Wagtail's prefetch would: `{% image %}`
    then finds its rendition there (or makes it, once) without a query. With `spec`, the one
    `{% image %}` would pick for it (same spec, same focal point) is also kept as the image's
    `shown_rendition` (None when it is not made yet), for a template to write its <img> itself
    rather than through the tag, which parses the spec again for every image."""
    if image is not None:
        image.prefetched_renditions = instances(get_image_model().get_rendition_model(), rows)
        for rendition in image.prefetched_renditions:
            rendition.image = image
        if spec is not None:
            key = _image_filter(spec).get_cache_key(image)
            image.shown_rendition = next(
                (r for r in image.prefetched_renditions if r.filter_spec == spec and r.focal_point_key == key), None
            )


@functools.cache
def _image_filter(spec: str) -> Filter:
    return Filter(spec=spec)


@functools.lru_cache(maxsize=20_000)
def _deputy_url(pk: int, script_prefix: str, urlconf) -> str:
    return reverse("deputy_detail", args=[pk])


class DeputyQuerySet(SearchableQuerySetMixin, models.QuerySet):
    def with_photo_renditions(self):
        return self.select_related("photo").prefetch_related(renditions_prefetch("photo", DEPUTY_PHOTO_SPEC))


class Deputy(QuietRevisionSaveMixin, RevisionMixin, index.Indexed, models.Model):
    """A people's deputy (人大代表) or street-level 议政代表 — a Popolo Person."""

    name = models.CharField("姓名", max_length=40)
    photo = models.ForeignKey(
        IMAGE_MODEL, verbose_name="照片", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gender = models.CharField("性别", max_length=8, choices=Gender.choices, blank=True)
    congress_level = models.CharField("代表层级", max_length=16, choices=CongressLevel.choices)
    term = models.CharField("届别", max_length=40, help_text="例如：第十八届")
    term_start = models.DateField(
        "本届任期开始", null=True, blank=True, help_text="早于此日的履职记录不予登记；留空则不检查"
    )
    constituency = models.CharField("选区/代表团", max_length=80, blank=True)
    occupation = models.CharField("职业与工作单位", max_length=120, blank=True)
    public_phone = models.CharField(
        "公开联系电话", max_length=32, blank=True, help_text="对外公开的工作电话，不填写私人手机"
    )
    public_email = models.EmailField("公开邮箱", blank=True)
    biography = models.TextField("简介", blank=True)
    is_active = models.BooleanField("在任", default=True)

    history = HistoricalRecords(excluded_fields=["latest_revision"])
    objects = DeputyQuerySet.as_manager()

    panels = [
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("name"), FieldPanel("gender")]),
                FieldPanel("photo"),
                FieldRowPanel([FieldPanel("congress_level"), FieldPanel("term"), FieldPanel("term_start")]),
                FieldPanel("constituency"),
                FieldPanel("occupation"),
            ],
            heading="基本信息",
        ),
        MultiFieldPanel(
            [FieldPanel("public_phone"), FieldPanel("public_email"), FieldPanel("biography"), FieldPanel("is_active")],
            heading="公开联系方式与简介",
        ),
        HelpPanel(
            template="content/admin/deputy_memberships_panel.html",
            heading="所在联络站",
        ),
    ]

    search_fields = [
        index.SearchField("name"),
        TitleSearchField(),
        index.SearchField("search_text"),
        index.AutocompleteField("name"),
        index.FilterField("congress_level"),
        index.FilterField("is_active"),
    ]

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = "代表"
        verbose_name_plural = "代表"
        # The public directory (/deputies/): active deputies by level and name, a page at a time,
        # read in index order instead of sorting every deputy of the district per request. Partial:
        # Django writes the filter as a bare `WHERE is_active`, which an index on the column
        # cannot serve but an index with that same condition can.
        indexes = [
            models.Index(
                fields=["congress_level", "name", "id"], condition=Q(is_active=True), name="content_deputy_directory"
            )
        ]

    def __str__(self):
        return f"{self.name}（{self.get_congress_level_display()}）"

    def get_absolute_url(self):
        # A page lists many deputies (the wall, each reception's duty deputies): reversing
        # each costs more than everything else about the link, and the answer never changes.
        return _deputy_url(self.pk, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)

    @property
    def title(self) -> str:
        """What the search index's title column holds for a deputy (content.search)."""
        return self.name

    def search_text(self):
        # Markers (content.search): the kind, whether the public may not see the deputy, and the
        # streets of the stations the deputy currently sits in (the search's street filter).
        memberships = Membership.objects.current().filter(deputy=self, station__street__isnull=False)
        streets = memberships.values_list("station__street", flat=True)
        markers = [kind_marker("deputy"), *(street_marker(pk) for pk in streets)]
        if not self.is_active:
            markers.append(SEARCH_HIDDEN)
        return with_markers(
            cjk_index_text(self.name, self.occupation, self.constituency, self.biography), dict.fromkeys(markers)
        )

    def current_memberships(self, live_only: bool = False):
        memberships = Membership.objects.current().filter(deputy=self)
        if live_only:
            memberships = memberships.filter(station__live=True)
        return memberships.select_related("station").order_by("station__path")


# --------------------------------------------------------------------------------------------
# Home and station pages (Popolo Organization)
# --------------------------------------------------------------------------------------------


class OneQueryRouting:
    """Route a request to a page deep in the tree with one query, instead of two queries per
    level (Wagtail's Page.route asks each level for its child) plus a query for the specific
    page, two for its view restrictions and one for its breadcrumbs.

    The query reads the pages on the way by their slugs (an index) and `url_path`, and the
    ancestors of this page by path, each with its station fields and street and whether a view
    restriction sits on it. A station page found that way is built from those fields (the four
    station levels add no columns of their own), keeps its ancestors for the breadcrumbs and
    answers `get_view_restrictions` without a query when no page on its way has one.

    The outcome is Wagtail's: a page's own routes (RoutablePageMixin) still come before its
    children of the same name, and an unpublished page on the way is passed through as
    Wagtail passes it."""

    def route(self, request, path_components):
        if not path_components:
            return super().route(request, path_components)
        prefixes = [self.url_path + "/".join(path_components[:i]) + "/" for i in range(1, len(path_components) + 1)]
        site = getattr(request, "_wagtail_site", None)
        wants_identity = site is not None and not hasattr(request, SiteIdentity.get_cache_attr_name())
        rows = _routing_rows(
            sorted(set(path_components)),
            prefixes,
            [*ancestor_paths(self.path), self.path],
            self.depth,
            site.pk if wants_identity else None,
        )
        if wants_identity and rows:
            _keep_identity(request, site, rows[0]._identity)
        above = [page for page in rows if page.depth <= self.depth]  # the root … this page
        on_the_way = {page.url_path: page for page in rows if page.depth > self.depth}
        current, depth, passed = self, 0, []
        while depth < len(path_components):
            rest = path_components[depth:]
            routable = issubclass(current.specific_class or Page, RoutablePageMixin)
            if depth and routable and current.live and _has_route(current.specific_class, rest):
                break  # the page's own route wins over a child of the same name, as in Wagtail
            child = on_the_way.get(prefixes[depth])
            if child is None:
                if depth:
                    break  # Wagtail's answer from here on (its routes, or 404)
                raise Http404
            child._cached_parent_obj = current
            passed.append(current)
            current, depth = child, depth + 1
        if current is self:
            return super().route(request, path_components)
        page = _specific_from_row(current)
        ancestors = [row for row in above if row.depth < self.depth] + passed
        chain = [*above, *passed[1:], current]
        page._route_ancestors = ancestors
        page._route_unrestricted = not any(row._restricted or row.alias_of_id for row in chain)
        if isinstance(page, StationPage):
            page._route_facilities = current._facilities or []
        return page.route(request, path_components[depth:])


@prepared
def _routing_rows(slugs, prefixes, paths, depth, site_id):
    """The pages below `depth` with one of `slugs` and `prefixes` as their url_path (the pages a
    request's path can pass through), and the pages at `paths` (the routing page and its
    ancestors), with their station fields, street, facilities and whether a view restriction
    sits on each; with the site's identity when `site_id` is given."""
    extra = {"_identity": _identity_row(site_id)} if site_id is not None else {}
    return (
        Page.objects.filter(Q(slug__in=slugs, url_path__in=prefixes, depth__gt=depth) | Q(path__in=paths))
        .select_related("stationpage__street")
        .annotate(
            _restricted=Exists(PageViewRestriction.objects.filter(page=OuterRef("pk"))),
            _facilities=json_rows(
                StationPage.facilities.through.objects.all(),
                "stationpage",
                id="facility_id",
                name="facility__name",
                description="facility__description",
                sort_order="facility__sort_order",
            ),
            **extra,
        )
        .order_by("path")
    )


def _identity_row(site_id):
    """The site's identity (站点标识) with its logo's image as one JSON object, to read with the
    routing query."""
    image_model = get_image_model()
    logo = image_model.objects.filter(pk=OuterRef("logo_id")).values(
        _row=JSONObject(**{field.attname: field.attname for field in image_model._meta.concrete_fields})
    )
    fields = {field.attname: field.attname for field in SiteIdentity._meta.concrete_fields}
    return Subquery(
        SiteIdentity.objects.filter(site_id=site_id)
        .order_by("pk")
        .values(_row=JSONObject(**fields, _logo=Subquery(logo[:1], output_field=models.JSONField())))[:1],
        output_field=models.JSONField(),
    )


def _keep_identity(request, site, row) -> None:
    """Keep the identity read with the routing where `identity_for_request` looks first (and
    Wagtail's settings too): the header and footer then cost no query of their own. A site
    without a saved identity gets the defaults, as there."""
    if row is None:
        identity = SiteIdentity()
    else:
        logo = row.pop("_logo", None)
        identity = instances(SiteIdentity, [row])[0]
        if isinstance(logo, str):  # SQLite hands a nested object over as text
            logo = json.loads(logo)
        if identity.logo_id is not None:
            if logo is None:
                return  # (the logo row vanished meanwhile) identity_for_request reads both
            identity.logo = instances(get_image_model(), [logo])[0]
    identity.site = site
    identity._request = request
    setattr(request, SiteIdentity.get_cache_attr_name(), identity)


def _specific_from_row(page: Page) -> Page:
    """The specific page of a routed row: built from its joined station fields when its class
    adds no columns to StationPage's (no query), else Wagtail's `specific` (one query)."""
    cls = page.specific_class
    if cls is None or isinstance(page, cls):
        return page
    try:
        station = page.stationpage
    except StationPage.DoesNotExist:
        station = None
    if station is None or not issubclass(cls, StationPage) or cls not in _COLUMNLESS_STATION_CLASSES:
        return page.specific
    specific = cls.__new__(cls)
    specific.__dict__.update(station.__dict__)
    specific._state = copy.copy(station._state)
    specific._state.fields_cache = dict(station._state.fields_cache)
    setattr(specific, cls._meta.pk.attname, station.pk)
    if hasattr(page, "_cached_parent_obj"):
        specific._cached_parent_obj = page._cached_parent_obj
    return specific


def breadcrumbs(page: Page) -> list[Page]:
    """The page's ancestors below the tree's root: kept by the routing, else one query."""
    ancestors = getattr(page, "_route_ancestors", None)
    if ancestors is None:
        return list(page.get_ancestors().filter(depth__gt=1))
    return [ancestor for ancestor in ancestors if ancestor.depth > 1]


def _has_route(page_class, components) -> bool:
    try:
        page_class.get_resolver().resolve("/" + "/".join(components) + "/")
    except Http404:
        return False
    return True


class HomePage(OneQueryRouting, Page):
    """The district portal (区人大代表联络站网络首页)."""

    intro = RichTextField("简介", blank=True, features=["bold", "italic", "link"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["content.GeneralStationPage"]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = "区首页"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["general_station"] = GeneralStationPage.objects.filter(children_q(self)).live().first()
        context["centre_stations"] = (
            StationPage.objects.live().filter(level=StationLevel.CENTRE).select_related("street").order_by("path")
        )
        context["recent_activities"] = (
            ActivityPage.objects.live().filter(descendants_q(self)).order_by("-date", "-pk")[:6]
        )
        context["deputy_count"] = Deputy.objects.filter(is_active=True).count()
        context["station_counts"] = {
            row["level"]: row["n"]
            for row in StationPage.objects.live().order_by().values("level").annotate(n=models.Count("pk"))
        }
        return context


class StationLevel(models.TextChoices):
    GENERAL = "general", "联络总站"
    CENTRE = "centre", "中心站"
    STATION = "station", "联络站"
    POINT = "point", "联络点"


class StationType(models.TextChoices):
    DISTRICT = "district", "区级"
    STREET = "street", "街道"
    COMMUNITY = "community", "社区"
    PROFESSIONAL = "professional", "专业"
    VILLAGE = "village", "村（居）"
    PARK = "park", "园区"
    GRID = "grid", "网格"


class StationPage(RoutablePageMixin, Page):
    """Fields and behaviour shared by the four station levels.

    Not creatable itself: staff create one of the four level types below, whose
    parent/subpage rules keep the tree in order (总站 → 中心站 → 联络站 → 联络点).
    """

    level = models.CharField("层级", max_length=16, choices=StationLevel.choices, editable=False)
    station_type = models.CharField("类型", max_length=16, choices=StationType.choices, default=StationType.COMMUNITY)
    street = models.ForeignKey(
        Street,
        verbose_name="所属街道",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="stations",
        help_text="中心站选择其街道；下级站点自动继承所属中心站的街道。",
    )
    intro = models.TextField("简介", blank=True, max_length=500)
    address = models.CharField("地址", max_length=200, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    opening_hours = models.CharField("开放时间", max_length=120, blank=True, help_text="例如：工作日 9:00–17:00")
    phone = models.CharField("联系电话", max_length=32, blank=True)
    facilities = ParentalManyToManyField(Facility, verbose_name="设施与标准（九有）", blank=True)
    rules = RichTextField("制度上墙", blank=True, features=["h3", "bold", "ol", "ul", "link"])
    reception_procedure = RichTextField("接待流程", blank=True, features=["h3", "bold", "ol", "ul", "link"])
    signature_title = models.CharField("一站一品名称", max_length=80, blank=True)
    signature_story = StreamField(blocks.StoryBlock(), verbose_name="一站一品", blank=True)

    content_panels = Page.content_panels + [
        MultiFieldPanel(
            [FieldPanel("station_type"), FieldPanel("street"), FieldPanel("intro")],
            heading="站点",
        ),
        MultiFieldPanel(
            [
                FieldPanel("address"),
                FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")]),
                FieldRowPanel([FieldPanel("opening_hours"), FieldPanel("phone")]),
            ],
            heading="地址与开放",
        ),
        InlinePanel("photos", label="照片", heading="站点照片"),
    ]
    wall_panels = [
        InlinePanel("memberships", label="驻站代表", heading="墙上代表 Deputies on the wall"),
        FieldPanel("facilities", widget=forms.CheckboxSelectMultiple),
        FieldPanel("rules"),
        FieldPanel("reception_procedure"),
    ]
    reception_panels = [InlinePanel("reception_schedules", label="接待安排", heading="接待日安排")]
    signature_panels = [FieldPanel("signature_title"), FieldPanel("signature_story")]

    edit_handler = TabbedInterface(
        [
            ObjectList(content_panels, heading="站点信息"),
            ObjectList(wall_panels, heading="代表与上墙"),
            ObjectList(reception_panels, heading="接待日"),
            ObjectList(signature_panels, heading="一站一品"),
            ObjectList(Page.promote_panels, heading="推广"),
            ObjectList(Page.settings_panels, heading="设置"),
        ]
    )

    search_fields = bigram_title_fields(Page.search_fields) + [
        index.SearchField("search_text"),
        index.FilterField("level"),
        index.FilterField("street"),
    ]

    is_creatable = False
    # Set by each concrete level below.
    station_level: str = ""

    class Meta:
        verbose_name = "联络站点"
        verbose_name_plural = "联络站点"
        # Granted per station (django-guardian) to that station's staff group; rows of the
        # station and the contact points below it are scoped from this one grant.
        permissions = [("manage_station", "管理本站点的页面与数据")]

    # --- tree bookkeeping ----------------------------------------------------------------

    def clean(self):
        super().clean()
        if self.station_level == StationLevel.CENTRE and not self.street_id:
            raise ValidationError({"street": "中心站必须选择所属街道。"})

    def save(self, *args, **kwargs):
        self.level = self.station_level
        if self.station_level not in (StationLevel.GENERAL, StationLevel.CENTRE) and self.path:
            centre = StationPage.objects.filter(level=StationLevel.CENTRE).ancestor_of(self).only("street").first()
            if centre is not None:
                self.street_id = centre.street_id
        return super().save(*args, **kwargs)

    @property
    def map_url(self) -> str | None:
        if self.latitude is None or self.longitude is None:
            return None
        return settings.LIANLUO_MAP_URL_TEMPLATE.format(lat=self.latitude, lng=self.longitude, name=quote(self.title))

    def search_text(self):
        text = cjk_index_text(
            self.title,
            self.intro,
            self.address,
            self.signature_title,
            self.signature_story_text(),
            " ".join(m.deputy.name for m in self.memberships.select_related("deputy")),
        )
        markers = page_markers("station", self.live, self.path)
        if self.street_id:
            markers.append(street_marker(self.street_id))
        return with_markers(text, markers)

    def signature_story_text(self) -> str:
        return stream_text(self.signature_story)

    # --- data for the public page (a fixed number of queries) ------------------------------

    def wall_memberships(self):
        """The current memberships with their deputies and photos, and the photos' renditions
        for the wall read in the same query (content.jsonrows)."""
        memberships = _wall_memberships(self.pk, timezone.localdate())
        for membership in memberships:
            attach_renditions(membership.deputy.photo, membership._renditions, DEPUTY_PHOTO_SPEC)
        return memberships

    def upcoming_receptions(
        self, today: dt.date | None = None, count: int | None = None, memberships: list | None = None
    ):
        """The next reception days, in one query: each rule comes with its duty deputies and
        the holiday calendar's overrides as JSON rows (those on the wall, `memberships`, are
        the same objects as there)."""
        today = today or timezone.localdate()
        end = today + dt.timedelta(days=HORIZON_DAYS)
        count = count or settings.LIANLUO_UPCOMING_RECEPTIONS
        if isinstance(self.reception_schedules.all(), FakeQuerySet):
            # A preview or an old revision: the rules are the draft's, in memory, not rows.
            return occurrences_between(list(self.reception_schedules.all()), today, end, first=count)
        # The holiday calendar's overrides for the window come with the rules, as
        # occurrences_between would read them (40 days either side).
        schedules = _reception_rules(self.pk, today - dt.timedelta(days=40), end + dt.timedelta(days=40))
        if not schedules:
            return []
        wall = {m.deputy_id: m.deputy for m in memberships or ()}
        for schedule in schedules:
            schedule._state.fields_cache["station"] = self
            duty = sorted(
                (wall.get(row["id"]) or instances(Deputy, [row])[0] for row in schedule._duty or ()),
                key=lambda deputy: (deputy.name, deputy.pk),
            )
            prefetched = Deputy.objects.all()
            prefetched._result_cache, prefetched._prefetch_done = duty, True
            schedule._prefetched_objects_cache = {"duty_deputies": prefetched}
        workdays = WorkdayCalendar(
            overrides={day.date: (day.kind, day.name) for day in instances(CalendarDay, schedules[0]._calendar)}
        )
        return occurrences_between(schedules, today, end, workdays, first=count)

    def child_pages(self, request=None, activities: int = 6) -> tuple[list[PageLink], list[PageLink]]:
        """The live child stations (tree order) and the latest `activities` live activities
        (newest first), read together in one query as links (both are children of this page,
        so each one's address is this page's and its slug)."""
        activity_type = ContentType.objects.get_for_model(ActivityPage).pk
        rows = _child_pages(self.depth + 1, *children_range(self), activity_type, activities=activities)
        base = self.get_url(request)
        stations, found = [], []
        for row in rows:
            url = f"{base}{row['slug']}/" if base else None
            if row["stationpage__level"] is not None:
                level = row["stationpage__level"]
                label = StationLevel(level).label if level in StationLevel.values else level
                stations.append(PageLink(row["pk"], row["title"], url, label, address=row["stationpage__address"]))
            elif row["content_type_id"] == activity_type:
                kind = row["activitypage__kind"]
                label = ActivityKind(kind).label if kind in ActivityKind.values else kind
                found.append(PageLink(row["pk"], row["title"], url, label, date=row["activitypage__date"]))
        found.sort(key=lambda activity: (activity.date, activity.pk), reverse=True)
        return stations, found

    def station_photos(self):
        if isinstance(self.photos.all(), FakeQuerySet):  # a preview or an old revision: in memory
            return list(self.photos.all())
        photos = _station_photos(self.pk)
        for photo in photos:
            attach_renditions(photo.image, photo._renditions)
        return photos

    def facility_list(self) -> list[Facility]:
        """The station's facilities: read by the routing with the page (names and order), else
        one query."""
        rows = getattr(self, "_route_facilities", None)
        if rows is None:
            return list(self.facilities.all())
        return sorted(instances(Facility, rows), key=lambda facility: (facility.sort_order, facility.name))

    def get_view_restrictions(self):
        # Routing saw every page from the root to this one: none restricted, none an alias.
        if getattr(self, "_route_unrestricted", False):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        child_stations, activities = self.child_pages(request)
        memberships = self.wall_memberships()
        context.update(
            station=self,
            breadcrumbs=breadcrumbs(self),
            memberships=memberships,
            receptions=self.upcoming_receptions(memberships=memberships),
            child_stations=child_stations,
            activities=activities,
            photos=self.station_photos(),
            facility_list=self.facility_list(),
        )
        # What other apps show on every station page (workflows: its handled results).
        for construct in hooks.get_hooks("construct_station_page_context"):
            construct(self, request, context)
        return context

    # --- extra public routes ---------------------------------------------------------------

    @classmethod
    def get_subpage_urls(cls):
        """This class's routes, then those other apps add to every station page through the
        `register_station_page_urls` hook (workflows: the opinion form). Each is a `path()`
        whose view is called like a method of the page: view(page, request, ...)."""
        added = [route for register in hooks.get_hooks("register_station_page_urls") for route in register()]
        return (*super().get_subpage_urls(), *added)

    def get_cached_paths(self):
        """What the page cache holds for a station (content.page_purge): the page, its print
        card and its calendar."""
        return ["/", "/card/", "/calendar/"]

    @path("")
    def station_home(self, request):
        return self.render(request)

    @path("calendar/", name="reception_ics")
    def reception_ics(self, request):
        body = station_calendar(self, request)
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'inline; filename="station-{self.pk}.ics"'
        return response

    @path("qr/", name="qr")
    def qr_code(self, request):
        # ?src=qr: an opinion sent after scanning is recorded as coming through the QR code.
        return qr_svg_response(request.build_absolute_uri(self.url) + "?src=qr")

    @path("card/", name="card")
    def print_card(self, request):
        return render(
            request,
            "content/station_card.html",
            {
                "station": self,
                "page": self,
                "qr_svg": qr_svg_markup(request.build_absolute_uri(self.url) + "?src=qr"),
                "memberships": (memberships := self.wall_memberships()),
                "receptions": self.upcoming_receptions(count=3, memberships=memberships),
            },
        )


class GeneralStationPage(StationPage):
    station_level = StationLevel.GENERAL
    parent_page_types = ["content.HomePage"]
    # The yearly publication of deputies' points (duties) sits under the 总站 too; any station
    # designated a legislative contact point (立法联系点) holds its drafts for comment.
    subpage_types = [
        "content.CentreStationPage",
        "content.ActivityPage",
        "duties.PointsPublicationPage",
        "legislation.DraftPage",
    ]
    max_count_per_parent = 1
    template = "content/station_page.html"

    class Meta:
        verbose_name = "联络总站"
        verbose_name_plural = "联络总站"


class CentreStationPage(StationPage):
    station_level = StationLevel.CENTRE
    parent_page_types = ["content.GeneralStationPage"]
    subpage_types = [
        "content.LiaisonStationPage",
        "content.ContactPointPage",
        "content.ActivityPage",
        "legislation.DraftPage",
    ]
    template = "content/station_page.html"

    class Meta:
        verbose_name = "中心站"
        verbose_name_plural = "中心站"

    def save(self, *args, **kwargs):
        result = super().save(*args, **kwargs)
        # Keep the denormalised street of the whole subtree in step with the centre station.
        if self.path and self.street_id:
            StationPage.objects.descendant_of(self).exclude(street_id=self.street_id).update(street_id=self.street_id)
        return result


class LiaisonStationPage(StationPage):
    station_level = StationLevel.STATION
    parent_page_types = ["content.CentreStationPage"]
    subpage_types = ["content.ContactPointPage", "content.ActivityPage", "legislation.DraftPage"]
    template = "content/station_page.html"

    class Meta:
        verbose_name = "联络站"
        verbose_name_plural = "联络站"


class ContactPointPage(StationPage):
    station_level = StationLevel.POINT
    parent_page_types = ["content.CentreStationPage", "content.LiaisonStationPage"]
    # A contact point may be designated a legislative contact point (立法联系点): drafts below it.
    subpage_types = ["content.ActivityPage", "legislation.DraftPage"]
    template = "content/station_page.html"

    class Meta:
        verbose_name = "联络点"
        verbose_name_plural = "联络点"


STATION_PAGE_MODELS = (GeneralStationPage, CentreStationPage, LiaisonStationPage, ContactPointPage)
# The levels whose table holds only the link to StationPage: routing builds them from its row.
_COLUMNLESS_STATION_CLASSES = frozenset(
    model
    for model in STATION_PAGE_MODELS
    if [field.attname for field in model._meta.concrete_fields if field.model is model] == [model._meta.pk.attname]
)


class StationPhoto(Orderable):
    station = ParentalKey(StationPage, related_name="photos", on_delete=models.CASCADE)
    image = models.ForeignKey(IMAGE_MODEL, verbose_name="图片", on_delete=models.CASCADE, related_name="+")
    caption = models.CharField("说明", max_length=120, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]

    class Meta(Orderable.Meta):
        verbose_name = "站点照片"


# --------------------------------------------------------------------------------------------
# Memberships (Popolo Membership)
# --------------------------------------------------------------------------------------------


class MembershipRole(models.TextChoices):
    HEAD = "head", "站长"
    DEPUTY_HEAD = "deputy_head", "副站长"
    LIAISON = "liaison", "联络员"
    RESIDENT = "resident", "进站代表"


ROLE_RANK = {
    MembershipRole.HEAD: 0,
    MembershipRole.DEPUTY_HEAD: 1,
    MembershipRole.LIAISON: 2,
    MembershipRole.RESIDENT: 3,
}


class MembershipQuerySet(models.QuerySet):
    def current(self, on: dt.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(start_date__isnull=True) | Q(start_date__lte=on)).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)
        )


class Membership(Orderable):
    """A deputy's post at a station ("进站"), managed on the station page's 代表 tab.

    Kept as a child of the page so changes to the wall travel with the page's revisions and
    moderation; one deputy may hold memberships at several stations.
    """

    station = ParentalKey(StationPage, related_name="memberships", on_delete=models.CASCADE, verbose_name="联络站")
    deputy = models.ForeignKey(Deputy, related_name="memberships", on_delete=models.PROTECT, verbose_name="代表")
    role = models.CharField("职务", max_length=16, choices=MembershipRole.choices, default=MembershipRole.RESIDENT)
    role_rank = models.PositiveSmallIntegerField(editable=False, default=3)
    duty_phone = models.CharField("值班电话", max_length=32, blank=True)
    start_date = models.DateField("进站日期", null=True, blank=True)
    end_date = models.DateField("离站日期", null=True, blank=True)

    history = ClusterHistoricalRecords()
    objects = MembershipQuerySet.as_manager()

    panels = [
        FieldPanel("deputy"),
        FieldRowPanel([FieldPanel("role"), FieldPanel("duty_phone")]),
        FieldRowPanel([FieldPanel("start_date"), FieldPanel("end_date")]),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "驻站代表"
        verbose_name_plural = "驻站代表"
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="membership_end_after_start",
            )
        ]

    def __str__(self):
        return f"{self.deputy.name} · {self.get_role_display()}"

    def clean(self):
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "离站日期不能早于进站日期。"})

    def save(self, *args, **kwargs):
        self.role_rank = ROLE_RANK.get(self.role, 9)
        return super().save(*args, **kwargs)


# --------------------------------------------------------------------------------------------
# Reception schedules
# --------------------------------------------------------------------------------------------


WEEKDAY_CHOICES = list(enumerate(WEEKDAY_NAMES))
WEEK_OF_MONTH_CHOICES = [(1, "第一周"), (2, "第二周"), (3, "第三周"), (4, "第四周"), (-1, "最后一周")]


class ReceptionSchedule(ClusterableModel, Orderable):
    """A reception-day rule, e.g. 每月第三周的星期二 09:00–11:30, or a one-off date.

    "第N周的星期X" means the Nth such weekday of the month, as stations announce it.
    """

    station = ParentalKey(StationPage, related_name="reception_schedules", on_delete=models.CASCADE)
    title = models.CharField("名称", max_length=60, default="代表接待日", help_text="例如：代表联系服务群众日")
    recurrence = models.CharField("重复方式", max_length=16, choices=Recurrence.choices, default=Recurrence.MONTHLY)
    week_of_month = models.SmallIntegerField("第几周", choices=WEEK_OF_MONTH_CHOICES, null=True, blank=True)
    weekday = models.PositiveSmallIntegerField("星期", choices=WEEKDAY_CHOICES, null=True, blank=True)
    date = models.DateField("日期（单次）", null=True, blank=True)
    start_time = models.TimeField("开始时间", default=dt.time(9, 0))
    end_time = models.TimeField("结束时间", default=dt.time(11, 30))
    holiday_rule = models.CharField(
        "节假日处理", max_length=16, choices=HolidayRule.choices, default=HolidayRule.POSTPONE_WEEK
    )
    valid_from = models.DateField("生效日期", null=True, blank=True)
    valid_until = models.DateField("截止日期", null=True, blank=True)
    duty_deputies = ParentalManyToManyField(
        Deputy, verbose_name="值班代表", blank=True, related_name="reception_duties"
    )
    note = models.CharField("备注", max_length=120, blank=True)

    history = ClusterHistoricalRecords(m2m_fields=[duty_deputies])

    panels = [
        FieldPanel("title"),
        FieldRowPanel([FieldPanel("recurrence"), FieldPanel("week_of_month"), FieldPanel("weekday")]),
        FieldPanel("date"),
        FieldRowPanel([FieldPanel("start_time"), FieldPanel("end_time")]),
        FieldPanel("holiday_rule"),
        FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
        FieldPanel("duty_deputies"),
        FieldPanel("note"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "接待安排"
        verbose_name_plural = "接待安排"

    def __str__(self):
        return f"{self.title}：{self.describe()}"

    def clean(self):
        errors = {}
        if self.recurrence == Recurrence.ONCE and not self.date:
            errors["date"] = "单次接待请填写日期。"
        if self.recurrence in (Recurrence.MONTHLY, Recurrence.WEEKLY) and self.weekday is None:
            errors["weekday"] = "请选择星期几。"
        if self.recurrence == Recurrence.MONTHLY and self.week_of_month is None:
            errors["week_of_month"] = "请选择每月第几周。"
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            errors["end_time"] = "结束时间必须晚于开始时间。"
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = "截止日期不能早于生效日期。"
        if errors:
            raise ValidationError(errors)

    def describe(self) -> str:
        times = f"{self.start_time:%H:%M}–{self.end_time:%H:%M}"
        weekday = dict(WEEKDAY_CHOICES).get(self.weekday, "")
        if self.recurrence == Recurrence.ONCE:
            base = f"{self.date:%Y年%-m月%-d日}" if self.date else ""
        elif self.recurrence == Recurrence.WEEKLY:
            base = f"每周{weekday}"
        else:
            week = dict(WEEK_OF_MONTH_CHOICES).get(self.week_of_month, "")
            base = f"每月{week}的{weekday}"
        rule = "" if self.recurrence == Recurrence.ONCE else f"，{self.get_holiday_rule_display()}"
        return f"{base} {times}{rule}"


# --------------------------------------------------------------------------------------------
# Activities
# --------------------------------------------------------------------------------------------


class ActivityKind(models.TextChoices):
    RECEPTION = "reception", "接待选民"
    RESEARCH = "research", "调研视察"
    FORUM = "forum", "座谈议事"
    TRAINING = "training", "学习培训"
    REPORT = "report", "向选民述职"
    LEGISLATION = "legislation", "立法征询"
    OTHER = "other", "其他"


class ActivityPage(Page):
    """An activity at a station (a child page of the station)."""

    date = models.DateField("活动日期", default=dt.date.today)
    kind = models.CharField("活动类型", max_length=16, choices=ActivityKind.choices, default=ActivityKind.RECEPTION)
    summary = models.TextField("摘要", max_length=300, blank=True)
    body = StreamField(blocks.StoryBlock(), verbose_name="正文", blank=True)
    deputies = ParentalManyToManyField(Deputy, verbose_name="参加代表", blank=True, related_name="activities")

    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("date"), FieldPanel("kind")]),
        FieldPanel("summary"),
        FieldPanel("deputies"),
        FieldPanel("body"),
    ]
    search_fields = bigram_title_fields(Page.search_fields) + [
        index.SearchField("search_text"),
        index.FilterField("date"),
    ]

    parent_page_types = [m._meta.label for m in STATION_PAGE_MODELS]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = "活动"
        verbose_name_plural = "活动"

    def search_text(self):
        text = cjk_index_text(self.title, self.summary, stream_text(self.body))
        return with_markers(text, page_markers("activity", self.live, self.path))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["breadcrumbs"] = breadcrumbs(self)
        context["activity_deputies"] = list(self.deputies.all())
        return context


# --------------------------------------------------------------------------------------------
# The station page's queries, compiled once per process (base.prepared)
# --------------------------------------------------------------------------------------------


@prepared
def _wall_memberships(station_id, today):
    return (
        Membership.objects.current(today)
        .filter(station_id=station_id)
        .select_related("deputy", "deputy__photo")
        .annotate(_renditions=rendition_rows(DEPUTY_PHOTO_SPEC, "deputy__photo_id"))
        .order_by("role_rank", "sort_order", "pk")
    )


@prepared
def _reception_rules(station_id, calendar_from, calendar_to):
    """A station's reception rules, each with its duty deputies, and the holiday calendar's
    overrides between the two dates (the same on every rule), as JSON rows."""
    through = ReceptionSchedule.duty_deputies.through
    deputy_fields = {field.attname: f"deputy__{field.attname}" for field in Deputy._meta.concrete_fields}
    overrides = CalendarDay.objects.filter(date__gte=calendar_from, date__lte=calendar_to)
    return (
        ReceptionSchedule.objects.filter(station_id=station_id)
        .annotate(
            _duty=json_rows(through.objects.all(), "receptionschedule", **deputy_fields),
            _calendar=json_rows_all(overrides, id="id", date="date", kind="kind", name="name"),
        )
        .order_by("sort_order", "pk")
    )


@dataclass(frozen=True)
class PageLink:
    """A child page as its parent's page lists it: a link, and what is written beside it (a
    station's level and address, an activity's kind and date)."""

    pk: int
    title: str
    url: str | None
    label: str
    address: str = ""
    date: dt.date | None = None


@prepared
def _child_pages(depth, path_from, path_to, activity_type, *, activities):
    """The live child pages that are not activities (tree order), and the latest `activities`
    live activities (content type `activity_type`), of the page whose children are at `depth`
    between the two paths. Both
    halves of the condition are on the page table, so each uses an index; not-an-activity
    rather than one of the station types, a condition the content type index cannot answer,
    so SQLite takes the path index for this half."""
    children = Q(depth=depth, path__range=(path_from, path_to))
    latest = ActivityPage.objects.filter(children, live=True).order_by("-date", "-pk").values("pk")[:activities]
    return (
        Page.objects.filter(Q(children, ~Q(content_type_id=activity_type), live=True) | Q(pk__in=latest))
        .order_by("path")
        .values(
            "pk",
            "title",
            "slug",
            "content_type_id",
            "stationpage__level",
            "stationpage__address",
            "activitypage__date",
            "activitypage__kind",
        )
    )


@prepared
def _station_photos(station_id):
    return (
        StationPhoto.objects.filter(station_id=station_id)
        .select_related("image")
        .annotate(_renditions=rendition_rows(STATION_PHOTO_SPEC, "image_id"))
        .order_by("sort_order", "pk")
    )
