"""Rollup tables: the dashboards' figures, counted by the refresh (`oversight.rollups`) and
read by every page that shows them, so no page view scans the rows it counts.

Each table holds counts at two grains: per street (`station` empty; the district is the sum
of its streets, the rows without a street being 区级) and per station (for a station's own
dashboard and the street's table of its stations). Only combinations that occur are stored.
"""

from django.db import models


class Grain(models.TextChoices):
    STREET = "street", "街道"
    STATION = "station", "站点"


class RollupRun(models.Model):
    """One refresh of the rollup tables: the dashboards say when their figures were counted."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "定时刷新"
        ON_DEMAND = "on_demand", "手动刷新"
        COMMAND = "command", "命令行"

    started_at = models.DateTimeField("开始时间")
    finished_at = models.DateTimeField("完成时间")
    trigger = models.CharField("方式", max_length=12, choices=Trigger.choices)
    rows = models.PositiveIntegerField("写入行数", default=0)
    seconds = models.FloatField("用时（秒）", default=0)

    class Meta:
        ordering = ["-finished_at"]
        verbose_name = "统计刷新"
        verbose_name_plural = "统计刷新"

    def __str__(self):
        return f"{self.finished_at:%Y-%m-%d %H:%M}"


class Dimension(models.TextChoices):
    TOTAL = "", "合计"
    CHANNEL = "channel", "渠道"
    CATEGORY = "category", "分类"


class OpinionMonthly(models.Model):
    """Opinions received in a month (by the day they were submitted, Beijing time), and where
    they stand now: one row per grain, street, station and month for the totals, and one per
    channel or category for the count received.

    The counts of a month are those of the opinions received in it (a cohort): 办结 counts the
    ones since closed, whenever that was."""

    month = models.DateField("月份")
    grain = models.CharField("粒度", max_length=8, choices=Grain.choices)
    street = models.ForeignKey("content.Street", null=True, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey("content.StationPage", null=True, on_delete=models.CASCADE, related_name="+")
    dimension = models.CharField("维度", max_length=8, choices=Dimension.choices, blank=True)
    key = models.CharField("维度取值", max_length=40, blank=True)
    # The channel's or category's name (their rows), or the street's or station's (the totals),
    # as of the refresh, and for the totals the order they are listed in (a station's page path).
    label = models.CharField("名称", max_length=255, blank=True)
    sort_key = models.CharField("排序", max_length=255, blank=True)

    received = models.PositiveIntegerField("收到", default=0)
    in_loop = models.PositiveIntegerField("进入办理", default=0)
    closed = models.PositiveIntegerField("已办结", default=0)
    replied = models.PositiveIntegerField("已答复", default=0)
    resolved = models.PositiveIntegerField("已解决", default=0)
    rated = models.PositiveIntegerField("评价轮次", default=0)
    satisfied = models.PositiveIntegerField("满意轮次", default=0)
    reply_workdays = models.PositiveIntegerField("答复用时合计（工作日）", default=0)

    class Meta:
        verbose_name = "意见月度统计"
        verbose_name_plural = "意见月度统计"
        indexes = [
            models.Index(fields=["grain", "dimension", "month"], name="opinion_monthly_grain"),
            models.Index(fields=["street", "grain", "dimension", "month"], name="opinion_monthly_street"),
            models.Index(fields=["station", "dimension", "month"], name="opinion_monthly_station"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.dimension}{self.key}"


class OpinionStanding(models.Model):
    """Opinions as they stand at the refresh: how many in each state, and how many of those
    are overdue (past their reply deadline while the department holds them)."""

    grain = models.CharField("粒度", max_length=8, choices=Grain.choices)
    street = models.ForeignKey("content.Street", null=True, on_delete=models.CASCADE, related_name="+")
    station = models.ForeignKey("content.StationPage", null=True, on_delete=models.CASCADE, related_name="+")
    state = models.CharField("状态", max_length=16)
    label = models.CharField("名称", max_length=255, blank=True)
    sort_key = models.CharField("排序", max_length=255, blank=True)
    count = models.PositiveIntegerField("件数", default=0)
    overdue = models.PositiveIntegerField("超期件数", default=0)

    class Meta:
        verbose_name = "意见状态统计"
        verbose_name_plural = "意见状态统计"
        indexes = [models.Index(fields=["grain", "street"], name="opinion_standing_street")]

    def __str__(self):
        return f"{self.state} {self.count}"


class OversightAction(models.TextChoices):
    """Audit actions of the dashboards (registered in oversight.wagtail_hooks)."""

    REFRESH_REQUESTED = "rollups_refresh_requested", "请求刷新统计"
    REPORT_EXPORTED = "report_exported", "导出统计报表"
