"""Write a `DistrictPlan` to the database: in bulk (the default), or through the Wagtail API.

`BulkWriter` inserts the page tree with precomputed treebeard paths (steplen 4, base 36), then
the rows hanging off it, with a few multi-row INSERTs per table. Pages are live and complete:
path, depth, numchild, url_path, content type, locale, `level` and `street` are set as
`add_child` and `StationPage.save()` would set them. A district of up to
`HISTORY_MAX_PAGES` pages also gets the bookkeeping an editor's work leaves: each page's
revision, "wagtail.create" and "wagtail.publish" log entries, reference-index rows, and a django-simple-history
"created" row for every street, deputy, membership and schedule. Larger (benchmark) districts
skip it, which halves their build time: a page without a revision is still editable (its first
edit creates one) and `manage.py rebuild_references_index` fills the reference index.

`WagtailWriter` adds each page with `add_child` and publishes a revision, exactly as an editor
would. At about 50 ms of CPU a page (half a minute for the default district, against three
seconds in bulk) it is kept as the reference to check the bulk writer against.

Both writers leave search indexing to `index_for_search`, which uses the backend's bulk API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager

from modelsearch.signal_handlers import post_save_signal_handler as index_on_save
from simple_history.utils import bulk_create_with_history

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model
from django.db.models.signals import post_save
from django.utils import timezone

from wagtail.models import Page, PageLogEntry, ReferenceIndex, Revision
from wagtail.search.backends import get_search_backends
from wagtail.signal_handlers import disable_reference_index_auto_update

from content.demo import vocab
from content.demo.plan import DistrictPlan, MembershipPlan, SchedulePlan, StationPlan
from content.demo.portraits import demo_portraits, portrait_for
from content.models import (
    ROLE_RANK,
    ActivityPage,
    CentreStationPage,
    ContactPointPage,
    Deputy,
    Facility,
    GeneralStationPage,
    LiaisonStationPage,
    Membership,
    ReceptionSchedule,
    StationPage,
    Street,
)
from content.tree import district_home

STATION_MODELS = {
    "general": GeneralStationPage,
    "centre": CentreStationPage,
    "station": LiaisonStationPage,
    "point": ContactPointPage,
}
PAGE_MODELS = (*STATION_MODELS.values(), ActivityPage)
INDEXED_MODELS = (*PAGE_MODELS, Deputy)
HISTORY_REASON = "演示数据 demo data"
BATCH = 2000
# Revisions (a few ms a page to serialise) and history rows suit the demo, not 50,000 pages.
HISTORY_MAX_PAGES = 5000

Progress = Callable[[str], None]


class StoredDistrict:
    """Primary keys of what was written, by plan key: what later generators build on."""

    def __init__(self):
        self.streets: list[int] = []
        self.deputies: list[int] = []
        self.stations: list[int] = []
        self.activities: list[int] = []

    def page_ids(self) -> Iterable[tuple[type[Page], list[int]]]:
        for model in STATION_MODELS.values():
            yield model, self.stations
        yield ActivityPage, self.activities


# --------------------------------------------------------------------------------------------
# Rows shared by both writers
# --------------------------------------------------------------------------------------------


def create_rows(model: type[Model], rows: list[Model], history: bool) -> list[Model]:
    if history:
        return bulk_create_with_history(rows, model, batch_size=BATCH, default_change_reason=HISTORY_REASON)
    return model.objects.bulk_create(rows, batch_size=BATCH)


def insert_links(model: type[Model], field_name: str, rows: Iterable[tuple[int, int]]) -> None:
    """(source id, target id) rows of a many-to-many field, straight through executemany:
    building hundreds of thousands of through-model instances costs more than the INSERTs."""
    field = model._meta.get_field(field_name)
    quote = connection.ops.quote_name
    table, source, target = quote(field.m2m_db_table()), quote(field.m2m_column_name()), quote(field.m2m_reverse_name())
    # Only identifiers from the model's own metadata are interpolated; values are parameters.
    sql = f"INSERT INTO {table} ({source}, {target}) VALUES (%s, %s)"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def write_streets_and_deputies(
    plan: DistrictPlan, stored: StoredDistrict, progress: Progress, history: bool = True
) -> list[Deputy]:
    streets = [
        Street(name=s.name, slug=s.slug, division_code=s.division_code, sort_order=s.sort_order) for s in plan.streets
    ]
    streets = create_rows(Street, streets, history)
    stored.streets = [s.pk for s in streets]
    portraits = demo_portraits()  # a dozen shared avatars, whatever the number of deputies
    deputies = [
        Deputy(
            name=d.name,
            photo_id=portrait_for(d.key, portraits),
            gender=d.gender,
            congress_level=d.congress_level,
            term=d.term,
            constituency=d.constituency,
            occupation=d.occupation,
            public_phone=d.public_phone,
            biography=d.biography,
            is_active=True,
        )
        for d in plan.deputies
    ]
    deputies = create_rows(Deputy, deputies, history)
    stored.deputies = [d.pk for d in deputies]
    progress(f"街道 Streets: {len(streets)}，代表 Deputies: {len(deputies)}")
    return deputies


def station_fields(sp: StationPlan, stored: StoredDistrict) -> dict:
    return dict(
        title=sp.title,
        draft_title=sp.title,
        slug=sp.slug,
        station_type=sp.station_type,
        street_id=stored.streets[sp.street] if sp.street is not None else None,
        intro=sp.intro,
        address=sp.address,
        latitude=sp.latitude,
        longitude=sp.longitude,
        opening_hours=sp.opening_hours,
        phone=sp.phone,
        rules=vocab.RULES_HTML,
        reception_procedure=vocab.PROCEDURE_HTML,
        signature_title=sp.signature_title,
        signature_story=sp.signature_story,
    )


def membership_row(mp: MembershipPlan, stored: StoredDistrict, station_id=None) -> Membership:
    return Membership(
        station_id=station_id,
        deputy_id=stored.deputies[mp.deputy],
        role=mp.role,
        role_rank=ROLE_RANK[mp.role],  # Membership.save() sets it; bulk inserts skip save()
        sort_order=mp.sort_order,
        duty_phone=mp.duty_phone,
        start_date=mp.start_date,
        end_date=mp.end_date,
    )


def schedule_row(sc: SchedulePlan, station_id=None) -> ReceptionSchedule:
    return ReceptionSchedule(
        station_id=station_id,
        sort_order=sc.sort_order,
        title=sc.title,
        recurrence=sc.recurrence,
        week_of_month=sc.week_of_month,
        weekday=sc.weekday,
        date=sc.date,
        start_time=sc.start_time,
        end_time=sc.end_time,
        holiday_rule=sc.holiday_rule,
        note=sc.note,
    )


def by_station(rows: Iterable) -> dict[int, list]:
    grouped = defaultdict(list)
    for row in rows:
        grouped[row.station].append(row)
    return grouped


def ordered_facilities() -> list[Facility]:
    return list(Facility.objects.order_by("sort_order", "pk"))


def batches(items: list, size: int):
    size = max(1, size)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@contextmanager
def deferred_indexing():
    """Skip the per-save search and reference index updates while the district is written.

    The API path saves each page three times on its way to publication and every save would
    re-index it (the SQLite backend also recomputes title norms over the whole index each
    time): over half of its build time. Everything is indexed once, in bulk, afterwards.
    """
    disconnected = [m for m in INDEXED_MODELS if post_save.disconnect(index_on_save, sender=m)]
    try:
        with disable_reference_index_auto_update():
            yield
    finally:
        for model in disconnected:
            post_save.connect(index_on_save, sender=model)


def index_for_search(objects: Iterable[tuple[type[Model], list[Model]]], progress: Progress) -> None:
    """Add objects to every search backend with its bulk API."""
    backends = list(get_search_backends())
    total = 0
    for model, objs in objects:
        for chunk in batches(objs, BATCH):
            for obj in chunk:
                # The backend reads `search_text` once per index column (title, body,
                # autocomplete); computing it once and shadowing the method on this throwaway
                # instance cuts the indexing time by two thirds.
                text = getattr(obj, "search_text", None)
                if callable(text):
                    obj.search_text = text()
            for backend in backends:
                backend.add_bulk(model, chunk)
            total += len(chunk)
    progress(f"搜索索引 Search index: {total} 条 entries")


def objects_to_index(stored: StoredDistrict) -> Iterable[tuple[type[Model], list[Model]]]:
    """Fresh instances of everything written, loaded from the database."""
    yield Deputy, list(Deputy.objects.filter(pk__in=stored.deputies))
    for model, ids in stored.page_ids():
        objs = []
        for chunk in batches(ids, BATCH):
            objs.extend(model.objects.filter(pk__in=chunk))
        yield model, objs


# --------------------------------------------------------------------------------------------
# The bulk path
# --------------------------------------------------------------------------------------------


def insert_multi_table(objs: list[Model]) -> None:
    """INSERT multi-table-inheritance instances table by table (bulk_create refuses MTI).

    The root table's rows get their ids back from the database (RETURNING, SQLite ≥ 3.35 and
    PostgreSQL); each child table's row then takes that id as its parent link.
    """
    if not objs:
        return
    model = type(objs[0])
    chain = [*reversed(model._meta.get_parent_list()), model]
    root = chain[0]
    root_fields = [f for f in root._meta.local_concrete_fields if not f.primary_key]
    manager = root._base_manager
    for batch in batches(objs, connection.ops.bulk_batch_size(root_fields, objs)):
        if connection.features.can_return_rows_from_bulk_insert:
            rows = manager._insert(batch, fields=root_fields, returning_fields=[root._meta.pk])
            ids = [row[0] for row in rows]
        else:  # pragma: no cover - the supported databases all return ids
            manager._insert(batch, fields=root_fields)
            by_path = dict(root.objects.filter(path__in=[o.path for o in batch]).values_list("path", "pk"))
            ids = [by_path[o.path] for o in batch]
        for obj, pk in zip(batch, ids, strict=True):
            for link_model in chain:
                setattr(obj, link_model._meta.pk.attname, pk)
    for table_model in chain[1:]:
        fields = list(table_model._meta.local_concrete_fields)
        for batch in batches(objs, connection.ops.bulk_batch_size(fields, objs)):
            table_model._base_manager._insert(batch, fields=fields)


class BulkWriter:
    """The whole tree in a few hundred INSERT statements; see the module docstring.

    `history`: None decides by size (HISTORY_MAX_PAGES), True/False forces it.
    """

    def __init__(self, plan: DistrictPlan, progress: Progress, *, history: bool | None = None):
        self.plan = plan
        self.progress = progress
        self.stored = StoredDistrict()
        if history is None:
            history = len(plan.stations) + len(plan.activities) <= HISTORY_MAX_PAGES
        self.history = history
        self.deputies: list[Deputy] = []
        self.station_pages: list[StationPage] = []
        self.activity_pages: list[ActivityPage] = []

    def write(self) -> StoredDistrict:
        self.deputies = write_streets_and_deputies(self.plan, self.stored, self.progress, self.history)
        self.write_pages()
        self.write_rows()
        if self.history:
            write_initial_revisions(self.stored, self.progress)
            index_references(self.stored, self.progress)
        return self.stored

    def objects_to_index(self) -> Iterable[tuple[type[Model], list[Model]]]:
        """The instances just written, with their memberships attached in memory, so
        StationPage.search_text() needs no query per station."""
        yield Deputy, self.deputies
        for level, model in STATION_MODELS.items():
            yield model, [p for p in self.station_pages if p.level == level]
        yield ActivityPage, self.activity_pages

    def write_pages(self):
        plan, stored = self.plan, self.stored
        home = district_home()
        now = timezone.now()
        common = dict(
            live=True,
            has_unpublished_changes=False,
            first_published_at=now,
            last_published_at=now,
            locale_id=home.locale_id,
        )

        # Children of each parent, stations first then activities, in plan order: the order
        # add_child would have given them.
        station_children: dict[int | None, list[int]] = defaultdict(list)
        for sp in plan.stations:
            station_children[sp.parent].append(sp.key)
        activity_children: dict[int, list[int]] = defaultdict(list)
        for i, ap in enumerate(plan.activities):
            activity_children[ap.station].append(i)
        step_of = {key: n for keys in station_children.values() for n, key in enumerate(keys, 1)}

        last_home_child = home.get_last_child()
        home_steps = Page._str2int(last_home_child.path[-Page.steplen :]) if last_home_child else 0
        content_types = {level: ContentType.objects.get_for_model(m) for level, m in STATION_MODELS.items()}
        activity_type = ContentType.objects.get_for_model(ActivityPage)

        # Plan order puts parents before children, so each parent's path is known in time.
        stations: list[StationPage] = []
        for sp in plan.stations:
            parent = home if sp.parent is None else stations[sp.parent]
            step = step_of[sp.key] + (home_steps if sp.parent is None else 0)
            stations.append(
                STATION_MODELS[sp.level](
                    **station_fields(sp, stored),
                    **common,
                    level=sp.level,
                    content_type=content_types[sp.level],
                    path=Page._get_path(parent.path, parent.depth + 1, step),
                    depth=parent.depth + 1,
                    numchild=len(station_children[sp.key]) + len(activity_children[sp.key]),
                    url_path=f"{parent.url_path}{sp.slug}/",
                )
            )
        activities: list[ActivityPage] = [None] * len(plan.activities)  # type: ignore[list-item]
        for station_key, indexes in activity_children.items():
            parent = stations[station_key]
            first_step = len(station_children[station_key]) + 1
            for step, i in enumerate(indexes, first_step):
                ap = plan.activities[i]
                activities[i] = ActivityPage(
                    title=ap.title,
                    draft_title=ap.title,
                    slug=ap.slug,
                    date=ap.date,
                    kind=ap.kind,
                    summary=ap.summary,
                    body=ap.body,
                    **common,
                    content_type=activity_type,
                    path=Page._get_path(parent.path, parent.depth + 1, step),
                    depth=parent.depth + 1,
                    numchild=0,
                    url_path=f"{parent.url_path}{ap.slug}/",
                )

        for level in STATION_MODELS:
            insert_multi_table([p for p in stations if p.level == level])
        Page.objects.filter(pk=home.pk).update(numchild=home.numchild + len(station_children[None]))
        stored.stations = [p.pk for p in stations]
        self.progress(f"站点 Stations: {len(stations)}")
        insert_multi_table(activities)
        stored.activities = [p.pk for p in activities]
        self.progress(f"活动 Activities: {len(activities)}")
        self.station_pages, self.activity_pages = stations, activities

    def write_rows(self):
        plan, stored = self.plan, self.stored
        stations, activities = self.station_pages, self.activity_pages
        deputy_ids = stored.deputies
        facilities = ordered_facilities()
        insert_links(
            StationPage,
            "facilities",
            (
                (page.pk, facilities[i].pk)
                for sp, page in zip(plan.stations, stations, strict=True)
                for i in sp.facilities
                if i < len(facilities)
            ),
        )
        memberships = create_rows(
            Membership, [membership_row(mp, stored, stations[mp.station].pk) for mp in plan.memberships], self.history
        )
        schedules = create_rows(
            ReceptionSchedule, [schedule_row(sc, stations[sc.station].pk) for sc in plan.schedules], self.history
        )
        insert_links(
            ReceptionSchedule,
            "duty_deputies",
            (
                (row.pk, deputy_ids[k])
                for sc, row in zip(plan.schedules, schedules, strict=True)
                for k in sc.duty_deputies
            ),
        )
        insert_links(
            ActivityPage,
            "deputies",
            (
                (page.pk, deputy_ids[k])
                for ap, page in zip(plan.activities, activities, strict=True)
                for k in ap.deputies
            ),
        )
        # In-memory child rows (modelcluster) for indexing; these instances are never saved.
        grouped = defaultdict(list)
        for mp, row in zip(plan.memberships, memberships, strict=True):
            row.deputy = self.deputies[mp.deputy]
            grouped[mp.station].append(row)
        for station_key, rows in grouped.items():
            stations[station_key].memberships = rows
        self.progress(f"驻站代表 Memberships: {len(memberships)}，接待安排 Schedules: {len(schedules)}")


def write_initial_revisions(stored: StoredDistrict, progress: Progress) -> None:
    """What add_child + publishing would leave: one live revision per page, and log entries."""
    now = timezone.now()
    page_type = ContentType.objects.get_for_model(Page)
    count = 0
    for model, ids in stored.page_ids():
        content_type = ContentType.objects.get_for_model(model)
        for chunk in batches(ids, 500):
            pages = list(model.objects.filter(pk__in=chunk))
            if not pages:
                continue
            revisions = Revision.objects.bulk_create(
                [
                    Revision(
                        content_type=content_type,
                        base_content_type=page_type,
                        object_id=str(page.pk),
                        created_at=now,
                        content=page.serializable_data(),
                        object_str=str(page),
                    )
                    for page in pages
                ]
            )
            Page.objects.bulk_update(
                [
                    Page(pk=page.pk, latest_revision_id=rev.pk, live_revision_id=rev.pk, latest_revision_created_at=now)
                    for page, rev in zip(pages, revisions, strict=True)
                ],
                ["latest_revision", "live_revision", "latest_revision_created_at"],
            )
            # The two entries add_child + publish leave in the page's history.
            PageLogEntry.objects.bulk_create(
                [
                    PageLogEntry(
                        content_type=content_type,
                        page_id=page.pk,
                        label=page.get_admin_display_title(),
                        action=action,
                        data={},
                        timestamp=now,
                        revision=rev if action == "wagtail.publish" else None,
                        content_changed=True,
                    )
                    for page, rev in zip(pages, revisions, strict=True)
                    for action in ("wagtail.create", "wagtail.publish")
                ]
            )
            count += len(pages)
    progress(f"页面修订版本 Page revisions: {count}")


# --------------------------------------------------------------------------------------------
# The Wagtail API path
# --------------------------------------------------------------------------------------------


def publish_child(parent: Page, page: Page) -> Page:
    """content.tree.add_station minus one validation pass: add_child has just cleaned the page
    and publishing cleans it again; full_clean is a fifth of this path's time."""
    parent.add_child(instance=page)
    page.save_revision(clean=False).publish()
    return page


