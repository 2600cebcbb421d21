"""The base layer's two tables: the append-only audit log and the holiday calendar overrides.

Both were first created by feature apps and moved here without touching their tables
(`db_table` keeps the original names; migration 0001 moves them in Django's state only).
"""

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models

from base.audit_actions import actions


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("审计记录只能追加，不能修改。Audit events are append-only.")

    def delete(self):
        raise PermissionError("审计记录只能追加，不能删除。Audit events are append-only.")


class AuditEvent(models.Model):
    """One security-relevant event, append-only: sign-ins, role and permission changes, every
    view or export of personal data, every transition of an audited process.

    `action` is a code registered by the app that records it (`base.audit_actions`, filled
    through the `register_audit_actions` hook), so a new action needs no migration here.

    The application offers no way to change or delete a row; on PostgreSQL a trigger refuses
    UPDATE and DELETE as well (permissions migration 0003, on this same table).

    Left out of Wagtail's reference index: an audit row refers to its object by label and id
    only, and indexing every append (one per sign-in, view, export and transition) would
    cost a task and several queries each time.
    """

    wagtail_reference_index_ignore = True

    timestamp = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    # No database constraint: deleting a user must not have to touch (update) its audit rows.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField("操作人用户名", max_length=150, blank=True)
    action = models.CharField("动作", max_length=32, db_index=True)
    object_type = models.CharField("对象类型", max_length=100, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    detail = models.JSONField("详情", default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        db_table = "permissions_auditevent"
        ordering = ["-timestamp", "-pk"]
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"

    def __str__(self):
        return (
            f"{self.timestamp:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.get_action_display()} {self.object_repr}"
        )

    def get_action_display(self) -> str:
        """The action's registered Chinese label (as Django names it for a field with choices)."""
        return actions.label(self.action)

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("审计记录只能追加，不能修改。Audit events are append-only.")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计记录只能追加，不能删除。Audit events are append-only.")


class CalendarDay(models.Model):
    """An administrator's override of the published holiday calendar for one date.

    The maintained `chinese_calendar` package covers the State Council's arrangements for the
    years it knows; an override wins over it, and is the only source for years it does not
    know yet (the arrangement for the next year is announced each November).
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "法定节假日（休息）"
        WORKDAY = "workday", "调休上班日"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=16, choices=Kind.choices)
    name = models.CharField("名称", max_length=40, help_text="例如：国庆节、春节调休")

    history = HistoricalRecords(table_name="workflows_historicalcalendarday")

    class Meta:
        db_table = "workflows_calendarday"
        ordering = ["date"]
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"
