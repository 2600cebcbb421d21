"""Deputy suggestions (代表建议).

A deputy drafts a suggestion in 代表e站, alone or as its lead with co-signers (附议), each
of whom confirms it in their own portal; once everyone has confirmed, the lead submits it
for pre-review (初审/预审) by the standing committee's liaison office (代表工委), which
returns it with comments or accepts it, numbering it in its year's series of its kind
(大会期间 / 闭会期间), possibly as a 批评和意见 rather than a suggestion proper. Every
round of pre-review keeps the text as it was submitted, so rounds can be compared.
"""

from __future__ import annotations

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models
from django.db.models import Q

from workflows.models import Rating
from workflows.storage import private_storage


class SuggestionKind(models.TextChoices):
    SESSION = "session", "大会期间"
    RECESS = "recess", "闭会期间"


class SuggestionType(models.TextChoices):
    SUGGESTION = "suggestion", "建议"
    CRITICISM = "criticism", "批评和意见"


class SuggestionState(models.TextChoices):
    DRAFT = "draft", "草稿"
    REVIEW = "review", "待预审"
    RETURNED = "returned", "退回修改"
    FILED = "filed", "已立案"
    ASSIGNED = "assigned", "已交办"
    REPLIED = "replied", "已答复"
    REOPENED = "reopened", "重新办理"
    CLOSED = "closed", "办结"
    WITHDRAWN = "withdrawn", "已撤回"


class SuggestionAction(models.TextChoices):
    """Audit actions (registered in suggestions.wagtail_hooks)."""

    DRAFTED = "suggestion_drafted", "代表建议起草"
    TRANSITION = "suggestion_transition", "代表建议办理"
    COSIGN = "suggestion_cosign", "代表建议附议"
    ASSIGNMENT = "suggestion_assignment", "代表建议承办"


