"""Popolo JSON (http://www.popoloproject.com/): deputies as persons, the station tree and the
streets as organizations, deputies' places at stations as memberships, station posts.

Only what the public site shows: active deputies (the directory's), live stations outside
private sections, and of a deputy only what the public deputy page shows — never a phone, an
e-mail address, an ID number or a home address (a deputy's public phone and e-mail and the duty
phone on the station wall stay on the pages, where a visitor reads them in context; other
systems get the page link). Everything is loaded in a fixed number of queries, whatever the
size of the district.

Mapping:
- Person `person/<id>`: a `Deputy`, with congress level, term, constituency and occupation as
  extra properties (Popolo has none for them; its schemas allow extra properties).
- Organization `station/<id>`: a station page, `classification` its level (联络总站 / 中心站 /
  联络站 / 联络点), `parent_id` the nearest public station above it; `street/<id>`: a street
  (街道), which each station names in `street_id`.
- Membership `membership/<id>`: a `Membership` row, current or ended (`end_date`), with its role.
- Post `post/<station id>/<role>`: a leading position at a station (站长, 副站长, 联络员) that
  somebody has held there; 进站代表 is a plain membership, not a post.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote

from django.conf import settings
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

from wagtail.images import get_image_model
from wagtail.models import Site

from content.models import (
    DEPUTY_PHOTO_SPEC,
    CongressLevel,
    Deputy,
    Membership,
    MembershipRole,
    StationLevel,
    StationPage,
    StationType,
    Street,
)

POST_ROLES = (MembershipRole.HEAD, MembershipRole.DEPUTY_HEAD, MembershipRole.LIAISON)
STREET_CLASSIFICATION = "街道"
DIVISION_CODE_SCHEME = "行政区划代码"
CONGRESS_LEVEL_LABELS = dict(CongressLevel.choices)  # not get_..._display(): it flattens the choices each call
LEVEL_LABELS = dict(StationLevel.choices)
TYPE_LABELS = dict(StationType.choices)
# Rows, not model instances: a page object costs ~0.2 ms to build, a district has 20,000.
STATION_FIELDS = (
    "pk",
    "title",
    "path",
    "url_path",
    "level",
    "station_type",
    "street_id",
    "intro",
    "address",
    "phone",
    "latitude",
    "longitude",
)
DEPUTY_FIELDS = (
    "pk",
    "name",
    "gender",
    "congress_level",
    "term",
    "constituency",
    "occupation",
    "biography",
    "photo_id",
)
MEMBERSHIP_FIELDS = ("pk", "station_id", "deputy_id", "role", "start_date", "end_date")


def person_id(pk) -> str:
    return f"person/{pk}"


def station_id(pk) -> str:
    return f"station/{pk}"


def street_id(pk) -> str:
    return f"street/{pk}"


def membership_id(pk) -> str:
    return f"membership/{pk}"


def post_id(station_pk, role) -> str:
    return f"post/{station_pk}/{role}"


def public_stations():
    """Station pages the public can open: live and in no private section."""
    return StationPage.objects.live().public()


def public_deputies():
    """Deputies the public directory lists (a deputy out of office has no public page)."""
    return Deputy.objects.filter(is_active=True)


def _date(value) -> str | None:
    return value.isoformat() if value else None


def _ancestor_paths(path: str) -> list[str]:
    step = StationPage.steplen
    return [path[:end] for end in range(len(path) - step, 0, -step)]  # nearest first


@dataclass
class Popolo:
    """The public Popolo data of the district, each part loaded once, on first use."""

    request: object

    def __post_init__(self):
        self.links = Links(self.request)

    # --- loading (a fixed number of queries) ----------------------------------------------

    @cached_property
    def stations(self) -> list[dict]:
        """Public stations in tree order, with their page URL; a page under no site has none
        and is not public."""
        found = []
        for row in public_stations().order_by("path").values(*STATION_FIELDS):
            row["url"] = self.links.page(row["url_path"])
            if row["url"] is not None:
                found.append(row)
        return found

    @cached_property
    def station_by_pk(self) -> dict[int, dict]:
        return {station["pk"]: station for station in self.stations}

    @cached_property
    def streets(self) -> list[Street]:
        return list(Street.objects.order_by("sort_order", "name", "pk"))

    @cached_property
    def deputies(self) -> list[dict]:
        rows = list(public_deputies().order_by("name", "pk").values(*DEPUTY_FIELDS))
        self.links.load_photos(public_deputies())
        return rows

    @cached_property
    def deputy_pks(self) -> set[int]:
        if "deputies" in self.__dict__:  # the whole document has them loaded already
            return {deputy["pk"] for deputy in self.deputies}
        return set(public_deputies().values_list("pk", flat=True))

    @cached_property
    def membership_rows(self) -> list[dict]:
        """Memberships at public stations (every deputy's: posts exist whoever held them)."""
        rows = (
            Membership.objects.filter(station__live=True)
            .order_by("station__path", "role_rank", "sort_order", "pk")
            .values(*MEMBERSHIP_FIELDS)
        )
        return [row for row in rows if row["station_id"] in self.station_by_pk]

    # --- the four lists -------------------------------------------------------------------

    def persons(self) -> list[dict]:
        return [person_json(deputy, self.links) for deputy in self.deputies]

    def organizations(self) -> list[dict]:
        streets = [street_json(street, self.links) for street in self.streets]
        by_path = {station["path"]: station["pk"] for station in self.stations}
        return streets + [
            station_json(station, self._nearest_parent(station["path"], by_path), self.links)
            for station in self.stations
        ]

    def memberships(self) -> list[dict]:
        public = self.deputy_pks
        return [
            membership_json(row, self.station_by_pk[row["station_id"]]["title"])
            for row in self.membership_rows
            if row["deputy_id"] in public
        ]

    def posts(self) -> list[dict]:
        held = dict.fromkeys(
            (row["station_id"], row["role"]) for row in self.membership_rows if row["role"] in POST_ROLES
        )
        ordered = sorted(held, key=lambda key: (self.station_by_pk[key[0]]["path"], POST_ROLES.index(key[1])))
        return [post_json(pk, self.station_by_pk[pk]["title"], role) for pk, role in ordered]

    def document(self) -> dict:
        return {
            "persons": self.persons(),
            "organizations": self.organizations(),
            "memberships": self.memberships(),
            "posts": self.posts(),
        }

    # --- one object each --------------------------------------------------------------------

    def person(self, pk: int) -> dict | None:
        deputy = public_deputies().filter(pk=pk).values(*DEPUTY_FIELDS).first()
        if deputy is None:
            return None
        self.links.load_photos(public_deputies().filter(pk=pk))
        rows = (
            Membership.objects.filter(deputy_id=pk, station__in=public_stations())
            .order_by("station__path", "role_rank", "pk")
            .values(*MEMBERSHIP_FIELDS, "station__title")
        )
        data = person_json(deputy, self.links)
        data["memberships"] = [membership_json(row, row["station__title"]) for row in rows]
        return data

    def station(self, pk: int) -> dict | None:
        station = public_stations().filter(pk=pk).values(*STATION_FIELDS).first()
        station_url = station and self.links.page(station["url_path"])
        if station_url is None:
            return None
        station["url"] = station_url
        above = public_stations().filter(path__in=_ancestor_paths(station["path"]))
        parent = above.order_by("-depth").values_list("pk", flat=True).first()
        data = station_json(station, parent, self.links)
        rows = list(
            Membership.objects.filter(station_id=pk)
            .order_by("role_rank", "sort_order", "pk")
            .values(*MEMBERSHIP_FIELDS, "deputy__is_active")
        )
        title = station["title"]
        data["memberships"] = [membership_json(row, title) for row in rows if row["deputy__is_active"]]
        roles = dict.fromkeys(row["role"] for row in rows if row["role"] in POST_ROLES)
        data["posts"] = [post_json(pk, title, role) for role in sorted(roles, key=POST_ROLES.index)]
        return data

    def street(self, pk: int) -> dict | None:
        street = Street.objects.filter(pk=pk).first()
        return street and street_json(street, self.links)

    def membership(self, pk: int) -> dict | None:
        found = (
            Membership.objects.filter(pk=pk, deputy__in=public_deputies(), station__in=public_stations())
            .values(*MEMBERSHIP_FIELDS, "station__title")
            .first()
        )
        return found and membership_json(found, found["station__title"])

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _nearest_parent(path: str, public_paths: dict[str, int]) -> int | None:
        """The nearest public station above: a live station under an unpublished one is served
        (Wagtail passes unpublished pages on the way), so its parent is the next one up."""
        for above in _ancestor_paths(path):
            if above in public_paths:
                return public_paths[above]
        return None


# --- one object to JSON ---------------------------------------------------------------------


class Links:
    """Absolute URLs for thousands of objects: one reverse() per kind of URL, page URLs from
    their url_path, and each photo's rendition looked up once."""

    PLACEHOLDER = "2147483647"

    def __init__(self, request):
        self.request = request
        self._patterns: dict[str, tuple[str, str]] = {}
        self._photos: dict[int, str] = {}

    def absolute(self, url: str) -> str:
        return self.request.build_absolute_uri(url)

    def of(self, name: str, pk) -> str:
        if name not in self._patterns:
            url = self.absolute(reverse(name, args=[self.PLACEHOLDER]))
            self._patterns[name] = tuple(url.split(self.PLACEHOLDER, 1))
        before, after = self._patterns[name]
        return f"{before}{pk}{after}"

    # --- pages ---------------------------------------------------------------------------------

    @cached_property
    def _sites(self):
        roots = Site.get_site_root_paths()  # cached by Wagtail
        current = Site.find_for_request(self.request)
        single = len({root.site_id for root in roots}) == 1
        return roots, (current.pk if current else None), single, reverse("wagtail_serve", args=("",))

    def page(self, url_path: str) -> str | None:
        """The absolute URL of a page, as `Page.get_url_parts()` makes it (the first site whose
        root holds the page; the path reversed through wagtail_serve, so quoted as reverse()
        quotes), without a page object; None for a page under no site."""
        roots, current, single, serve = self._sites
        for root in roots:
            if url_path.startswith(root.root_path):
                page_path = serve + quote(url_path[len(root.root_path) :], safe=RFC3986_SUBDELIMS + "/~:@")
                if not getattr(settings, "WAGTAIL_APPEND_SLASH", True) and page_path != "/":
                    page_path = page_path.rstrip("/")
                return self.absolute(page_path) if single or root.site_id == current else root.root_url + page_path
        return None

    # --- photos --------------------------------------------------------------------------------

    def load_photos(self, deputies):
        """The renditions the public deputy page shows for these deputies' photos: two queries,
        and for a photo never shown before its rendition is made here, once."""
        image_model = get_image_model()
        photo_ids = deputies.exclude(photo=None).values("photo_id")
        renditions = image_model.get_rendition_model().objects.filter(
            image_id__in=photo_ids, filter_spec=DEPUTY_PHOTO_SPEC
        )
        for rendition in renditions:
            self._photos.setdefault(rendition.image_id, self.absolute(rendition.url))
        for image in image_model.objects.filter(pk__in=photo_ids).exclude(renditions__filter_spec=DEPUTY_PHOTO_SPEC):
            self._photos[image.pk] = self.absolute(image.get_rendition(DEPUTY_PHOTO_SPEC).url)

    def photo(self, image_id) -> str | None:
        return self._photos.get(image_id) if image_id else None


def _link(url: str, note: str) -> dict:
    return {"url": url, "note": note}


def person_json(deputy: dict, links: Links) -> dict:
    pk, level = deputy["pk"], CONGRESS_LEVEL_LABELS.get(deputy["congress_level"], "")
    return {
        "id": person_id(pk),
        "name": deputy["name"],
        "gender": deputy["gender"] or None,
        "image": links.photo(deputy["photo_id"]),
        "summary": " · ".join(part for part in (level, deputy["term"]) if part),
        "biography": deputy["biography"] or None,
        "links": [
            _link(links.of("deputy_detail", pk), "代表主页"),
            _link(links.of("api:calendar_deputy", pk), "接待值班日历"),
        ],
        "congress_level": deputy["congress_level"],
        "congress_level_label": level,
        "term": deputy["term"] or None,
        "constituency": deputy["constituency"] or None,
        "occupation": deputy["occupation"] or None,
    }


def station_json(station: dict, parent_pk: int | None, links: Links) -> dict:
    contact_details = []
    if station["address"]:
        contact_details.append({"type": "address", "label": "地址", "value": station["address"]})
    if station["phone"]:
        contact_details.append({"type": "voice", "label": "联系电话", "value": station["phone"]})
    data = {
        "id": station_id(station["pk"]),
        "name": station["title"],
        "classification": LEVEL_LABELS.get(station["level"]),
        "parent_id": station_id(parent_pk) if parent_pk else None,
        "description": station["intro"] or None,
        "contact_details": contact_details,
        "links": [
            _link(station["url"], "站点主页"),
            _link(links.of("api:calendar_station", station["pk"]), "接待日日历"),
        ],
        "level": station["level"],
        "station_type": station["station_type"],
        "station_type_label": TYPE_LABELS.get(station["station_type"]),
        "street_id": street_id(station["street_id"]) if station["street_id"] else None,
    }
    if station["latitude"] is not None and station["longitude"] is not None:
        data["latitude"], data["longitude"] = float(station["latitude"]), float(station["longitude"])
    return data


def street_json(street: Street, links: Links) -> dict:
    calendar = links.absolute(reverse("api:calendar_district")) + f"?street={quote(street.slug)}"
    return {
        "id": street_id(street.pk),
        "name": street.name,
        "classification": STREET_CLASSIFICATION,
        "parent_id": None,
        "identifiers": (
            [{"scheme": DIVISION_CODE_SCHEME, "identifier": street.division_code}] if street.division_code else []
        ),
        "links": [_link(calendar, "本街道接待日日历")],
        "slug": street.slug,
    }


def membership_json(row: dict, station_title: str) -> dict:
    role = MembershipRole(row["role"])
    return {
        "id": membership_id(row["pk"]),
        "label": f"{station_title}{role.label}",
        "role": role.label,
        "person_id": person_id(row["deputy_id"]),
        "organization_id": station_id(row["station_id"]),
        "post_id": post_id(row["station_id"], role.value) if role in POST_ROLES else None,
        "start_date": _date(row["start_date"]),
        "end_date": _date(row["end_date"]),
        "role_code": role.value,
    }


def post_json(station_pk: int, station_title: str, role: str) -> dict:
    role = MembershipRole(role)
    return {
        "id": post_id(station_pk, role.value),
        "label": f"{station_title}{role.label}",
        "role": role.label,
        "organization_id": station_id(station_pk),
        "role_code": role.value,
    }