class WagtailWriter:
    """Pages through `add_child` + `save_revision().publish()`, as in the admin."""

    def __init__(self, plan: DistrictPlan, progress: Progress):
        self.plan = plan
        self.progress = progress
        self.stored = StoredDistrict()

    def write(self) -> StoredDistrict:
        plan, stored = self.plan, self.stored
        write_streets_and_deputies(plan, stored, self.progress)
        facilities = ordered_facilities()
        memberships = by_station(plan.memberships)
        schedules = by_station(plan.schedules)
        deputy = Deputy.objects.in_bulk(stored.deputies)
        home = district_home()
        pages: list[StationPage] = []
        for sp in plan.stations:
            parent = home if sp.parent is None else pages[sp.parent]
            page = STATION_MODELS[sp.level](**station_fields(sp, stored))
            # Child rows travel with the page (modelcluster), so the first revision holds them.
            page.facilities = [facilities[i] for i in sp.facilities if i < len(facilities)]
            page.memberships = [membership_row(mp, stored) for mp in memberships[sp.key]]
            rules = []
            for sc in schedules[sp.key]:
                rule = schedule_row(sc)
                rule.duty_deputies = [deputy[stored.deputies[k]] for k in sc.duty_deputies]
                rules.append(rule)
            page.reception_schedules = rules
            pages.append(publish_child(parent, page))
            if len(pages) % 50 == 0:
                self.progress(f"  站点 Stations: {len(pages)}/{len(plan.stations)}")
        stored.stations = [p.pk for p in pages]
        self.progress(f"站点 Stations: {len(pages)}")

        for n, ap in enumerate(plan.activities, 1):
            activity = ActivityPage(
                title=ap.title, slug=ap.slug, date=ap.date, kind=ap.kind, summary=ap.summary, body=ap.body
            )
            activity.deputies = [deputy[stored.deputies[k]] for k in ap.deputies]
            publish_child(pages[ap.station], activity)
            stored.activities.append(activity.pk)
            if n % 100 == 0:
                self.progress(f"  活动 Activities: {n}/{len(plan.activities)}")
        self.progress(f"活动 Activities: {len(plan.activities)}")
        index_references(stored, self.progress)
        return stored

    def objects_to_index(self):
        return objects_to_index(self.stored)


def index_references(stored: StoredDistrict, progress: Progress) -> None:
    """The reference-index rows each page's save would have written (admin "usage" counts)."""
    total = 0
    for model, ids in stored.page_ids():
        for chunk in batches(ids, BATCH):
            for obj in model.objects.filter(pk__in=chunk):
                ReferenceIndex.create_or_update_for_object(obj)
                total += 1
    progress(f"引用索引 Reference index: {total} 个页面 pages")
