"""Rollup tables: the dashboards' figures, counted by the refresh (`oversight.rollups`) and
read by every page that shows them, so no page view scans the rows it counts.

Each table holds counts at two grains: per street (`station` empty; the district is the sum
of its streets, the rows without a street being 区级) and per station (for a station's own
dashboard and the street's table of its stations). Only combinations that occur are stored.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.models import Orderable

from base.history import ClusterHistoricalRecords, HistoricalRecords


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


def rollup_key(to: str, verbose_name: str) -> models.ForeignKey:
    """A big rollup table's street, station or deputy, as of the refresh. No index of its own
    (the table's composite indexes lead with the street, and a station's rows are read
    through its street: `oversight.dashboard.Scope.subtree`) and no database constraint: the
    rows are a snapshot that every refresh replaces, a million of them at 20,000 stations,
    and a constraint costs a lookup per row written and keeps the delete from emptying the
    table at once. Deleting a street, station or deputy leaves its rows to the next refresh
    (a station's scope joins the station, so they drop out of it at once)."""
    return models.ForeignKey(
        to,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=verbose_name,
    )


class OpinionMonthly(models.Model):
    """Opinions received in a month (by the day they were submitted, Beijing time), and where
    they stand now: one row per grain, street, station and month for the totals, and one per
    channel or category for the count received.

    The counts of a month are those of the opinions received in it (a cohort): 办结 counts the
    ones since closed, whenever that was."""

    month = models.DateField("月份")
    grain = models.CharField("粒度", max_length=8, choices=Grain.choices)
    street = rollup_key("content.Street", "街道")
    station = rollup_key("content.StationPage", "站点")
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


# --------------------------------------------------------------------------------------------
# Station evaluation (站点评星): the monthly self and peer scoring against the 九有 standard
# (oversight.evaluation declares the process and computes the score).
# --------------------------------------------------------------------------------------------


POINTS = {"max_digits": 5, "decimal_places": 1}
SCORE_RANGE = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class EvaluationAction(models.TextChoices):
    """Audit actions of station evaluation (registered in oversight.evaluation_admin)."""

    CREATED = "evaluation_created", "站点评星开始"
    TRANSITION = "evaluation_transition", "站点评星办理"
    SCHEME_SAVED = "evaluation_scheme_saved", "评星办法修改"


class EvaluationScheme(ClusterableModel):
    """The district's rules for one year's evaluations (评星办法): each 九有 item's full marks
    (its `items`), the full marks of the three activity indicators, the weights of self and
    peer scores, how many peers score a station and the five star thresholds (0–100 scale)."""

    year = models.PositiveSmallIntegerField("年度", unique=True, validators=[MinValueValidator(2000)])
    reception_points = models.DecimalField("接待日开展率满分", default=Decimal("10"), **POINTS)
    on_time_points = models.DecimalField("按期办理率满分", default=Decimal("10"), **POINTS)
    attendance_points = models.DecimalField("代表到站率满分", default=Decimal("10"), **POINTS)
    self_weight = models.DecimalField("自评权重", max_digits=3, decimal_places=2, default=Decimal("0.30"))
    peer_weight = models.DecimalField("互评权重", max_digits=3, decimal_places=2, default=Decimal("0.70"))
    peer_count = models.PositiveSmallIntegerField(
        "互评站点数", default=2, validators=[MaxValueValidator(5)], help_text="每个站点由同街道几个站点互评。"
    )
    star1 = models.DecimalField("一星分数线", default=Decimal("60"), validators=SCORE_RANGE, **POINTS)
    star2 = models.DecimalField("二星分数线", default=Decimal("70"), validators=SCORE_RANGE, **POINTS)
    star3 = models.DecimalField("三星分数线", default=Decimal("80"), validators=SCORE_RANGE, **POINTS)
    star4 = models.DecimalField("四星分数线", default=Decimal("88"), validators=SCORE_RANGE, **POINTS)
    star5 = models.DecimalField("五星分数线", default=Decimal("95"), validators=SCORE_RANGE, **POINTS)
    note = models.TextField("说明", blank=True)

    history = HistoricalRecords()

    panels = [
        FieldPanel("year"),
        InlinePanel("items", heading="九有评分项", label="评分项"),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("reception_points"), FieldPanel("on_time_points"), FieldPanel("attendance_points")]
                )
            ],
            heading="活动指标",
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("self_weight"), FieldPanel("peer_weight")]), FieldPanel("peer_count")],
            heading="自评与互评",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [
                        FieldPanel("star1"),
                        FieldPanel("star2"),
                        FieldPanel("star3"),
                        FieldPanel("star4"),
                        FieldPanel("star5"),
                    ]
                )
            ],
            heading="星级分数线（百分制）",
        ),
        FieldPanel("note"),
    ]

    class Meta:
        ordering = ["-year"]
        verbose_name = "评星办法"
        verbose_name_plural = "评星办法"

    def __str__(self):
        return f"{self.year}年评星办法"

    @property
    def thresholds(self) -> tuple[Decimal, ...]:
        return (self.star1, self.star2, self.star3, self.star4, self.star5)

    @property
    def thresholds_label(self) -> str:
        return " / ".join(f"{t.normalize():f}" for t in self.thresholds)

    def clean(self):
        errors = {}
        thresholds = self.thresholds
        if any(t is None or t < 0 or t > 100 for t in thresholds):
            errors["star1"] = "星级分数线须在 0 到 100 分之间。"
        elif any(b <= a for a, b in zip(thresholds, thresholds[1:], strict=False)):
            errors["star1"] = "星级分数线须从一星到五星依次升高。"
        if self.self_weight is not None and self.peer_weight is not None:
            if self.self_weight < 0 or self.peer_weight < 0 or self.self_weight + self.peer_weight != 1:
                errors["peer_weight"] = "自评权重与互评权重之和须为 1。"
        for name in ("reception_points", "on_time_points", "attendance_points"):
            if getattr(self, name) is not None and getattr(self, name) < 0:
                errors[name] = "满分不能为负数。"
        if errors:
            raise ValidationError(errors)