class Suggestion(models.Model):
    """One deputy suggestion, from its draft on."""

    year = models.PositiveSmallIntegerField("年度")
    kind = models.CharField("类别", max_length=8, choices=SuggestionKind.choices)
    type = models.CharField("性质", max_length=12, choices=SuggestionType.choices, default=SuggestionType.SUGGESTION)
    serial = models.PositiveIntegerField("序号", null=True, blank=True, editable=False)
    title = models.CharField("标题", max_length=80)
    category = models.ForeignKey(
        "workflows.Category", on_delete=models.PROTECT, related_name="suggestions", verbose_name="分类"
    )
    problem = models.TextField("问题和理由", max_length=5000)
    measures = models.TextField("建议措施", max_length=5000)
    lead = models.ForeignKey(
        "content.Deputy", on_delete=models.PROTECT, related_name="suggestions_led", verbose_name="领衔代表"
    )
    state = models.CharField("状态", max_length=12, choices=SuggestionState.choices, default=SuggestionState.DRAFT)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    # Where it started, kept as links (each may be empty).
    source_opinion = models.ForeignKey(
        "workflows.Opinion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name="来源：群众意见或直通车",
    )
    source_topic = models.ForeignKey(
        "duties.DiscussionTopic",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suggestions",
        verbose_name="来源：议题讨论",
    )
    review_comment = models.TextField("预审意见", max_length=2000, blank=True)
    conversion_reason = models.CharField("转为批评和意见的理由", max_length=300, blank=True)
    created_at = models.DateTimeField("起草时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    filed_at = models.DateTimeField("立案时间", null=True, blank=True)
    assigned_at = models.DateTimeField("交办时间", null=True, blank=True)
    deadline = models.DateField("办理期限", null=True, blank=True)
    published_at = models.DateTimeField("公开时间", null=True, blank=True)
    # The daily sweep's claims (suggestions.reminders): the deadline it last reminded of, and
    # the deadline whose passing it reported; a new deadline (reopened) is reminded of anew.
    reminded_for = models.DateField("已提醒的期限", null=True, blank=True, editable=False)
    overdue_notified_for = models.DateField("已通知超期的期限", null=True, blank=True, editable=False)
    is_key = models.BooleanField("重点督办", default=False)
    key_leader = models.CharField("牵头督办的常委会领导", max_length=40, blank=True)
    key_group = models.ManyToManyField(
        "content.Deputy", blank=True, related_name="supervised_suggestions", verbose_name="督办组代表"
    )

    history = HistoricalRecords(excluded_fields=["reminded_for", "overdue_notified_for"])  # the sweep's claims

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "代表建议"
        verbose_name_plural = "代表建议"
        constraints = [
            models.UniqueConstraint(
                fields=["year", "kind", "serial"], condition=Q(serial__isnull=False), name="suggestion_serial_unique"
            ),
        ]
        indexes = [models.Index(fields=["state", "year"])]

    def __str__(self):
        return f"{self.number} {self.title}" if self.serial else self.title

    def key_label(self) -> str:
        return "重点" if self.is_key else ""

    @property
    def number(self) -> str:
        """第N号 of its year and kind, once filed: 2027年大会期间第12号."""
        if not self.serial:
            return ""
        return f"{self.year}年{self.get_kind_display()}第{self.serial}号"


class CosignState(models.TextChoices):
    INVITED = "invited", "待确认"
    CONFIRMED = "confirmed", "已确认附议"
    DECLINED = "declined", "不附议"


class CoSigner(models.Model):
    """A deputy asked to co-sign (附议) a suggestion, and whether they have confirmed."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="cosigners")
    deputy = models.ForeignKey(
        "content.Deputy", on_delete=models.PROTECT, related_name="cosigned_suggestions", verbose_name="附议代表"
    )
    state = models.CharField("状态", max_length=12, choices=CosignState.choices, default=CosignState.INVITED)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    confirmed_at = models.DateTimeField("确认时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "附议代表"
        verbose_name_plural = "附议代表"
        constraints = [models.UniqueConstraint(fields=["suggestion", "deputy"], name="cosigner_once")]

    def __str__(self):
        return f"{self.deputy.name}（{self.get_state_display()}）"


class ReviewDecision(models.TextChoices):
    PENDING = "", "待预审"
    RETURNED = "returned", "退回修改"
    ACCEPTED = "accepted", "受理立案"
    CONVERTED = "converted", "转为批评和意见"


class ReviewRound(models.Model):
    """One round of pre-review: the text as submitted, and the office's decision on it."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveSmallIntegerField("轮次")
    title = models.CharField("标题", max_length=80)
    problem = models.TextField("问题和理由")
    measures = models.TextField("建议措施")
    submitted_at = models.DateTimeField("提交时间", auto_now_add=True)
    decision = models.CharField("预审结果", max_length=12, choices=ReviewDecision.choices, blank=True)
    comment = models.TextField("预审意见", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField("预审时间", null=True, blank=True)

    class Meta:
        ordering = ["suggestion", "number"]
        verbose_name = "预审轮次"
        verbose_name_plural = "预审轮次"
        constraints = [models.UniqueConstraint(fields=["suggestion", "number"], name="review_round_once")]

    def __str__(self):
        return f"第{self.number}轮"


class AssignmentRole(models.TextChoices):
    LEAD = "lead", "主办"
    CO = "co", "协办"


class AssignmentState(models.TextChoices):
    ASSIGNED = "assigned", "待签收"
    SIGNED = "signed", "已签收"
    OPINED = "opined", "已提交协办意见"
    ADJUST = "adjust", "申请调整"
    RELEASED = "released", "已调整出"


class SuggestionAssignment(models.Model):
    """One department's part in handling a suggestion: its lead (主办) or a co-handler (协办).

    A department signs for it (签收) or asks to be taken off it with a reason (申请调整), which
    the liaison office grants (the department is released and another assigned) or refuses."""

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="assignments", verbose_name="建议"
    )
    department = models.ForeignKey(
        "workflows.Department", on_delete=models.PROTECT, related_name="suggestion_assignments", verbose_name="承办单位"
    )
    role = models.CharField("承办方式", max_length=8, choices=AssignmentRole.choices)
    state = models.CharField("状态", max_length=12, choices=AssignmentState.choices, default=AssignmentState.ASSIGNED)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    reason = models.CharField("调整理由或决定", max_length=300, blank=True)
    assigned_at = models.DateTimeField("交办时间", auto_now_add=True)
    signed_at = models.DateTimeField("签收时间", null=True, blank=True)
    opinion = models.TextField("协办意见", max_length=3000, blank=True)
    opinion_at = models.DateTimeField("协办意见提交时间", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["suggestion", "-role", "pk"]  # "lead" after "co" in the alphabet: the lead first
        verbose_name = "建议承办"
        verbose_name_plural = "建议承办"
        constraints = [
            # One lead at a time, and a department once, among those not released.
            models.UniqueConstraint(
                fields=["suggestion"], condition=Q(role="lead") & ~Q(state="released"), name="suggestion_one_lead"
            ),
            models.UniqueConstraint(
                fields=["suggestion", "department"], condition=~Q(state="released"), name="suggestion_department_once"
            ),
        ]

    def __str__(self):
        return f"{self.suggestion} · {self.department.name}（{self.get_role_display()}）"


class ReplyCategory(models.TextChoices):
    A = "A", "A类：已解决或基本解决"
    B = "B", "B类：正在解决或列入计划解决"
    C = "C", "C类：因条件限制留作参考说明"


class ContactMethod(models.TextChoices):
    MEETING = "meeting", "当面沟通"
    PHONE = "phone", "电话沟通"
    FORUM = "forum", "座谈会"
    SITE = "site", "现场察看"
    LETTER = "letter", "书面征求意见"


class SuggestionReply(models.Model):
    """The lead department's reply (答复): its category, text and attachment, how and when the
    deputy was contacted before it, the promised date of a B reply, and the deputy's rating.
    A reply rated 不满意 reopens the suggestion; the second reply is kept beside the first."""

    suggestion = models.ForeignKey(Suggestion, on_delete=models.CASCADE, related_name="replies", verbose_name="建议")
    number = models.PositiveSmallIntegerField("第几次答复")
    department = models.ForeignKey(
        "workflows.Department", on_delete=models.PROTECT, related_name="suggestion_replies", verbose_name="主办单位"
    )
    category = models.CharField("答复类别", max_length=1, choices=ReplyCategory.choices)
    text = models.TextField("答复内容", max_length=10000)
    attachment = models.FileField("附件", upload_to="suggestions/%Y/%m/", storage=private_storage, blank=True)
    contact_method = models.CharField("沟通方式", max_length=12, choices=ContactMethod.choices)
    contacted_on = models.DateField("沟通日期")
    promised_on = models.DateField("承诺解决日期", null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="答复人"
    )
    replied_at = models.DateTimeField("答复时间", auto_now_add=True)
    # The deadline this reply answered (a second reply has the shorter one of its reopening):
    # whether it came on time is judged against it in the year-end report.
    due_on = models.DateField("答复期限", null=True, blank=True)
    rating = models.CharField("代表评价", max_length=12, choices=Rating.choices, blank=True)
    rated_at = models.DateTimeField("评价时间", null=True, blank=True)
    followed_up_at = models.DateTimeField("承诺到期跟踪时间", null=True, blank=True)
    promise_notified_at = models.DateTimeField("承诺到期通知时间", null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["promise_notified_at"])  # the sweep's claim

    class Meta:
        ordering = ["suggestion", "number"]
        verbose_name = "建议答复"
        verbose_name_plural = "建议答复"
        constraints = [models.UniqueConstraint(fields=["suggestion", "number"], name="suggestion_reply_once")]

    def __str__(self):
        return f"{self.suggestion} · 第{self.number}次答复（{self.category}类）"


class SupervisionKind(models.TextChoices):
    INSPECTION = "inspection", "视察"
    MEETING = "meeting", "督办会"
    FORUM = "forum", "座谈会"
    RESEARCH = "research", "调研"


class SupervisionRecord(models.Model):
    """An inspection or meeting of a key suggestion's supervision (重点督办), with what it found."""

    suggestion = models.ForeignKey(
        Suggestion, on_delete=models.CASCADE, related_name="supervision_records", verbose_name="建议"
    )
    kind = models.CharField("形式", max_length=12, choices=SupervisionKind.choices)
    date = models.DateField("日期")
    findings = models.TextField("情况和问题", max_length=3000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="记录人"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["suggestion", "date", "pk"]
        verbose_name = "督办记录"
        verbose_name_plural = "督办记录"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"
