"""District-to-street tasks (区街联动).

The district's liaison office (区人大常委会代表工委) issues a `Task` — the year's research topic,
an inspection, a survey — to some or all streets; each street's share is a `StreetTask`, a
process (coordination.street_tasks) that the street committee (街道人大工委) accepts, reports
on (`TaskReport`, with `TaskAttachment` files kept on private storage) and submits a result
for, and that the district returns or confirms.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models

from workflows.process import Deadline
from workflows.storage import private_storage


class TaskKind(models.TextChoices):
    RESEARCH = "research", "年度调研课题"
    INSPECTION = "inspection", "视察"
    SURVEY = "survey", "调查问卷"
    OTHER = "other", "其他"


class StreetTaskState(models.TextChoices):
    ISSUED = "issued", "已下达"
    ACCEPTED = "accepted", "已接收"
    RETURNED = "returned", "已退回"
    SUBMITTED = "submitted", "已报送"
    COMPLETED = "completed", "已办结"


class ReportKind(models.TextChoices):
    PROGRESS = "progress", "进展"
    RESULT = "result", "成果"


class CoordinationAction(models.TextChoices):
    """Audit actions (registered in coordination.wagtail_hooks)."""

    ISSUED = "coordination_issued", "区街联动任务下达"
    STREET_TASK = "coordination_street_task", "区街联动任务办理"
    ATTACHMENT_VIEWED = "coordination_attachment_viewed", "查看区街联动附件"


class Task(models.Model):
    """A task of the district for the streets; each street's part is a StreetTask."""

    title = models.CharField("任务名称", max_length=120)
    kind = models.CharField("类型", max_length=12, choices=TaskKind.choices, default=TaskKind.RESEARCH)
    year = models.PositiveSmallIntegerField("年度")
    description = models.TextField("任务要求", max_length=5000)
    due_on = models.DateField("完成期限")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name="下达人",
    )
    created_at = models.DateTimeField("下达时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "区街联动任务"
        verbose_name_plural = "区街联动任务"
        ordering = ["-year", "-created_at"]

    def __str__(self):
        return f"{self.year}年 {self.title}"


class StreetTask(models.Model):
    """One street's part in a task: the process that street committee and district act on."""

    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="street_tasks", verbose_name="任务")
    street = models.ForeignKey(
        "content.Street", on_delete=models.PROTECT, related_name="coordination_tasks", verbose_name="街道"
    )
    state = models.CharField("状态", max_length=12, choices=StreetTaskState.choices, default=StreetTaskState.ISSUED)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    due_on = models.DateField("完成期限")
    accepted_at = models.DateTimeField("接收时间", null=True, blank=True)
    submitted_at = models.DateTimeField("报送成果时间", null=True, blank=True)
    completed_at = models.DateTimeField("办结时间", null=True, blank=True)
    return_reason = models.TextField("退回理由", blank=True)
    reminded_at = models.DateTimeField("最近催办时间", null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField("催办次数", default=0)
    created_at = models.DateTimeField("下达时间", auto_now_add=True)
    # The daily sweep's claims: the deadline it has reminded of ahead, and announced as passed.
    auto_reminded_for = models.DateField("已自动提醒的期限", null=True, blank=True, editable=False)
    overdue_notified_for = models.DateField("已通知超期的期限", null=True, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["auto_reminded_for", "overdue_notified_for"])

    class Meta:
        verbose_name = "街道任务"
        verbose_name_plural = "街道任务"
        ordering = ["due_on", "task_id", "street__name"]
        constraints = [models.UniqueConstraint(fields=["task", "street"], name="coordination_one_part_per_street")]

    def __str__(self):
        return f"{self.task.title} · {self.street.name}"

    @property
    def is_overdue(self) -> bool:
        return STREET_TASK_DEADLINE.is_overdue(self)


# Overdue: the deadline has passed while the street still owes its result. The one definition
# for the listing, the at-a-glance table, the to-dos and the row's flag.
OPEN_STATES = (StreetTaskState.ISSUED, StreetTaskState.ACCEPTED, StreetTaskState.RETURNED)
STREET_TASK_DEADLINE = Deadline("due_on", OPEN_STATES)


class TaskReport(models.Model):
    """A street's progress report (进展) or result (成果) on its part of a task."""

    street_task = models.ForeignKey(
        StreetTask, on_delete=models.CASCADE, related_name="reports", verbose_name="街道任务"
    )
    kind = models.CharField("类型", max_length=10, choices=ReportKind.choices)
    text = models.TextField("内容", max_length=10000)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="报告人"
    )
    reported_at = models.DateTimeField("报告时间", auto_now_add=True)

    class Meta:
        verbose_name = "任务报告"
        verbose_name_plural = "任务报告"
        ordering = ["reported_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.street_task}"


class TaskAttachment(models.Model):
    """A file sent with a report: on private storage, served only through the scoped, audited view."""

    report = models.ForeignKey(TaskReport, on_delete=models.CASCADE, related_name="attachments", verbose_name="报告")
    file = models.FileField("文件", storage=private_storage, upload_to="coordination/%Y/%m/")
    original_name = models.CharField("原文件名", max_length=200)

    class Meta:
        verbose_name = "任务附件"
        verbose_name_plural = "任务附件"

    def __str__(self):
        return self.original_name
