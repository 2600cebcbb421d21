"""Deputies' duties (代表履职): the yearly points scheme, activity records, deputies' accounts.

A scheme (履职积分办法) belongs to one year and lists its duty items in four groups; a record
(履职记录) is one activity on one date, with its deputies (one lead, any co-participants), at
one station. Points are never stored: they are computed from verified records and the scheme
of the record's year (duties.points), so next year's rules never change last year's totals.
"""

from __future__ import annotations

from decimal import Decimal

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from base.masking import mask_name, mask_phone
from workflows.storage import private_storage

POINTS = {"max_digits": 6, "decimal_places": 1, "validators": [MinValueValidator(Decimal("0"))]}
WEIGHT = {"max_digits": 3, "decimal_places": 2, "validators": [MinValueValidator(Decimal("0"))]}


class DutyGroup(models.TextChoices):
    """The four groups of seed 001's 履职管理办法."""

    SESSION = "session", "大会期间的工作"
    RECESS = "recess", "闭会期间的活动"
    EXEMPLARY = "exemplary", "发挥模范作用提高综合素质"
    OTHER = "other", "其他应予登记的工作和活动"


class AutoSource(models.TextChoices):
    """What the platform itself knows and records as a duty, without anyone typing it."""

    NONE = "", "不自动生成"
    RECEPTION = "reception", "接待日到岗（已确认）"
    OPINION_RECEIVED = "opinion_received", "接待日收集或转交群众意见"
    OPINION_CLOSED = "opinion_closed", "跟踪群众意见至办结销号"
    LIVELIHOOD_VOTE = "livelihood_vote", "民生实事项目票决签到领票"
    LIVELIHOOD_SUPERVISION = "livelihood_supervision", "民生实事项目监督活动"


class DutyScheme(models.Model):
    """The points scheme of one year (年度履职积分办法)."""

    year = models.PositiveSmallIntegerField("年度", unique=True, validators=[MinValueValidator(2000)])
    title = models.CharField("名称", max_length=80)
    note = models.TextField("说明", blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]
        verbose_name = "履职积分办法"
        verbose_name_plural = "履职积分办法"

    def __str__(self):
        return f"{self.year}年 {self.title}"

    def copy_to(self, year: int) -> DutyScheme:
        """A new scheme for `year` with this one's items, to be edited for that year."""
        if DutyScheme.objects.filter(year=year).exists():
            raise ValidationError(f"{year}年的积分办法已经存在。")
        scheme = DutyScheme.objects.create(
            year=year, title=self.title.replace(str(self.year), str(year)), note=self.note
        )
        copied = [f.name for f in DutyItem._meta.concrete_fields if f.name not in ("id", "scheme")]
        for item in self.items.all():
            copy = DutyItem(scheme=scheme, **{name: getattr(item, name) for name in copied})
            copy._change_reason = f"复制自{self.year}年"
            copy.save()
        return scheme


class DutyItem(models.Model):
    """One duty of a scheme, with how it earns points.

    The first occurrence in a year earns `base_points`, each further one `repeat_points`;
    a co-participant earns them times `co_weight`, the lead times `lead_weight`; a deputy's
    points for the item in a year never exceed `yearly_cap` (no cap when empty)."""

    scheme = models.ForeignKey(DutyScheme, on_delete=models.CASCADE, related_name="items", verbose_name="积分办法")
    number = models.PositiveSmallIntegerField("序号")
    group = models.CharField("类别", max_length=16, choices=DutyGroup.choices)
    name = models.CharField("履职事项", max_length=80)
    description = models.CharField("说明", max_length=300, blank=True)
    base_points = models.DecimalField("首次积分", **POINTS)
    repeat_points = models.DecimalField("每增加一次积分", **POINTS)
    yearly_cap = models.DecimalField("年度上限", null=True, blank=True, help_text="留空表示不设上限", **POINTS)
    lead_weight = models.DecimalField("牵头人系数", default=Decimal("1.00"), **WEIGHT)
    co_weight = models.DecimalField("参与人系数", default=Decimal("0.50"), **WEIGHT)
    self_reportable = models.BooleanField("代表可自报", default=True)
    voter_report = models.BooleanField(
        "属于向选民报告履职", default=False, help_text="计入“每位区人大代表每届至少向选民报告一次”的覆盖率"
    )
    auto_source = models.CharField(
        "平台自动记录", max_length=24, choices=AutoSource.choices, default=AutoSource.NONE, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["scheme", "number"]
        verbose_name = "履职事项"
        verbose_name_plural = "履职事项"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="duty_item_number_unique"),
            models.UniqueConstraint(
                fields=["scheme", "auto_source"], condition=~Q(auto_source=""), name="duty_item_one_per_auto_source"
            ),
        ]

    def __str__(self):
        return f"{self.number}. {self.name}"


