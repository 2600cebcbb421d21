"""Field-level history for domain rows (django-simple-history), shared by every app."""

from simple_history.models import HistoricalRecords  # noqa: F401  (re-exported)

from django.db import models

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