class EvaluationItem(Orderable):
    """One 九有 item's full marks in a year's scheme."""

    scheme = ParentalKey(EvaluationScheme, on_delete=models.CASCADE, related_name="items", verbose_name="评星办法")
    facility = models.ForeignKey(
        "content.Facility", on_delete=models.CASCADE, related_name="+", verbose_name="九有标准项"
    )
    max_points = models.DecimalField(
        "满分", default=Decimal("5"), validators=[MinValueValidator(Decimal("0.5"))], **POINTS
    )

    history = ClusterHistoricalRecords()

    panels = [FieldRowPanel([FieldPanel("facility"), FieldPanel("max_points")])]

    class Meta(Orderable.Meta):
        verbose_name = "九有评分项"
        verbose_name_plural = "九有评分项"
        constraints = [models.UniqueConstraint(fields=["scheme", "facility"], name="evaluation_item_once")]

    def __str__(self):
        return f"{self.facility}（{self.max_points} 分）"


class EvaluationState(models.TextChoices):
    DRAFT = "draft", "自评中"
    SUBMITTED = "submitted", "已提交自评"
    STREET_REVIEW = "street_review", "待街道审核"
    DISTRICT_REVIEW = "district_review", "待区审定"
    APPROVED = "approved", "已评定"


class StationEvaluation(models.Model):
    """One station's evaluation for one month: its self-assessment, its peers' scores, the
    street's review and the district's approval (the process is oversight.evaluation). The
    activity indicators are frozen when the self-assessment is submitted, the score and the
    stars when the district approves."""

    station = models.ForeignKey(
        "content.StationPage", on_delete=models.PROTECT, related_name="evaluations", verbose_name="站点"
    )
    street = models.ForeignKey(
        "content.Street", on_delete=models.PROTECT, related_name="evaluations", verbose_name="街道", null=True
    )
    month = models.DateField("月份", help_text="该月第一天。")
    scheme = models.ForeignKey(EvaluationScheme, on_delete=models.PROTECT, related_name="+", verbose_name="评星办法")
    state = models.CharField(
        "状态", max_length=16, choices=EvaluationState.choices, default=EvaluationState.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField("版本", default=0, editable=False)

    # The activity indicators, frozen when the self-assessment is submitted.
    reception_planned = models.PositiveIntegerField("计划接待日", null=True, blank=True)
    reception_held = models.PositiveIntegerField("开展接待日", null=True, blank=True)
    opinions_due = models.PositiveIntegerField("当月到期意见", null=True, blank=True)
    opinions_on_time = models.PositiveIntegerField("按期答复意见", null=True, blank=True)
    deputies_on_wall = models.PositiveIntegerField("墙上代表", null=True, blank=True)
    deputies_attended = models.PositiveIntegerField("到站代表", null=True, blank=True)

    self_note = models.TextField("自评说明", blank=True)
    submitted_at = models.DateTimeField("自评提交时间", null=True, blank=True)
    return_reason = models.CharField("退回理由", max_length=500, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="街道审核人",
    )
    reviewed_at = models.DateTimeField("街道审核时间", null=True, blank=True)
    review_note = models.TextField("街道审核意见", blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="区审定人",
    )
    approved_at = models.DateTimeField("区审定时间", null=True, blank=True)

    # Frozen at approval.
    item_points = models.DecimalField("九有得分", max_digits=6, decimal_places=2, null=True, blank=True)
    indicator_points = models.DecimalField("活动指标得分", max_digits=6, decimal_places=2, null=True, blank=True)
    final_score = models.DecimalField("评定得分", max_digits=4, decimal_places=1, null=True, blank=True)
    stars = models.PositiveSmallIntegerField("星级", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-month", "street__sort_order", "station__path"]
        verbose_name = "站点月度评星"
        verbose_name_plural = "站点月度评星"
        constraints = [
            models.UniqueConstraint(
                fields=["station", "month"],
                name="station_evaluation_once",
                violation_error_message="该站点本月的自评已经存在，不能重复填报。",
            )
        ]
        indexes = [models.Index(fields=["station", "state", "month"], name="station_evaluation_latest")]

    def __str__(self):
        return f"{self.station.title} · {self.month:%Y年%-m月}"

    @property
    def month_label(self) -> str:
        return f"{self.month.year}年{self.month.month}月"

    @property
    def star_glyphs(self) -> str:
        """★★★★☆ (for the eye; the page writes the stars in words beside it)."""
        return "★" * (self.stars or 0) + "☆" * (5 - (self.stars or 0))

    @property
    def stars_label(self) -> str:
        if self.stars is None:
            return ""
        return f"{self.stars} 星" if self.stars else "未达星级"


class ScoreKind(models.TextChoices):
    SELF = "self", "自评"
    PEER = "peer", "互评"
    STREET = "street", "街道核定"


class PeerAssignment(models.Model):
    """A station of the same street assigned to score an evaluation (互评), when the
    self-assessment is submitted; `scored_at` once its staff have scored."""

    evaluation = models.ForeignKey(
        StationEvaluation, on_delete=models.CASCADE, related_name="peer_assignments", verbose_name="评星"
    )
    scorer_station = models.ForeignKey(
        "content.StationPage", on_delete=models.PROTECT, related_name="+", verbose_name="互评站点"
    )
    scored_at = models.DateTimeField("互评时间", null=True, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="互评人",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "pk"]
        verbose_name = "互评安排"
        verbose_name_plural = "互评安排"
        constraints = [
            models.UniqueConstraint(fields=["evaluation", "scorer_station"], name="peer_assignment_once"),
        ]

    def __str__(self):
        return f"{self.scorer_station.title} → {self.evaluation}"


class EvaluationScore(models.Model):
    """One item's points in an evaluation: the station's own (自评), a peer station's (互评),
    or the street committee's adjustment with its reason (街道核定)."""

    evaluation = models.ForeignKey(
        StationEvaluation, on_delete=models.CASCADE, related_name="scores", verbose_name="评星"
    )
    kind = models.CharField("类别", max_length=8, choices=ScoreKind.choices)
    scorer_station = models.ForeignKey(
        "content.StationPage",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="评分站点",
    )
    facility = models.ForeignKey(
        "content.Facility", on_delete=models.PROTECT, related_name="+", verbose_name="九有标准项"
    )
    points = models.DecimalField("得分", **POINTS)
    note = models.CharField("说明", max_length=500, blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="评分人",
    )
    scored_at = models.DateTimeField("评分时间", auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["evaluation", "kind", "scorer_station_id", "facility__sort_order"]
        verbose_name = "评星得分"
        verbose_name_plural = "评星得分"
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "kind", "scorer_station", "facility"],
                condition=models.Q(scorer_station__isnull=False),
                name="evaluation_score_once",
            ),
            models.UniqueConstraint(
                fields=["evaluation", "kind", "facility"],
                condition=models.Q(scorer_station__isnull=True),
                name="evaluation_street_score_once",
            ),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="evaluation_score_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.facility} {self.points}"


# --- Deputies' duties and reception days (oversight.duty_section) -----------------------------


class DutyRollupKind(models.TextChoices):
    MONTH = "month", "月度"
    ACTIVE = "active", "履职代表"
    SEAT = "seat", "代表年度积分"


class DutyRollup(models.Model):
    """The deputies' duties and reception days, as the refresh counts them: one table of three
    kinds of rows, so that a dashboard reads its whole section in one query.

    - MONTH (grain street or station, like OpinionMonthly): verified duty records dated in the
      month, and the reception days planned (the station's rules, up to the refresh day) and
      held (a schedule and date with at least one confirmed attendance).
    - ACTIVE: a deputy who took part in a verified record of the station in the month (one row
      per month, station and deputy: distinct deputies are counted for any scope and period).
    - SEAT: a deputy's yearly points band and voter report, once per station they sit in now
      (street and station empty for a deputy without a seat: counted for the district only).
    """

    kind = models.CharField("类型", max_length=8, choices=DutyRollupKind.choices)
    month = models.DateField("月份", null=True)
    year = models.PositiveSmallIntegerField("年度", null=True)
    grain = models.CharField("粒度", max_length=8, choices=Grain.choices, blank=True)
    street = rollup_key("content.Street", "街道")
    station = rollup_key("content.StationPage", "站点")
    deputy = rollup_key("content.Deputy", "代表")  # no index: read by scope, never by deputy
    label = models.CharField("名称", max_length=255, blank=True)
    sort_key = models.CharField("排序", max_length=255, blank=True)

    records = models.PositiveIntegerField("已核实履职记录", default=0)
    planned = models.PositiveIntegerField("计划接待日", default=0)
    held = models.PositiveIntegerField("举行接待日", default=0)
    band = models.CharField("积分段", max_length=8, blank=True)
    district_deputy = models.BooleanField("区人大代表", default=False)
    reported = models.BooleanField("本届已向选民报告", default=False)

    class Meta:
        verbose_name = "履职与接待统计"
        verbose_name_plural = "履职与接待统计"
        indexes = [
            # The district's rows (street grain, deputies, seats): not the stations' months,
            # three quarters of the table at 20,000 stations, read through their street.
            models.Index(
                fields=["kind", "grain", "month"], condition=~models.Q(grain="station"), name="duty_rollup_kind"
            ),
            models.Index(fields=["street", "kind", "month"], name="duty_rollup_street"),
        ]

    def __str__(self):
        return f"{self.kind} {self.month or self.year}"


# --- Suggestions, livelihood projects and street tasks (oversight.work_section) -------------------
# The rollup tables of the dashboard's sections for the other modules' work: counted by the
# sections' `count()` during the refresh, read by their `build()` on a page view.


class SuggestionRollup(models.Model):
    """代表建议 of one year as the year-end report counts them (suggestions.statistics): one row
    per lead department, and the district's line (department empty), in the report's order."""

    year = models.PositiveSmallIntegerField("年度")
    department = models.ForeignKey("workflows.Department", null=True, on_delete=models.CASCADE, related_name="+")
    label = models.CharField("名称", max_length=255)
    position = models.PositiveIntegerField("排序", default=0)
    filed = models.PositiveIntegerField("立案", default=0)
    co_handled = models.PositiveIntegerField("协办", default=0)
    assigned = models.PositiveIntegerField("已交办", default=0)
    overdue = models.PositiveIntegerField("逾期未答复", default=0)
    replied = models.PositiveIntegerField("已答复", default=0)
    category_a = models.PositiveIntegerField("A类", default=0)
    category_b = models.PositiveIntegerField("B类", default=0)
    category_c = models.PositiveIntegerField("C类", default=0)
    rated = models.PositiveIntegerField("已评价", default=0)
    satisfied = models.PositiveIntegerField("满意", default=0)

    class Meta:
        verbose_name = "代表建议年度统计"
        verbose_name_plural = "代表建议年度统计"
        indexes = [models.Index(fields=["year", "position"], name="suggestion_rollup_year")]

    def __str__(self):
        return f"{self.year} {self.label}"


class ProjectProgressRollup(models.Model):
    """A chosen livelihood project of a round being implemented (实施中): its latest reported
    progress and its plan's milestones (done, past due and not done, all)."""

    round = models.ForeignKey("livelihood.ProjectRound", on_delete=models.CASCADE, related_name="+")
    street = models.ForeignKey("content.Street", null=True, on_delete=models.CASCADE, related_name="+")
    candidate = models.ForeignKey("livelihood.Candidate", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField("年度")
    label = models.CharField("名称", max_length=255)
    sort_key = models.CharField("排序", max_length=255, blank=True)
    progress = models.PositiveSmallIntegerField("完成进度（%）", null=True)
    reported_on = models.DateField("最近报告日期", null=True)
    milestones = models.PositiveIntegerField("计划节点", default=0)
    milestones_done = models.PositiveIntegerField("已完成节点", default=0)
    milestones_overdue = models.PositiveIntegerField("到期未完成节点", default=0)

    class Meta:
        verbose_name = "民生实事实施进度统计"
        verbose_name_plural = "民生实事实施进度统计"
        indexes = [models.Index(fields=["street", "sort_key"], name="project_rollup_street")]

    def __str__(self):
        return self.label


class StreetTaskRollup(models.Model):
    """区街联动 street tasks as they stand at the refresh: per street and state, how many, and
    how many of them are overdue (coordination.models.STREET_TASK_DEADLINE)."""

    street = models.ForeignKey("content.Street", on_delete=models.CASCADE, related_name="+")
    label = models.CharField("名称", max_length=255)
    sort_key = models.CharField("排序", max_length=255, blank=True)
    state = models.CharField("状态", max_length=12)
    count = models.PositiveIntegerField("件数", default=0)
    overdue = models.PositiveIntegerField("超期件数", default=0)

    class Meta:
        verbose_name = "区街联动任务统计"
        verbose_name_plural = "区街联动任务统计"
        indexes = [models.Index(fields=["street", "state"], name="street_task_rollup_street")]

    def __str__(self):
        return f"{self.label} {self.state} {self.count}"
