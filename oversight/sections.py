"""The dashboard's sections beyond opinions: each module's part (deputies' duties, reception
days, suggestions, livelihood projects, district-to-street tasks), declared once here and
taken up by the refresh and by the dashboard page.

A section counts its own rollup rows in `count()` (called by `oversight.rollups.refresh`,
before the transaction: it returns each of its tables' new rows, as dicts of column values
or unsaved instances; dicts are far cheaper by the million) and builds what the
dashboard shows for a scope and period in `build(scope, start, end, user)` (None when the
section has nothing for that scope: suggestions are district-wide, so a street committee
has no suggestions section). Each figure it shows links to the listing of exactly the rows
it counts, like the opinions' figures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from django.db import models

from oversight.charts import Chart


@dataclass
class SectionView:
    """What a section shows: a heading, headline figures (oversight.dashboard.Figure), charts
    and tables (each a Chart: a TILES/BAR/... chart, or a plain table when `table_only`)."""

    key: str
    title: str
    headline: list = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    tables: tuple[type[models.Model], ...]  # the rollup tables it replaces on each refresh
    count: Callable[[], Mapping[type[models.Model], Iterable]]  # {table: its new rows}
    build: Callable[..., SectionView | None]  # (scope, start, end, user) → what the dashboard shows
    order: int = 100


SECTIONS: dict[str, Section] = {}


def register(section: Section) -> Section:
    if section.key in SECTIONS:
        raise ValueError(f"dashboard section {section.key} registered twice")
    SECTIONS[section.key] = section
    return section


def ordered() -> list[Section]:
    return sorted(SECTIONS.values(), key=lambda section: (section.order, section.key))


def build_all(scope, start: dt.date, end: dt.date, user) -> list[SectionView]:
    views = []
    for section in ordered():
        view = section.build(scope, start, end, user)
        if view is not None:
            views.append(view)
    return views
