"""A deterministic plan of the demo district, made without touching the database.

The plan is plain data (streets, stations, deputies, memberships, schedules, activities) drawn
from one `random.Random(seed)`, so the same seed and scale always give
the same district, whichever writer (Wagtail API or bulk) stores it. References between
records are list indexes ("keys"), resolved to primary keys by the writer.

Later generators (e.g. citizens' opinions for benchmarks) should add their own plan lists and
draw from their own `Random` derived from the seed, so adding them never changes the district.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from faker.providers.person.zh_CN import Provider as ChineseNames

from content.demo import vocab
from content.demo.text import SlugRegistry, pinyin_slug

DEFAULT_STATIONS = 220
# Seed 000: 1 总站 + 14 中心站 + 61 联络站 + 144 联络点.
DEFAULT_SHAPE = (1, 14, 61, 144)
# About 570 deputies for 220 stations; shares per congress level (street 议政代表 take the rest).
DEPUTIES_PER_STATION = 570 / 220
LEVEL_SHARES = (("national", 6 / 570), ("provincial", 23 / 570), ("city", 97 / 570), ("district", 302 / 570))
LEVEL_RANK = {"national": 0, "provincial": 1, "city": 2, "district": 3, "street": 4}
MIN_STATIONS = 4

KIND_NAMES = {
    "reception": "接待选民",
    "research": "调研视察",
    "forum": "座谈议事",
    "training": "学习培训",
    "report": "述职评议",
    "legislation": "立法征询",
    "other": "志愿服务",
}
POINTS_UNDER_CENTRE_SHARE = 0.15
PROFESSIONAL_SHARE = 0.15
NETWORK_START = dt.date(2022, 5, 1)  # seed 000: the four-level network was built from May 2022

# Person names come from Faker's zh_CN data (surnames weighted by frequency), drawn with the
# plan's own Random: calling a Faker instance per name is several times slower at scale.
SURNAMES = list(ChineseNames.last_names)
SURNAME_CUM_WEIGHTS = list(itertools.accumulate(ChineseNames.last_names.values()))


@dataclass
class StreetPlan:
    key: int
    name: str
    slug: str
    division_code: str
    sort_order: int
    lat: float
    lng: float
    roads: tuple[str, ...]
    communities: list[str]


@dataclass
class StationPlan:
    key: int
    parent: int | None  # None: a child of the district HomePage
    level: str  # general / centre / station / point
    station_type: str
    street: int | None
    title: str
    slug: str
    intro: str
    address: str
    latitude: Decimal
    longitude: Decimal
    opening_hours: str
    phone: str
    facilities: list[int]  # indexes into the Facility rows ordered by sort_order
    signature_title: str = ""
    signature_story: list[dict] = field(default_factory=list)


@dataclass
class DeputyPlan:
    key: int
    name: str
    gender: str
    congress_level: str
    term: str
    constituency: str
    occupation: str
    public_phone: str
    biography: str
    street: int | None


@dataclass
class MembershipPlan:
    station: int
    deputy: int
    role: str
    sort_order: int
    duty_phone: str
    start_date: dt.date
    end_date: dt.date | None = None


@dataclass
class SchedulePlan:
    station: int
    sort_order: int
    title: str
    recurrence: str
    week_of_month: int | None
    weekday: int | None
    date: dt.date | None
    start_time: dt.time
    end_time: dt.time
    holiday_rule: str
    duty_deputies: list[int]
    note: str = ""


@dataclass
class ActivityPlan:
    station: int
    title: str
    slug: str
    date: dt.date
    kind: str
    summary: str
    body: list[dict]
    deputies: list[int]


@dataclass
class DistrictPlan:
    seed: int
    today: dt.date
    streets: list[StreetPlan] = field(default_factory=list)
    stations: list[StationPlan] = field(default_factory=list)
    deputies: list[DeputyPlan] = field(default_factory=list)
    memberships: list[MembershipPlan] = field(default_factory=list)
    schedules: list[SchedulePlan] = field(default_factory=list)
    activities: list[ActivityPlan] = field(default_factory=list)

    def stations_at(self, level: str) -> list[StationPlan]:
        return [s for s in self.stations if s.level == level]


# --------------------------------------------------------------------------------------------
# Counting
# --------------------------------------------------------------------------------------------


def station_shape(total: int) -> tuple[int, int, int, int]:
    """(general, centres, liaison stations, contact points) for about `total` stations.

    There is always one general station; the other three levels keep seed 000's 14:61:144.
    """
    if total < MIN_STATIONS:
        raise ValueError(f"at least {MIN_STATIONS} stations")
    _, c, s, p = DEFAULT_SHAPE
    below = total - 1
    centres = max(1, round(below * c / (c + s + p)))
    stations = max(1, round(below * s / (c + s + p)))
    points = max(0, below - centres - stations)
    return 1, centres, stations, points


def split(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split `total` into len(weights) integer parts proportional to weights (largest remainder)."""
    n = len(weights)
    if n == 0:
        return []
    base = [minimum] * n
    rest = total - minimum * n
    if rest < 0:
        base = [0] * n
        rest = total
    wsum = sum(weights) or 1.0
    raw = [rest * w / wsum for w in weights]
    parts = [int(x) for x in raw]
    order = sorted(range(n), key=lambda i: raw[i] - parts[i], reverse=True)
    for i in order[: rest - sum(parts)]:
        parts[i] += 1
    return [b + p for b, p in zip(base, parts, strict=True)]