class DeputyAccount(models.Model):
    """The account a deputy signs in to 代表e站 with (one each way)."""

    deputy = models.OneToOneField(
        "content.Deputy", on_delete=models.CASCADE, related_name="account_link", verbose_name="代表"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="deputy_link", verbose_name="账号"
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = "代表账号"
        verbose_name_plural = "代表账号"

    def __str__(self):
        return f"{self.deputy.name} · {self.user}"


class RecordSource(models.TextChoices):
    STAFF = "staff", "工作人员录入"
    SELF = "self", "代表自报"
    AUTO = "auto", "平台自动记录"


class RecordState(models.TextChoices):
    PENDING = "pending", "待核实"
    VERIFIED = "verified", "已核实"
    RETURNED = "returned", "已退回"
    WITHDRAWN = "withdrawn", "已撤回"
    VOID = "void", "已作废"


class RecordAction(models.TextChoices):
    """Audit actions of duty records (registered in duties.wagtail_hooks)."""

    CREATED = "duty_record_created", "履职记录登记"
    TRANSITION = "duty_record_transition", "履职记录办理"


class DutyRecord(models.Model):
    """One duty activity on one date (履职记录)."""

    item = models.ForeignKey(DutyItem, on_delete=models.PROTECT, related_name="records", verbose_name="履职事项")
    date = models.DateField("日期")
    station = models.ForeignKey(
        "content.StationPage", on_delete=models.PROTECT, related_name="duty_records", verbose_name="站点"
    )
    street = models.ForeignKey(
        "content.Street", on_delete=models.PROTECT, related_name="duty_records", null=True, editable=False
    )
    text = models.TextField("内容", max_length=2000)
    source = models.CharField("来源", max_length=8, choices=RecordSource.choices)
    state = models.CharField("状态", max_length=12, choices=RecordState.choices, default=RecordState.PENDING)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    # One record per fact the platform knows (e.g. "reception:<occurrence>:<deputy>"), so a
    # reception confirmed twice is still counted once.
    auto_key = models.CharField(max_length=80, unique=True, null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="登记人"
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    reason = models.CharField("退回或作废理由", max_length=200, blank=True)
    verified_at = models.DateTimeField("核实时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = "履职记录"
        verbose_name_plural = "履职记录"
        indexes = [models.Index(fields=["state", "date"])]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.item.name}"

    def participant_names(self) -> str:
        """The deputies, lead first: "王芳（牵头）、李强（参与）"."""
        parts = sorted(self.participants.all(), key=lambda p: (p.role != ParticipantRole.LEAD, p.pk))
        return "、".join(f"{p.deputy.name}（{p.get_role_display()}）" for p in parts)

    participant_names.short_description = "代表"


class DutyRecordPhoto(models.Model):
    """A photo of the activity (sign-in sheet, the scene), re-encoded without EXIF (location)
    on upload like a citizen's photo, kept in the private storage and shown only to those
    who may see the record."""

    record = models.ForeignKey(DutyRecord, on_delete=models.CASCADE, related_name="photos", verbose_name="履职记录")
    file = models.FileField("照片", upload_to="duties/%Y/%m/", storage=private_storage)
    width = models.PositiveIntegerField("宽度", default=0)
    height = models.PositiveIntegerField("高度", default=0)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "履职照片"
        verbose_name_plural = "履职照片"

    def __str__(self):
        return f"{self.record} 照片"


class ParticipantRole(models.TextChoices):
    LEAD = "lead", "牵头"
    CO = "co", "参与"


class DutyParticipant(models.Model):
    """A deputy taking part in a record, as its lead or as a co-participant."""

    record = models.ForeignKey(DutyRecord, on_delete=models.CASCADE, related_name="participants")
    deputy = models.ForeignKey(
        "content.Deputy", on_delete=models.PROTECT, related_name="duty_participations", verbose_name="代表"
    )
    role = models.CharField("角色", max_length=8, choices=ParticipantRole.choices)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "参与代表"
        verbose_name_plural = "参与代表"
        constraints = [
            models.UniqueConstraint(fields=["record", "deputy"], name="duty_participant_once"),
            models.UniqueConstraint(fields=["record"], condition=Q(role="lead"), name="duty_participant_one_lead"),
        ]

    def __str__(self):
        return f"{self.deputy.name}（{self.get_role_display()}）"


class DutyAttendance(models.Model):
    """A deputy's confirmed attendance at one reception day they were on duty for (到岗确认).

    Confirming is what turns a scheduled duty into a duty record (duties.automatic); the row
    itself is kept once per schedule, date and deputy, so confirming twice changes nothing."""

    schedule = models.ForeignKey(
        "content.ReceptionSchedule", on_delete=models.CASCADE, related_name="attendances", verbose_name="接待安排"
    )
    date = models.DateField("接待日期")
    deputy = models.ForeignKey(
        "content.Deputy", on_delete=models.CASCADE, related_name="attendances", verbose_name="代表"
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="确认人"
    )
    confirmed_at = models.DateTimeField("确认时间", auto_now_add=True)
    record = models.ForeignKey(
        DutyRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="履职记录"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-date"]
        verbose_name = "接待到岗确认"
        verbose_name_plural = "接待到岗确认"
        constraints = [
            models.UniqueConstraint(fields=["schedule", "date", "deputy"], name="duty_attendance_once"),
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.deputy.name}"


class TopicState(models.TextChoices):
    OPEN = "open", "讨论中"
    CLOSED = "closed", "已结束"
    WITHDRAWN = "withdrawn", "已撤下"


class TopicAction(models.TextChoices):
    """Audit actions of discussion topics and their replies (registered in duties.wagtail_hooks)."""

    OPENED = "topic_opened", "议题发起"
    TRANSITION = "topic_transition", "议题办理"
    REPLIED = "topic_reply_received", "议题回复收到"
    REPLY_TRANSITION = "topic_reply_transition", "议题回复审核"


class DiscussionTopic(models.Model):
    """A local issue a deputy puts to the residents of one station (议题讨论), open until its
    closing date; the deputy closes it with a summary, which may go on as a 直通车 item."""

    station = models.ForeignKey(
        "content.StationPage", on_delete=models.PROTECT, related_name="discussion_topics", verbose_name="站点"
    )
    street = models.ForeignKey(
        "content.Street", on_delete=models.PROTECT, related_name="discussion_topics", null=True, editable=False
    )
    deputy = models.ForeignKey(
        "content.Deputy", on_delete=models.PROTECT, related_name="discussion_topics", verbose_name="发起代表"
    )
    title = models.CharField("议题", max_length=60)
    description = models.TextField("议题说明", max_length=2000)
    closes_on = models.DateField("截止日期")
    state = models.CharField("状态", max_length=12, choices=TopicState.choices, default=TopicState.OPEN)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    summary = models.TextField("讨论总结", max_length=2000, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)
    reason = models.CharField("撤下理由", max_length=200, blank=True)
    direct_opinion = models.OneToOneField(
        "workflows.Opinion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="discussion_topic",
        verbose_name="转为直通车事项",
    )
    created_at = models.DateTimeField("发起时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "议题讨论"
        verbose_name_plural = "议题讨论"
        indexes = [models.Index(fields=["station", "state"])]

    def __str__(self):
        return self.title

    def accepts_replies(self, today=None) -> bool:
        """Open, and its closing date not passed: residents may still reply."""
        return self.state == TopicState.OPEN and (today or timezone.localdate()) <= self.closes_on


class ReplyState(models.TextChoices):
    PENDING = "pending", "待审核"
    PUBLISHED = "published", "已公开"
    REJECTED = "rejected", "不予公开"


class TopicReply(models.Model):
    """A resident's reply to a topic. Shown publicly only once staff publish it, and then
    without the resident's name or phone, which only staff see (masked)."""

    topic = models.ForeignKey(DiscussionTopic, on_delete=models.CASCADE, related_name="replies", verbose_name="议题")
    content = models.TextField("回复内容", max_length=1000)
    resident_name = models.CharField("姓名", max_length=30)
    resident_phone = models.CharField("手机号码", max_length=20)
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    state = models.CharField("状态", max_length=12, choices=ReplyState.choices, default=ReplyState.PENDING)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    reason = models.CharField("不予公开理由", max_length=200, blank=True)
    created_at = models.DateTimeField("回复时间", auto_now_add=True)
    moderated_at = models.DateTimeField("审核时间", null=True, blank=True)

    # Personal data stays out of the history table (it never changes after submission).
    history = HistoricalRecords(excluded_fields=["resident_name", "resident_phone"])

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "议题回复"
        verbose_name_plural = "议题回复"
        indexes = [models.Index(fields=["topic", "state"])]

    def __str__(self):
        return f"{self.topic.title} · 回复 #{self.pk}"

    # Read-only views for listings and detail pages: personal data masked.
    def masked_resident_name(self) -> str:
        return mask_name(self.resident_name)

    masked_resident_name.short_description = "姓名（脱敏）"

    def masked_resident_phone(self) -> str:
        return mask_phone(self.resident_phone)

    masked_resident_phone.short_description = "电话（脱敏）"


# The yearly publication page lives in duties.publication; Django finds models in models.py.
from duties.publication import PointsPublicationPage  # noqa: E402, F401
