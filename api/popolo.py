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

from dataclasses import dataclass, field
from functools import cached_property

from django.urls import reverse

from content.models import (
    DEPUTY_PHOTO_SPEC,
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
# The station fields the organizations need (get_url reads url_path).
STATION_FIELDS = (
    "pk",
    "title",
    "path",
    "depth",
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


def _parent_path(path: str) -> str:
    return path[: -StationPage.steplen]


@dataclass
class Popolo:
    """The public Popolo data of the district, each part loaded once, on first use."""

    request: object
    _station_urls: dict = field(default_factory=dict)

    # --- loading (a fixed number of queries) ----------------------------------------------

    @cached_property
    def stations(self) -> list[StationPage]:
        """Public stations in tree order; those under no site (no URL) are not public."""
        found = []
        for station in public_stations().only(*STATION_FIELDS).order_by("path"):
            url = station.get_url(self.request)
            if url is not None:
                self._station_urls[station.pk] = self.request.build_absolute_uri(url)
                found.append(station)
        return found

    @cached_property
    def station_by_pk(self) -> dict[int, StationPage]:
        return {station.pk: station for station in self.stations}

    @cached_property
    def streets(self) -> list[Street]:
        return list(Street.objects.order_by("sort_order", "name", "pk"))

    @cached_property
    def deputies(self) -> list[Deputy]:
        return list(public_deputies().with_photo_renditions().order_by("name", "pk"))

    @cached_property
    def deputy_pks(self) -> set[int]:
        if "deputies" in self.__dict__:  # the whole document has them loaded already
            return {deputy.pk for deputy in self.deputies}
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
        return [person_json(deputy, self.request) for deputy in self.deputies]

    def organizations(self) -> list[dict]:
        streets = [street_json(street, self.request) for street in self.streets]
        parents = {station.path: station.pk for station in self.stations}
        return streets + [
            station_json(station, self._nearest_parent(station, parents), self._station_urls[station.pk], self.request)
            for station in self.stations
        ]

    def memberships(self) -> list[dict]:
        public = self.deputy_pks
        return [
            membership_json(row, self.station_by_pk[row["station_id"]])
            for row in self.membership_rows
            if row["deputy_id"] in public
        ]

    def posts(self) -> list[dict]:
        held = dict.fromkeys(
            (row["station_id"], row["role"]) for row in self.membership_rows if row["role"] in POST_ROLES
        )
        ordered = sorted(held, key=lambda key: (self.station_by_pk[key[0]].path, POST_ROLES.index(key[1])))
        return [post_json(self.station_by_pk[pk], role) for pk, role in ordered]

    def document(self) -> dict:
        return {
            "persons": self.persons(),
            "organizations": self.organizations(),
            "memberships": self.memberships(),
            "posts": self.posts(),
        }

    # --- one object each --------------------------------------------------------------------

    def person(self, pk: int) -> dict | None:
        deputy = public_deputies().with_photo_renditions().filter(pk=pk).first()
        if deputy is None:
            return None
        rows = (
            Membership.objects.filter(deputy=deputy, station__in=public_stations())
            .select_related("station")
            .order_by("station__path", "role_rank", "pk")
        )
        data = person_json(deputy, self.request)
        data["memberships"] = [membership_json(_row(m), m.station) for m in rows]
        return data

    def station(self, pk: int) -> dict | None:
        station = public_stations().only(*STATION_FIELDS).filter(pk=pk).first()
        url = station and station.get_url(self.request)
        if url is None:
            return None
        parent = public_stations().ancestor_of(station).only("pk").order_by("-depth").first()
        data = station_json(station, parent and parent.pk, self.request.build_absolute_uri(url), self.request)
        rows = list(
            Membership.objects.filter(station=station)
            .order_by("role_rank", "sort_order", "pk")
            .values(*MEMBERSHIP_FIELDS, "deputy__is_active")
        )
        data["memberships"] = [membership_json(row, station) for row in rows if row["deputy__is_active"]]
        roles = dict.fromkeys(row["role"] for row in rows if row["role"] in POST_ROLES)
        data["posts"] = [post_json(station, role) for role in sorted(roles, key=POST_ROLES.index)]
        return data

    def street(self, pk: int) -> dict | None:
        street = Street.objects.filter(pk=pk).first()
        return street and street_json(street, self.request)

    def membership(self, pk: int) -> dict | None:
        found = (
            Membership.objects.filter(pk=pk, deputy__in=public_deputies(), station__in=public_stations())
            .select_related("station")
            .first()
        )
        return found and membership_json(_row(found), found.station)

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _nearest_parent(station: StationPage, public_paths: dict[str, int]) -> int | None:
        """The nearest public station above: a live station under an unpublished one is served
        (Wagtail passes unpublished pages on the way), so its parent is the next one up."""
        path = _parent_path(station.path)
        while len(path) >= StationPage.steplen:
            if path in public_paths:
                return public_paths[path]
            path = _parent_path(path)
        return None


def _row(membership: Membership) -> dict:
    return {name: getattr(membership, name) for name in MEMBERSHIP_FIELDS}


# --- one object to JSON ---------------------------------------------------------------------


def _link(url: str, note: str) -> dict:
    return {"url": url, "note": note}


def photo_url(deputy: Deputy, request) -> str | None:
    """The photo as the public page shows it (its rendition, prefetched with the deputy)."""
    if deputy.photo is None:
        return None
    return request.build_absolute_uri(deputy.photo.get_rendition(DEPUTY_PHOTO_SPEC).url)


def person_json(deputy: Deputy, request) -> dict:
    level = deputy.get_congress_level_display()
    return {
        "id": person_id(deputy.pk),
        "name": deputy.name,
        "gender": deputy.gender or None,
        "image": photo_url(deputy, request),
        "summary": " · ".join(part for part in (level, deputy.term) if part),
        "biography": deputy.biography or None,
        "links": [
            _link(request.build_absolute_uri(deputy.get_absolute_url()), "代表主页"),
            _link(request.build_absolute_uri(reverse("api:calendar_deputy", args=[deputy.pk])), "接待值班日历"),
        ],
        "congress_level": deputy.congress_level,
        "congress_level_label": level,
        "term": deputy.term or None,
        "constituency": deputy.constituency or None,
        "occupation": deputy.occupation or None,
    }


def station_json(station: StationPage, parent_pk: int | None, url: str, request) -> dict:
    contact_details = []
    if station.address:
        contact_details.append({"type": "address", "label": "地址", "value": station.address})
    if station.phone:
        contact_details.append({"type": "voice", "label": "联系电话", "value": station.phone})
    data = {
        "id": station_id(station.pk),
        "name": station.title,
        "classification": StationLevel(station.level).label if station.level else None,
        "parent_id": station_id(parent_pk) if parent_pk else None,
        "description": station.intro or None,
        "contact_details": contact_details,
        "links": [
            _link(url, "站点主页"),
            _link(request.build_absolute_uri(reverse("api:calendar_station", args=[station.pk])), "接待日日历"),
        ],
        "level": station.level,
        "station_type": station.station_type,
        "station_type_label": StationType(station.station_type).label if station.station_type else None,
        "street_id": street_id(station.street_id) if station.street_id else None,
    }
    if station.latitude is not None and station.longitude is not None:
        data["latitude"], data["longitude"] = float(station.latitude), float(station.longitude)
    return data


def street_json(street: Street, request) -> dict:
    calendar = request.build_absolute_uri(reverse("api:calendar_district")) + f"?street={street.slug}"
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


def membership_json(row: dict, station: StationPage) -> dict:
    role = MembershipRole(row["role"])
    return {
        "id": membership_id(row["pk"]),
        "label": f"{station.title}{role.label}",
        "role": role.label,
        "person_id": person_id(row["deputy_id"]),
        "organization_id": station_id(station.pk),
        "post_id": post_id(station.pk, role.value) if role in POST_ROLES else None,
        "start_date": _date(row["start_date"]),
        "end_date": _date(row["end_date"]),
        "role_code": role.value,
    }


def post_json(station: StationPage, role: str) -> dict:
    role = MembershipRole(role)
    return {
        "id": post_id(station.pk, role.value),
        "label": f"{station.title}{role.label}",
        "role": role.label,
        "organization_id": station_id(station.pk),
        "role_code": role.value,
    }
