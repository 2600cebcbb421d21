"""Field-level history for domain rows (django-simple-history), shared by every app, and the
one way a stored value is shown to people (in a process's timeline and the history browser)."""

from __future__ import annotations

import datetime as dt
import difflib
import json
from collections.abc import Iterable

from simple_history.models import HistoricalRecords  # noqa: F401  (re-exported)

from django.db import models
from django.utils import timezone

from modelcluster.fields import ParentalKey


class ClusterHistoricalRecords(HistoricalRecords):
    """HistoricalRecords for children of a page (ParentalKey rows).

    The historical copy of a ParentalKey must be a plain ForeignKey: modelcluster forbids the
    related_name="+" that history tables need, and the history row is no child of the page.
    """

    def copy_fields(self, model):
        fields = super().copy_fields(model)
        for name, field in list(fields.items()):
            if isinstance(field, ParentalKey):
                swappable, field.swappable = field.swappable, False
                try:
                    _name, _path, args, kwargs = field.deconstruct()
                finally:
                    field.swappable = swappable
                plain = models.ForeignKey(*args, **kwargs)
                plain.name = field.name
                fields[name] = plain
        return fields


class QuietSaveMixin:
    """Skip the history row for saves that only touch bookkeeping fields.

    A model lists those fields in `history_ignored_update_fields`; a save whose
    `update_fields` are all among them leaves no history row.
    """

    history_ignored_update_fields: frozenset[str] = frozenset()

    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if update_fields and set(update_fields) <= self.history_ignored_update_fields:
            self.skip_history_when_saving = True
            try:
                return super().save(*args, **kwargs)
            finally:
                del self.skip_history_when_saving
        return super().save(*args, **kwargs)


class QuietRevisionSaveMixin(QuietSaveMixin):
    """Wagtail's RevisionMixin saves `latest_revision` again right after each edit; recording
    that as a second change would make every admin edit look like two.
    """

    history_ignored_update_fields = frozenset({"latest_revision"})


# --- Showing stored values to people ---------------------------------------------------------

LONGEST_SHOWN = 500  # characters of one value shown in a diff


class FieldValues:
    """Stored values of `model`'s fields as people read them: the labels of choices, the
    names of related rows, 是/否, local dates and times.

    Related rows named in `changes` ((field, old, new) triples) are fetched up front, one
    query per related model however many rows there are. `show_ids` adds the related row's
    id to its name (for auditors, who follow ids across the history); `longest` cuts long
    texts (a listing of many changes), which are otherwise shown whole.
    """

    def __init__(
        self,
        model,
        changes: Iterable[tuple[str, object, object]] = (),
        *,
        show_ids: bool = False,
        longest: int | None = None,
    ):
        self.show_ids, self.longest = show_ids, longest
        self.fields: dict[str, models.Field] = {}
        for field in model._meta.fields:
            self.fields[field.name] = self.fields[field.attname] = field
        for field in model._meta.many_to_many:
            self.fields[field.name] = field
        wanted: dict[type, set] = {}
        for name, old, new in changes:
            field = self.fields.get(name)
            if isinstance(field, models.ForeignKey):
                wanted.setdefault(field.related_model, set()).update(
                    value for value in (old, new) if value not in (None, "") and not isinstance(value, models.Model)
                )
        self.related = {model: model._base_manager.in_bulk(pks) for model, pks in wanted.items()}

    def label(self, name: str) -> str:
        field = self.fields.get(name)
        return str(field.verbose_name) if field is not None else name

    def show(self, name: str, value) -> str:
        field = self.fields.get(name)
        if value in (None, ""):
            return ""
        if isinstance(field, models.ForeignKey):
            return self._related(field, value)
        if field is not None and field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, dt.datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m-%d")
        return shorten(value, self.longest)

    def _related(self, field, value) -> str:
        if isinstance(value, models.Model):
            related, pk = value, value.pk
        else:
            related, pk = self.related.get(field.related_model, {}).get(value), value
        if self.show_ids:
            return f"{related} (#{pk})" if related is not None else f"#{pk}"
        return str(related) if related is not None else f"（已删除 #{pk}）"

    def change(self, name: str, old, new) -> dict:
        """One row of a diff: the field's Chinese name, the value before and after."""
        return {"field": self.label(name), "old": self.show(name, old), "new": self.show(name, new)}


def shorten(value, longest: int | None = LONGEST_SHOWN) -> str:
    """Any stored value as text, JSON for structures, cut at `longest` characters (None: whole)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, default=str, separators=(",", ":"))
    text = str(value)
    return text if longest is None or len(text) <= longest else text[:longest] + "…"


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """What changed from `old` to `new`, character by character (Chinese has no spaces to
    split words on): a list of ("same" | "del" | "ins", text) segments, for a template to
    show with <del> and <ins> (it escapes the text)."""
    segments: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, old or "", new or "", autojunk=False)
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            segments.append(("same", old[a1:a2]))
            continue
        if a2 > a1:
            segments.append(("del", old[a1:a2]))
        if b2 > b1:
            segments.append(("ins", new[b1:b2]))
    return segments
