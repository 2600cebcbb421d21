"""Audited processes. For now: the holiday and make-up workday calendar they all count on."""

from simple_history.models import HistoricalRecords

from django.db import models


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

    history = HistoricalRecords()

    class Meta:
        ordering = ["date"]
        verbose_name = "节假日调整"
        verbose_name_plural = "节假日调整"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()} {self.name}"
