"""居民议事: a station's residents' deliberation meetings (议事会) and what they resolve.

A meeting is scheduled on a topic (its own, or taken from a citizen's opinion or a deputy's
discussion topic), with a date and a place. Once held, the staff record who took part —
deputies and departments by name, residents by count only (no resident's name is ever
stored), others by description —, the internal minutes (会议纪要) and a public summary; then
the resolutions (议定事项), each with who follows it up and by when. A resolution is followed
up (progress notes) until it is done, or sent on as an opinion assigned to a department.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models

from workflows.process import Deadline


class MeetingState(models.TextChoices):
    PLANNED = "planned", "已安排"
    HELD = "held", "已召开"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已取消"


class ResolutionState(models.TextChoices):
    OPEN = "open", "待落实"
    DONE = "done", "已落实"


class DeliberationAction(models.TextChoices):
    """Audit actions (registered in deliberation.wagtail_hooks)."""

    SCHEDULED = "deliberation_scheduled", "居民议事安排"
    MEETING = "deliberation_meeting", "居民议事办理"
    RESOLVED = "deliberation_resolved", "居民议事议定事项"
    RESOLUTION = "deliberation_resolution", "居民议事议定事项落实"


class Meeting(models.Model):
    """One deliberation meeting at a station."""

    station = models.ForeignKey(
        "content.StationPage", on_delete=models.PROTECT, related_name="deliberation_meetings", verbose_name="站点"
    )
    street = models.ForeignKey(
        "content.Street", on_delete=models.PROTECT, related_name="deliberation_meetings", null=True, editable=False
    )
    title = models.CharField("议题", max_length=60)
    description = models.TextField(
        "议题说明", max_length=2000, blank=True, help_text="会公开显示，请勿填写居民个人信息。"
    )
    opinion = models.ForeignKey(
        "workflows.Opinion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="来源：群众意见",
    )
    topic = models.ForeignKey(
        "duties.DiscussionTopic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="来源：议题讨论",
    )
    date = models.DateField("议事日期")
    place = models.CharField("议事地点", max_length=120)
    state = models.CharField("状态", max_length=12, choices=MeetingState.choices, default=MeetingState.PLANNED)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    # Recorded when it is held.
    residents_count = models.PositiveIntegerField("参会居民人数", null=True, blank=True)
    deputies = models.ManyToManyField(
        "content.Deputy", blank=True, related_name="deliberation_meetings", verbose_name="参会代表"
    )
    departments = models.ManyToManyField(
        "workflows.Department", blank=True, related_name="deliberation_meetings", verbose_name="参会部门"
    )
    others = models.CharField("其他参会人员", max_length=200, blank=True, help_text="内部记录，不公开。")
    minutes = models.TextField("会议纪要", max_length=5000, blank=True, help_text="内部记录，不公开。")
    public_summary = models.TextField("公开摘要", max_length=2000, blank=True)
    no_resolutions = models.BooleanField("本次议事未形成议定事项", default=False)
    cancel_reason = models.CharField("取消原因", max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "议事会"
        verbose_name_plural = "议事会"
        indexes = [models.Index(fields=["station", "state", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.title}"

    def save(self, *args, **kwargs):
        if self.station_id:
            self.street_id = self.station.street_id
        super().save(*args, **kwargs)

    def source_label(self) -> str:
        if self.opinion_id:
            return f"群众意见 {self.opinion.receipt_no}"
        if self.topic_id:
            return f"议题讨论：{self.topic.title}"
        return "站点自拟"

    source_label.short_description = "议题来源"


class Resolution(models.Model):
    """One thing a meeting resolved (议定事项), followed up until done."""

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="resolutions", verbose_name="议事会")
    content = models.CharField("议定事项", max_length=300)
    follow_up_by = models.CharField("跟进人/责任单位", max_length=60)
    due_on = models.DateField("跟进期限")
    state = models.CharField("状态", max_length=8, choices=ResolutionState.choices, default=ResolutionState.OPEN)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    done_on = models.DateField("落实日期", null=True, blank=True)
    done_note = models.CharField("落实情况", max_length=500, blank=True)
    opinion = models.OneToOneField(
        "workflows.Opinion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliberation_resolution",
        verbose_name="转为意见",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = "议定事项"
        verbose_name_plural = "议定事项"
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self):
        return self.content[:40]

    def is_overdue(self) -> bool:
        return RESOLUTION_DEADLINE.is_overdue(self)


class Progress(models.Model):
    """A follow-up note on a resolution (跟进进展)."""

    resolution = models.ForeignKey(
        Resolution, on_delete=models.CASCADE, related_name="progress", verbose_name="议定事项"
    )
    date = models.DateField("日期")
    text = models.CharField("进展情况", max_length=500)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = "跟进进展"
        verbose_name_plural = "跟进进展"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.text[:30]}"


# A resolution is overdue when its follow-up date has passed and it is not done.
RESOLUTION_DEADLINE = Deadline("due_on", (ResolutionState.OPEN,))
