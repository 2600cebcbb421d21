"""Listing filters shared by the apps' filter sets (the dashboards' figures link to them)."""

from __future__ import annotations

from collections.abc import Callable

import django_filters

from django.db.models import Q


class ConditionFilter(django_filters.BooleanFilter):
    """Yes: the rows meeting `condition`; no: the others; empty: all. `condition` is a `Q`, or
    a function returning one (for conditions that depend on today's date)."""

    def __init__(self, *args, condition: Q | Callable[[], Q], **kwargs):
        self.condition = condition
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        condition = self.condition() if callable(self.condition) else self.condition
        return qs.filter(condition) if value else qs.exclude(condition)


class TreeFilter(django_filters.ModelChoiceFilter):
    """The rows of a station page or of the pages below it: `field_name` leads from the row to
    the page (its `path` is matched as a prefix)."""

    def filter(self, qs, value):
        return qs.filter(**{f"{self.field_name}__path__startswith": value.path}) if value else qs