def deputy_level_counts(total: int) -> list[tuple[str, int]]:
    counts = [(level, round(total * share)) for level, share in LEVEL_SHARES]
    street = max(0, total - sum(n for _, n in counts))
    return counts + [("street", street)]


# --------------------------------------------------------------------------------------------
# The generator
# --------------------------------------------------------------------------------------------


class PlanBuilder:
    def __init__(self, seed: int, total_stations: int, today: dt.date):
        self.rng = random.Random(seed)
        self.plan = DistrictPlan(seed=seed, today=today)
        self.total = total_stations
        self.slugs = SlugRegistry()
        self._names_seen: set[str] = set()
        # Contact point names are unique within a street: grid numbers run on per community
        # (two stations of a street may both have grids in the same community), and place
        # names are drawn without repeats per street.
        self.grids_numbered: dict[tuple[int, str], int] = {}
        self.places_taken: dict[int, set[str]] = {}

    # --- helpers ---------------------------------------------------------------------------

    def phone(self) -> str:
        # Hangzhou landlines: 0571 + 8 digits; public office numbers only, never mobiles.
        return f"{vocab.PHONE_AREA}-8{self.rng.randrange(10**7):07d}"

    def block_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def block(self, kind: str, value) -> dict:
        return {"type": kind, "value": value, "id": self.block_id()}

    def near(self, lat: float, lng: float, spread: float) -> tuple[Decimal, Decimal]:
        return (
            Decimal(f"{lat + self.rng.gauss(0, spread):.6f}"),
            Decimal(f"{lng + self.rng.gauss(0, spread):.6f}"),
        )

    def place_name(self, taken: set[str]) -> str:
        length = 2
        for attempt in range(200):
            if attempt and attempt % 50 == 0:
                length += 1
            chars = [self.rng.choice(vocab.PLACE_FIRST)] + [
                self.rng.choice(vocab.PLACE_FIRST if i < length - 2 else vocab.PLACE_SECOND) for i in range(length - 1)
            ]
            name = "".join(chars)
            if name not in taken:
                taken.add(name)
                return name
        raise RuntimeError("ran out of place names")

    def surname(self) -> str:
        return self.rng.choices(SURNAMES, cum_weights=SURNAME_CUM_WEIGHTS)[0]

    def person_name(self, gender: str) -> str:
        given_names, extra = (
            (ChineseNames.first_names_female, vocab.GIVEN_NAME_FEMALE_EXTRA)
            if gender == "female"
            else (ChineseNames.first_names_male, vocab.GIVEN_NAME_MALE_EXTRA)
        )
        for _ in range(6):
            given = self.rng.choice(given_names)
            if len(given) == 1 and self.rng.random() < 0.35:
                first = self.rng.choice(extra)
                if first != given:
                    given = first + given
            name = self.surname() + given
            if name not in self._names_seen:
                break
        # Namesakes are real life in a district of thousands; accept one after a few tries.
        self._names_seen.add(name)
        return name

    # --- streets -----------------------------------------------------------------------------

    def build_streets(self, count: int):
        names_taken = {s.name for s in vocab.SHANGCHENG_STREETS}
        slugs_taken: set[str] = set()
        for i in range(count):
            if i < len(vocab.SHANGCHENG_STREETS):
                seed = vocab.SHANGCHENG_STREETS[i]
                base, slug, lat, lng = seed.name, seed.slug, seed.lat, seed.lng
                communities, roads = list(seed.communities), seed.roads
            else:
                base = self.place_name(names_taken)
                slug = pinyin_slug(base)
                lat, lng = self.rng.uniform(30.15, 30.40), self.rng.uniform(120.05, 120.35)
                communities = []
                roads = tuple(self.rng.sample(vocab.GENERIC_ROADS, 5))
            unique, n = slug, 2
            while unique in slugs_taken:
                unique = f"{slug}{n}"
                n += 1
            slugs_taken.add(unique)
            code = f"{vocab.DISTRICT_DIVISION_CODE}{i + 1:03d}" if i < 999 else ""
            self.plan.streets.append(
                StreetPlan(
                    key=i,
                    name=f"{base}街道",
                    slug=unique,
                    division_code=code,
                    sort_order=i,
                    lat=lat,
                    lng=lng,
                    roads=roads,
                    communities=communities,
                )
            )

    def community_names(self, street: StreetPlan, count: int) -> list[str]:
        """`count` community names for a street: its known ones first, then invented ones."""
        names = street.communities[:count]
        taken = set(street.communities)
        while len(names) < count:
            names.append(self.place_name(taken))
        return names

    # --- stations ----------------------------------------------------------------------------

    def add_station(self, **kwargs) -> StationPlan:
        parent = kwargs["parent"]
        kwargs["slug"] = self.slugs.claim(parent, kwargs["slug"])
        station = StationPlan(key=len(self.plan.stations), **kwargs)
        self.plan.stations.append(station)
        return station

    def address(self, street: StreetPlan, where: str) -> str:
        road = self.rng.choice(street.roads)
        return f"{vocab.CITY_NAME}{vocab.DISTRICT_NAME}{road}{self.rng.randint(1, 399)}号{where}"

    def facilities(self, level: str) -> list[int]:
        if level in ("general", "centre"):
            return list(range(9))
        keep = self.rng.randint(7, 9) if level == "station" else self.rng.randint(4, 7)
        return sorted(self.rng.sample(range(9), keep))

    def signature(self, station_name: str, place: str) -> tuple[str, list[dict]]:
        rng = self.rng
        brand = rng.choice(vocab.SIGNATURE_TITLES).format(place=place)
        topic = rng.choice(vocab.TOPICS)
        opening = rng.choice(vocab.STORY_OPENINGS).format(station=station_name, place=place, brand=brand, topic=topic)
        method = " ".join(rng.sample(vocab.STORY_METHODS, 2))
        outcomes = []
        for unit, label in rng.sample(vocab.OUTCOME_LABELS, 2):
            figure = f"{rng.randint(86, 99)}%" if unit == "%" else f"{rng.randint(6, 260)}{unit}"
            outcomes.append(self.block("outcome", {"figure": figure, "label": label}))
        quote = {
            "text": rng.choice(vocab.QUOTES),
            "attribution": rng.choice(vocab.QUOTE_ATTRIBUTIONS).format(surname=self.surname(), place=place),
        }
        story = [
            self.block("heading", "特色做法"),
            self.block("paragraph", f"<p>{opening}</p>"),
            self.block("paragraph", f"<p>{method}</p>"),
            self.block("heading", "工作成效"),
            *outcomes,
            self.block("quote", quote),
        ]
        return brand, story

    def build_stations(self):
        rng = self.rng
        _, n_centres, n_stations, n_points = station_shape(self.total)
        self.build_streets(n_centres)
        streets = self.plan.streets
        district_centre = (30.2590, 120.1860)

        lat, lng = self.near(*district_centre, 0.001)
        general = self.add_station(
            parent=None,
            level="general",
            station_type="district",
            street=None,
            title=f"{vocab.DISTRICT_NAME}人大代表联络总站",
            slug="zongzhan",
            intro="全区人大代表联络站网络的枢纽：统筹中心站、联络站和联络点，汇集群众意见并督办到底。",
            address=f"{vocab.CITY_NAME}{vocab.DISTRICT_NAME}解放东路18号（区人大常委会一楼）",
            latitude=lat,
            longitude=lng,
            opening_hours=vocab.OPENING_HOURS["general"],
            phone=self.phone(),
            facilities=self.facilities("general"),
        )
        general.signature_title, general.signature_story = self.signature(general.title, "全区")

        centres = []
        for street in streets:
            short = street.name.removesuffix("街道")
            lat, lng = self.near(street.lat, street.lng, 0.002)
            centre = self.add_station(
                parent=general.key,
                level="centre",
                station_type="street",
                street=street.key,
                title=f"{street.name}人大代表联络中心站",
                slug=street.slug,
                intro=f"{street.name}人大工委所在地，统筹全街道联络站（点）建设和代表进站履职。",
                address=self.address(street, f"（{street.name}办事处一楼）"),
                latitude=lat,
                longitude=lng,
                opening_hours=vocab.OPENING_HOURS["centre"],
                phone=self.phone(),
                facilities=self.facilities("centre"),
            )
            centre.signature_title, centre.signature_story = self.signature(centre.title, short)
            centres.append(centre)

        # Liaison stations per street, at least one each when there are enough to go round.
        per_centre = split(
            n_stations, [rng.uniform(0.6, 1.4) for _ in centres], minimum=1 if n_stations >= n_centres else 0
        )
        liaisons = []
        for centre, count in zip(centres, per_centre, strict=True):
            street = streets[centre.street]
            # Every street keeps at least one community station (the seed's pilots are ones).
            n_prof = sum(1 for _ in range(count) if rng.random() < PROFESSIONAL_SHARE)
            n_prof = min(n_prof, count - 1, len(vocab.PROFESSIONAL_STATIONS))
            communities = self.community_names(street, count - n_prof)
            if len(communities) > len(street.communities):
                street.communities = communities  # invented names serve deputies and points too
            for community in communities:
                liaisons.append(self.community_station(centre, street, community))
            for prof in rng.sample(vocab.PROFESSIONAL_STATIONS, n_prof):
                liaisons.append(self.professional_station(centre, street, prof))

        # Contact points: most under a liaison station, some straight under a centre station.
        under_centres = min(n_points, round(n_points * POINTS_UNDER_CENTRE_SHARE))
        for parent, count in zip(centres, split(under_centres, [rng.uniform(0.3, 1.7) for _ in centres]), strict=True):
            self.contact_points(parent, count)
        rest = n_points - under_centres
        for parent, count in zip(liaisons, split(rest, [rng.uniform(0.2, 1.8) for _ in liaisons]), strict=True):
            self.contact_points(parent, count)

    def community_station(self, centre: StationPlan, street: StreetPlan, community: str) -> StationPlan:
        lat, lng = self.near(street.lat, street.lng, 0.006)
        title = f"{community}社区人大代表联络站"
        pilot = vocab.PILOT_STATIONS.get(community)
        households = self.rng.randrange(1800, 9000, 50)
        intro = pilot or (
            f"服务{community}社区居民约{households}户，各级人大代表就近进站，"
            f"重点关注{self.rng.choice(vocab.TOPICS)}等身边事。"
        )
        station = self.add_station(
            parent=centre.key,
            level="station",
            station_type="community",
            street=street.key,
            title=title,
            slug=pinyin_slug(community),
            intro=intro,
            address=self.address(street, f"（{community}社区党群服务中心{self.rng.randint(1, 3)}楼）"),
            latitude=lat,
            longitude=lng,
            opening_hours=self.rng.choice(vocab.OPENING_HOURS["station"]),
            phone=self.phone(),
            facilities=self.facilities("station"),
        )
        station.signature_title, station.signature_story = self.signature(title, community)
        return station

    def professional_station(self, centre: StationPlan, street: StreetPlan, prof: tuple[str, str, str]):
        key, suffix, intro = prof
        lat, lng = self.near(street.lat, street.lng, 0.006)
        title = f"{street.name}{suffix}"
        station = self.add_station(
            parent=centre.key,
            level="station",
            station_type="professional",
            street=street.key,
            title=title,
            slug=f"{street.slug}-{pinyin_slug(key)}",
            intro=intro,
            address=self.address(street, f"（{self.rng.choice(vocab.PARK_NAMES)}{self.rng.randint(1, 9)}号楼）"),
            latitude=lat,
            longitude=lng,
            opening_hours=self.rng.choice(vocab.OPENING_HOURS["station"]),
            phone=self.phone(),
            facilities=self.facilities("station"),
        )
        station.signature_title, station.signature_story = self.signature(title, street.name.removesuffix("街道"))
        return station

    def contact_points(self, parent: StationPlan, count: int):
        rng = self.rng
        street = self.plan.streets[parent.street]
        if parent.level == "station" and parent.station_type == "community":
            community = parent.title.removesuffix("社区人大代表联络站")
        else:
            community = rng.choice(street.communities) if street.communities else street.name.removesuffix("街道")
        taken = self.places_taken.setdefault(street.key, set())
        for _ in range(count):
            suffix, station_type, _ = rng.choices(vocab.POINT_KINDS, weights=[k[2] for k in vocab.POINT_KINDS])[0]
            if suffix == "网格联络点":
                grid_no = self.grids_numbered[street.key, community] = (
                    self.grids_numbered.get((street.key, community), 0) + 1
                )
                ordinal = vocab.CHINESE_ORDINALS[grid_no - 1] if grid_no <= 10 else str(grid_no)
                name = f"{community}社区第{ordinal}网格"
                title = f"{name}联络点"
                slug = f"{pinyin_slug(community)}-wangge{grid_no}"
            else:
                place = self.place_name(taken)
                name = place + rng.choice(vocab.ESTATE_SUFFIXES if suffix == "小区联络点" else vocab.PARK_NAMES)
                title = f"{name}代表联络点"
                slug = pinyin_slug(name)
            lat, lng = self.near(float(parent.latitude), float(parent.longitude), 0.002)
            point = self.add_station(
                parent=parent.key,
                level="point",
                station_type=station_type,
                street=street.key,
                title=title,
                slug=slug,
                intro=f"设在{name}的代表联络点，方便居民和企业就近找代表、提意见。",
                address=self.address(street, ""),
                latitude=lat,
                longitude=lng,
                opening_hours=rng.choice(vocab.OPENING_HOURS["point"]),
                phone=self.phone(),
                facilities=self.facilities("point"),
            )
            if rng.random() < 0.3:
                point.signature_title, point.signature_story = self.signature(title, name)

    # --- deputies ----------------------------------------------------------------------------

    def build_deputies(self):
        rng = self.rng
        streets = self.plan.streets
        weights = [0.0] * len(streets)
        for s in self.plan.stations:
            if s.street is not None:
                weights[s.street] += 1
        street_keys = range(len(streets))
        cum_weights = list(itertools.accumulate(weights))
        total = round(len(self.plan.stations) * DEPUTIES_PER_STATION)
        for level, count in deputy_level_counts(total):
            for _ in range(count):
                female = rng.random() < (0.42 if level in ("district", "street") else 0.3)
                gender = "female" if female else "male"
                street_key = rng.choices(street_keys, cum_weights=cum_weights)[0]
                street = streets[street_key]
                community = rng.choice(street.communities) if street.communities else street.name
                constituency = {
                    "national": "浙江代表团",
                    "provincial": "杭州代表团",
                    "city": f"{vocab.DISTRICT_NAME}代表团",
                    "district": f"{street.name}第{rng.randint(1, 12)}选区",
                    "street": f"{street.name}议政代表会",
                }[level]
                occupation = rng.choice(vocab.OCCUPATIONS_BY_LEVEL[level]).format(
                    community=community, street=street.name, org=rng.choice(vocab.ORGANISATION_NAMES)
                )
                biography = rng.choice(vocab.BIOGRAPHIES).format(
                    community=community, topic=rng.choice(vocab.TOPICS), n=rng.randint(3, 30)
                )
                self.plan.deputies.append(
                    DeputyPlan(
                        key=len(self.plan.deputies),
                        name=self.person_name(gender),
                        gender=gender,
                        congress_level=level,
                        term=vocab.TERMS[level],
                        constituency=constituency,
                        occupation=occupation,
                        public_phone=self.phone() if rng.random() < 0.4 else "",
                        biography=biography,
                        street=street_key,
                    )
                )

    # --- memberships ---------------------------------------------------------------------------

    def slots(self, station: StationPlan) -> int:
        rng = self.rng
        return {
            "general": lambda: 12,
            "centre": lambda: rng.randint(7, 10),
            "station": lambda: rng.randint(4, 7),
            "point": lambda: rng.randint(1, 4),
        }[station.level]()

    def build_memberships(self):
        """Put every deputy in at least one station of their street (就近编入), some in 2-3."""
        rng = self.rng
        plan = self.plan
        members: dict[int, list[int]] = {s.key: [] for s in plan.stations}
        load = [0] * len(plan.deputies)
        max_load = 3

        def place(station_key: int, deputy_key: int) -> bool:
            if deputy_key in members[station_key] or load[deputy_key] >= max_load:
                return False
            members[station_key].append(deputy_key)
            load[deputy_key] += 1
            return True

        by_street: dict[int, list[int]] = {}
        for d in plan.deputies:
            by_street.setdefault(d.street, []).append(d.key)
        stations_by_street: dict[int, list[StationPlan]] = {}
        for s in plan.stations:
            if s.street is not None:
                stations_by_street.setdefault(s.street, []).append(s)

        level_order = {"centre": 0, "station": 1, "point": 2}
        for street_key, stations in stations_by_street.items():
            pool = by_street.get(street_key) or [d.key for d in plan.deputies]
            # Higher-level deputies tend to sit in the centre and liaison stations, street-level
            # 议政代表 in the contact points; the noise keeps it from being a strict sort.
            pool = sorted(pool, key=lambda k: LEVEL_RANK[plan.deputies[k].congress_level] + rng.random() * 2.5)
            slot_list = []
            for s in sorted(stations, key=lambda s: (level_order[s.level], rng.random())):
                slot_list.extend([s.key] * self.slots(s))
            for deputy_key, station_key in zip(pool, slot_list, strict=False):
                place(station_key, deputy_key)
            # More deputies than slots: extra residents in the street's stations.
            for deputy_key in pool[len(slot_list) :]:
                place(rng.choice(stations).key, deputy_key)
            # More slots than deputies: some deputies take a second or third station.
            for station_key in slot_list[len(pool) :]:
                for _ in range(6):
                    if place(station_key, rng.choice(pool)):
                        break

        # The general station gathers the deputies of the higher congresses plus a few district ones.
        general = plan.stations_at("general")[0]
        higher = [d.key for d in plan.deputies if d.congress_level in ("national", "provincial", "city")]
        district = [d.key for d in plan.deputies if d.congress_level == "district"]
        for k in rng.sample(higher, min(8, len(higher))) + rng.sample(district, min(4, len(district))):
            place(general.key, k)
        for s in plan.stations:  # never leave a station without a head
            if not members[s.key]:
                pool = by_street.get(s.street) or range(len(plan.deputies))
                place(s.key, min(pool, key=lambda k: (load[k], rng.random())))

        heads: set[int] = set()
        head_target = {"general": 3, "centre": 3, "station": 3, "point": 4}
        for s in plan.stations:
            keys = members[s.key]
            target = head_target[s.level]

            def head_fit(k, target=target):
                rank = LEVEL_RANK[plan.deputies[k].congress_level]
                return (k in heads, abs(rank - target), rng.random())

            ordered = sorted(keys, key=head_fit)
            head = ordered[0]
            heads.add(head)
            rest = [k for k in keys if k != head]
            n_vice = 0 if s.level == "point" else (2 if s.level == "general" else rng.randint(0, 1))
            roles = [("head", head)]
            roles += [("deputy_head", k) for k in rest[:n_vice]]
            rest = rest[n_vice:]
            if rest and (s.level != "point" or rng.random() < 0.5):
                # The liaison officer is usually a street-level deputy who lives nearby.
                liaison = max(rest, key=lambda k: (LEVEL_RANK[plan.deputies[k].congress_level], rng.random()))
                roles.append(("liaison", liaison))
                rest.remove(liaison)
            roles += [("resident", k) for k in rest]
            for order, (role, deputy_key) in enumerate(roles):
                start = NETWORK_START + dt.timedelta(days=rng.randrange(0, 900))
                plan.memberships.append(
                    MembershipPlan(
                        station=s.key,
                        deputy=deputy_key,
                        role=role,
                        sort_order=order,
                        duty_phone=s.phone if role in ("head", "liaison") else "",
                        start_date=min(start, self.plan.today),
                    )
                )
            # A few former residents show that memberships have an end (Popolo start/end dates).
            if s.level in ("station", "centre") and rng.random() < 0.08:
                street_pool = by_street.get(s.street, [])
                former = [k for k in street_pool if k not in keys and load[k] < max_load]
                if former:
                    start = NETWORK_START + dt.timedelta(days=rng.randrange(0, 200))
                    deputy_key = rng.choice(former)
                    load[deputy_key] += 1
                    plan.memberships.append(
                        MembershipPlan(
                            station=s.key,
                            deputy=deputy_key,
                            role="resident",
                            sort_order=len(roles),
                            duty_phone="",
                            start_date=start,
                            end_date=start + dt.timedelta(days=rng.randrange(200, 600)),
                        )
                    )
        self._members = members

    # --- reception schedules -------------------------------------------------------------------

    def build_schedules(self):
        rng = self.rng
        plan = self.plan
        holiday_rules = ["postpone_week"] * 6 + ["next_workday"] * 3 + ["skip"] + ["keep"]
        slots = [
            (dt.time(9, 0), dt.time(11, 30)),
            (dt.time(14, 0), dt.time(16, 30)),
            (dt.time(8, 30), dt.time(11, 0)),
            (dt.time(14, 30), dt.time(17, 0)),
        ]
        for s in plan.stations:
            members = self._members[s.key]
            rules = []
            if s.level == "centre" or (s.level == "station" and rng.random() < 0.5):
                # Seed 002: 每月第三周的星期二“代表联系服务群众日”.
                rules.append(
                    dict(
                        title="代表联系服务群众日",
                        recurrence="monthly",
                        week_of_month=3,
                        weekday=1,
                        start_time=dt.time(9, 0),
                        end_time=dt.time(11, 30),
                        holiday_rule="postpone_week",
                    )
                )
            else:
                start, end = rng.choice(slots)
                rules.append(
                    dict(
                        title=rng.choice(vocab.SCHEDULE_TITLES),
                        recurrence="monthly",
                        week_of_month=rng.choice([1, 1, 2, 3, 4, -1]),
                        weekday=rng.choice([0, 1, 2, 3, 4, 4]),
                        start_time=start,
                        end_time=end,
                        holiday_rule=rng.choice(holiday_rules),
                    )
                )
            if s.level in ("general", "centre") or rng.random() < 0.12:
                rules.append(
                    dict(
                        title="常态化接待",
                        recurrence="weekly",
                        weekday=rng.choice([2, 3]),
                        start_time=dt.time(14, 0),
                        end_time=dt.time(17, 0),
                        holiday_rule="skip",
                        note="值班代表轮流坐班",
                    )
                )
            if rng.random() < 0.08:
                rules.append(
                    dict(
                        title=rng.choice(vocab.ONE_OFF_TITLES),
                        recurrence="once",
                        date=plan.today + dt.timedelta(days=rng.randint(3, 60)),
                        start_time=dt.time(14, 30),
                        end_time=dt.time(16, 30),
                        holiday_rule="keep",
                        note="欢迎居民到场参加",
                    )
                )
            for order, rule in enumerate(rules):
                duty = rng.sample(members, min(len(members), rng.randint(1, 3)))
                plan.schedules.append(
                    SchedulePlan(
                        station=s.key,
                        sort_order=order,
                        week_of_month=rule.pop("week_of_month", None),
                        weekday=rule.pop("weekday", None),
                        date=rule.pop("date", None),
                        duty_deputies=duty,
                        **rule,
                    )
                )

    # --- activities ----------------------------------------------------------------------------

    def build_activities(self):
        rng = self.rng
        plan = self.plan
        kinds = [k for k, _ in vocab.ACTIVITY_KIND_WEIGHTS]
        weights = [w for _, w in vocab.ACTIVITY_KIND_WEIGHTS]
        count_for = {
            "general": lambda: 6,
            "centre": lambda: 4,
            "station": lambda: rng.randint(2, 3),
            "point": lambda: rng.choice([0, 1, 1, 2]),
        }
        for s in plan.stations:
            short = s.title.replace("人大代表", "").replace("代表", "")
            members = self._members[s.key]
            for _ in range(count_for[s.level]()):
                kind = rng.choices(kinds, weights=weights)[0]
                topic = rng.choice(vocab.TOPICS)
                n, m = rng.randint(8, 60), rng.randint(1, 6)
                title = rng.choice(vocab.ACTIVITY_TITLES[kind]).format(short=short, topic=topic, n=rng.randint(3, 9))
                day = plan.today - dt.timedelta(days=rng.randint(1, 200))
                summary = rng.choice(vocab.ACTIVITY_SUMMARIES[kind]).format(
                    n=n, m=m, topic=topic, p=rng.randint(92, 99)
                )
                body = [
                    self.block(
                        "paragraph",
                        f"<p>{day.month}月{day.day}日，{s.title}开展{KIND_NAMES[kind]}活动。{summary}</p>",
                    ),
                    self.block("outcome", {"figure": f"{n}条", "label": "收集意见建议"}),
                ]
                if rng.random() < 0.3:
                    body.append(
                        self.block("quote", {"text": rng.choice(vocab.QUOTES), "attribution": "参加活动的居民"})
                    )
                plan.activities.append(
                    ActivityPlan(
                        station=s.key,
                        title=title,
                        slug=self.slugs.claim(s.key, f"{kind}-{day:%Y%m%d}"),
                        date=day,
                        kind=kind,
                        summary=summary,
                        body=body,
                        deputies=rng.sample(members, min(len(members), rng.randint(1, 4))),
                    )
                )
        # Oldest first within a station, the order they would have been added in.
        plan.activities.sort(key=lambda a: (a.station, a.date))

    def build(self) -> DistrictPlan:
        self.build_stations()
        self.build_deputies()
        self.build_memberships()
        self.build_schedules()
        self.build_activities()
        return self.plan


def make_plan(seed: int = 2026, stations: int = DEFAULT_STATIONS, today: dt.date | None = None) -> DistrictPlan:
    return PlanBuilder(seed, stations, today or dt.date.today()).build()
