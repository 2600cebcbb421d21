"""Livelihood projects decided by the deputies' vote (民生实事项目票决).

A yearly round, the district's or one street's, goes nomination (点菜) → screening → candidates
published → the ballot at the congress session (票决) → results → implementation → evaluation.

The ballot keeps two promises at once. **One vote each**: the roll of deputies entitled to vote
(`Elector`) records whether each has been issued a ballot, and issuing is one conditional
UPDATE, so no deputy gets two. **Secrecy**: an online ballot is a random single-use token whose
digest alone is stored (`BallotToken`), linked to nobody; casting deletes the token and stores
the choices (`Ballot`) with a random id and no time, user or token; when the ballot closes the
stored ballots are rewritten in random order (sealing), so not even their order in the table
follows the order of voting. Paper ballots are entered twice by two staff (`PaperEntry`) and
stored only where the two entries agree.
"""

from __future__ import annotations

import uuid

from simple_history.models import HistoricalRecords

from django.conf import settings
from django.db import models
from django.db.models import Q

from workflows.models import Rating


class RoundState(models.TextChoices):
    DRAFT = "draft", "筹备中"
    NOMINATING = "nominating", "项目征集中"
    SCREENING = "screening", "筛选论证中"
    CANDIDATES = "candidates", "候选项目已公布"
    BALLOTING = "balloting", "票决中"
    COUNTED = "counted", "已计票"
    IMPLEMENTING = "implementing", "实施中"
    EVALUATING = "evaluating", "满意度测评中"
    CLOSED = "closed", "已完成"


class LivelihoodAction(models.TextChoices):
    """Audit actions (registered in livelihood.wagtail_hooks)."""

    ROUND = "livelihood_round", "民生实事轮次"
    BALLOT_ISSUED = "livelihood_ballot_issued", "民生实事发放选票"
    BALLOT_CAST = "livelihood_ballot_cast", "民生实事投票"
    PAPER_ENTRY = "livelihood_paper_entry", "民生实事纸质选票录入"
    NOMINATED = "livelihood_nominated", "民生实事项目提名"
    PROGRESS = "livelihood_progress", "民生实事实施进展"
    INSPECTION = "livelihood_inspection", "民生实事监督活动"
    RATED = "livelihood_rated", "民生实事满意度测评"
    ASSESSED = "livelihood_assessed", "民生实事候选项目论证"
    NOMINATION = "livelihood_nomination", "民生实事提名办理"


class ProjectRound(models.Model):
    """One year's livelihood projects of the district (street empty) or of one street."""

    year = models.PositiveSmallIntegerField("年度")
    street = models.ForeignKey(
        "content.Street",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="livelihood_rounds",
        verbose_name="街道（空为全区）",
    )
    title = models.CharField("名称", max_length=80)
    seats = models.PositiveSmallIntegerField(
        "票决项目数 N", default=10, help_text="每张选票最多选 N 项，最多确定 N 个项目。"
    )
    candidate_count = models.PositiveSmallIntegerField("候选项目数 M", default=15)
    # The phases' dates, shown on the round's public page.
    nomination_opens = models.DateField("征集开始", null=True, blank=True)
    nomination_closes = models.DateField("征集截止", null=True, blank=True)
    candidates_on = models.DateField("公布候选项目", null=True, blank=True)
    ballot_on = models.DateField("人代会票决", null=True, blank=True)
    results_on = models.DateField("公布结果", null=True, blank=True)
    evaluation_on = models.DateField("年终满意度测评", null=True, blank=True)
    state = models.CharField("状态", max_length=16, choices=RoundState.choices, default=RoundState.DRAFT)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    entitled = models.PositiveIntegerField("有表决权的代表人数", null=True, blank=True, editable=False)
    ballot_opened_at = models.DateTimeField("开始投票", null=True, blank=True)
    ballot_closed_at = models.DateTimeField("结束投票", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year", "street__name"]
        verbose_name = "民生实事轮次"
        verbose_name_plural = "民生实事轮次"
        constraints = [
            models.UniqueConstraint(fields=["year", "street"], name="livelihood_round_once"),
            models.UniqueConstraint(
                fields=["year"], condition=Q(street__isnull=True), name="livelihood_district_round_once"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="livelihood_round_seats"),
        ]

    def __str__(self):
        return self.title

    @property
    def scope_label(self) -> str:
        return self.street.name if self.street_id else "全区"


class Candidate(models.Model):
    """A candidate project on the ballot, in its place (`number`) on the ballot paper."""

    round = models.ForeignKey(ProjectRound, on_delete=models.CASCADE, related_name="candidates", verbose_name="轮次")
    number = models.PositiveSmallIntegerField("选票上的序号")
    title = models.CharField("项目名称", max_length=80)
    description = models.TextField("项目内容", max_length=3000)
    budget = models.DecimalField("预算（万元）", max_digits=10, decimal_places=2)
    department = models.ForeignKey(
        "workflows.Department", on_delete=models.PROTECT, related_name="livelihood_candidates", verbose_name="责任单位"
    )
    location = models.CharField("实施地点", max_length=120, blank=True)
    # Screening (筛选论证): the responsible department's costing and assessment, published with
    # the candidate list; every candidate has one before the list is published.
    assessment = models.TextField("责任单位论证意见", max_length=3000, blank=True)
    assessed_at = models.DateTimeField("论证时间", null=True, blank=True)
    # Once chosen: the deputies' supervision group (监督组) that follows it to the end.
    supervisors = models.ManyToManyField(
        "content.Deputy", blank=True, related_name="livelihood_supervised", verbose_name="监督组代表"
    )
    supervision_leader = models.ForeignKey(
        "content.Deputy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="livelihood_led",
        verbose_name="监督组组长",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["round", "number"]
        verbose_name = "候选项目"
        verbose_name_plural = "候选项目"
        constraints = [models.UniqueConstraint(fields=["round", "number"], name="livelihood_candidate_number_once")]

    def __str__(self):
        return f"{self.number}. {self.title}"


class NominationSource(models.TextChoices):
    PUBLIC = "public", "群众"
    DEPUTY = "deputy", "代表"
    STATION = "station", "联络站"


class NominationState(models.TextChoices):
    SUBMITTED = "submitted", "待审核"
    LISTED = "listed", "已公开，待筛选"
    REJECTED = "rejected", "不予受理"
    MERGED = "merged", "已合并"
    ADOPTED = "adopted", "列为候选项目"
    DECLINED = "declined", "未列入候选"


class Nomination(models.Model):
    """A proposed project (点菜): from anyone on a station's page or the round's page, from a
    deputy in 代表e站, or entered by a station's staff. Every one gets an answer."""

    round = models.ForeignKey(ProjectRound, on_delete=models.CASCADE, related_name="nominations", verbose_name="轮次")
    station = models.ForeignKey(
        "content.StationPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="livelihood_nominations",
        verbose_name="提交站点",
    )
    source = models.CharField("来源", max_length=8, choices=NominationSource.choices, default=NominationSource.PUBLIC)
    deputy = models.ForeignKey(
        "content.Deputy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="livelihood_nominations",
        verbose_name="提名代表",
    )
    title = models.CharField("项目名称", max_length=60)
    need = models.TextField("群众需求", max_length=2000)
    place = models.CharField("地点", max_length=120)
    scale = models.CharField("大致规模", max_length=120, blank=True)
    nominator_name = models.CharField("提名人姓名", max_length=30)
    nominator_phone = models.CharField("提名人手机", max_length=11, blank=True)
    idempotency_key = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    state = models.CharField("状态", max_length=12, choices=NominationState.choices, default=NominationState.SUBMITTED)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    answer = models.TextField("答复", max_length=2000, blank=True)
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged", verbose_name="合并到"
    )
    candidate = models.ForeignKey(
        Candidate,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="nominations",
        verbose_name="列为的候选项目",
    )
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["nominator_name", "nominator_phone"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "项目征集（点菜）"
        verbose_name_plural = "项目征集（点菜）"
        indexes = [models.Index(fields=["round", "state"])]

    def __str__(self):
        return self.title


class BallotMethod(models.TextChoices):
    ONLINE = "online", "手机投票"
    PAPER = "paper", "纸质选票"


class Elector(models.Model):
    """A deputy on the round's roll (有表决权的代表): signed in or not, and whether a ballot has
    been issued to them. Nothing here, or anywhere, says which ballot was theirs."""

    round = models.ForeignKey(ProjectRound, on_delete=models.CASCADE, related_name="electors", verbose_name="轮次")
    deputy = models.ForeignKey(
        "content.Deputy", on_delete=models.PROTECT, related_name="livelihood_rolls", verbose_name="代表"
    )
    issued = models.CharField("已发选票", max_length=8, choices=BallotMethod.choices, blank=True)
    issued_at = models.DateTimeField("签到领票时间", null=True, blank=True)

    class Meta:
        ordering = ["round", "deputy__name"]
        verbose_name = "有表决权的代表"
        verbose_name_plural = "有表决权的代表"
        constraints = [models.UniqueConstraint(fields=["round", "deputy"], name="livelihood_elector_once")]

    def __str__(self):
        return self.deputy.name


def random_id() -> uuid.UUID:
    return uuid.uuid4()


class BallotToken(models.Model):
    """An online ballot issued and not yet cast: the digest of its token, nothing else. The
    token itself goes to the deputy's phone once; casting deletes this row."""

    id = models.UUIDField(primary_key=True, default=random_id, editable=False)
    round = models.ForeignKey(ProjectRound, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = "未使用的选票"
        verbose_name_plural = "未使用的选票"

    def __str__(self):
        return "未使用的选票"


class Ballot(models.Model):
    """A cast ballot: the candidates' numbers chosen, and whether it is valid. No time, no user,
    no token, a random id; the table is rewritten in random order when the ballot closes."""

    id = models.UUIDField(primary_key=True, default=random_id, editable=False)
    round = models.ForeignKey(ProjectRound, on_delete=models.CASCADE, related_name="ballots", verbose_name="轮次")
    choices = models.JSONField("所选项目序号", default=list)
    valid = models.BooleanField("有效票", default=True)

    class Meta:
        verbose_name = "选票"
        verbose_name_plural = "选票"

    def __str__(self):
        return "有效票" if self.valid else "无效票"


class PaperEntry(models.Model):
    """One staff member's entry of one paper ballot sheet (by the serial printed on it). A
    sheet's ballot is stored once two entries by two different people agree."""

    round = models.ForeignKey(ProjectRound, on_delete=models.CASCADE, related_name="paper_entries", verbose_name="轮次")
    sheet = models.PositiveIntegerField("选票编号")
    choices = models.JSONField("所选项目序号", default=list)
    spoiled = models.BooleanField("无法辨认或作废", default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="录入人"
    )
    entered_at = models.DateTimeField("录入时间", auto_now=True)
    stored = models.BooleanField("已一致入箱", default=False)

    class Meta:
        ordering = ["round", "sheet", "entered_at"]
        verbose_name = "纸质选票录入"
        verbose_name_plural = "纸质选票录入"
        constraints = [
            models.UniqueConstraint(fields=["round", "sheet", "entered_by"], name="livelihood_paper_entry_once")
        ]

    def __str__(self):
        return f"第{self.sheet}号纸质选票"


class BallotCount(models.Model):
    """The published count of a round's ballot: what the result page shows, and what a recount
    from the stored ballots must reproduce."""

    round = models.OneToOneField(ProjectRound, on_delete=models.CASCADE, related_name="count", verbose_name="轮次")
    entitled = models.PositiveIntegerField("有表决权的代表人数")
    cast = models.PositiveIntegerField("收回选票")
    invalid = models.PositiveIntegerField("无效票")
    votes = models.JSONField("各候选项目得票")  # {candidate number: votes}
    chosen = models.JSONField("确定的项目")  # [candidate numbers]
    tied = models.JSONField("并列未定的项目", default=list)  # [candidate numbers]
    places_tied = models.PositiveSmallIntegerField("并列争夺的名额", default=0)
    shortfall = models.PositiveSmallIntegerField("未过半数而空缺的名额", default=0)
    counted_at = models.DateTimeField("计票时间", auto_now_add=True)

    class Meta:
        verbose_name = "计票结果"
        verbose_name_plural = "计票结果"

    def __str__(self):
        return f"{self.round} 计票结果"


# --- Implementation, supervision and evaluation of the chosen projects --------------------------


class Milestone(models.Model):
    """A step of a chosen project's plan (实施计划), with the date it is due and the date done."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="milestones", verbose_name="项目")
    title = models.CharField("节点", max_length=80)
    due_on = models.DateField("计划完成")
    done_on = models.DateField("实际完成", null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["candidate", "due_on", "pk"]
        verbose_name = "实施计划节点"
        verbose_name_plural = "实施计划节点"

    def __str__(self):
        return self.title


class ProgressReport(models.Model):
    """The responsible department's report on a chosen project: how far it is, what has been
    spent, what was done, a milestone reached, photos."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="reports", verbose_name="项目")
    reported_on = models.DateField("报告日期")
    progress = models.PositiveSmallIntegerField("完成进度（%）")
    spent = models.DecimalField("累计完成投资（万元）", max_digits=10, decimal_places=2)
    text = models.TextField("进展情况", max_length=3000)
    milestone = models.ForeignKey(
        Milestone, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name="完成的节点"
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="报告人"
    )
    created_at = models.DateTimeField("提交时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["candidate", "-reported_on", "-pk"]
        verbose_name = "实施进展报告"
        verbose_name_plural = "实施进展报告"
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="livelihood_progress_percent")]

    def __str__(self):
        return f"{self.reported_on:%Y-%m-%d} {self.progress}%"


class InspectionKind(models.TextChoices):
    SITE = "site", "现场视察"
    VISIT = "visit", "走访群众"
    FORUM = "forum", "座谈会"
    UNANNOUNCED = "unannounced", "暗访"


class InspectionState(models.TextChoices):
    RAISED = "raised", "待责任单位答复"
    ANSWERED = "answered", "已答复"
    NO_PROBLEM = "no_problem", "未发现问题"


class Inspection(models.Model):
    """A supervision group's inspection of a chosen project: when, who took part, what was
    found and the problems raised, and the responsible department's answer to them. Each
    deputy taking part has it counted in their duty points (where the year's scheme counts it)."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="inspections", verbose_name="项目")
    date = models.DateField("日期")
    kind = models.CharField("形式", max_length=12, choices=InspectionKind.choices)
    deputies = models.ManyToManyField(
        "content.Deputy", related_name="livelihood_inspections", verbose_name="参加的代表"
    )
    findings = models.TextField("情况", max_length=3000)
    problems = models.TextField("发现的问题", max_length=3000, blank=True)
    state = models.CharField("状态", max_length=12, choices=InspectionState.choices)
    version = models.PositiveIntegerField("版本", default=0, editable=False)
    answer = models.TextField("责任单位答复", max_length=3000, blank=True)
    answered_at = models.DateTimeField("答复时间", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name="记录人"
    )
    recorded_at = models.DateTimeField("记录时间", auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["candidate", "-date", "-pk"]
        verbose_name = "监督活动"
        verbose_name_plural = "监督活动"

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"


class ProjectPhoto(models.Model):
    """A public photo of a chosen project, from a progress report or an inspection; re-encoded
    without metadata (EXIF location) like a citizen's photo."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="photos", verbose_name="项目")
    report = models.ForeignKey(ProgressReport, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, null=True, blank=True, related_name="photos")
    file = models.ImageField("照片", upload_to="livelihood/%Y/%m/")

    class Meta:
        verbose_name = "项目照片"
        verbose_name_plural = "项目照片"

    def __str__(self):
        return f"{self.candidate} 照片"


class ProjectRating(models.Model):
    """A deputy's year-end rating of a chosen project (满意度测评): one per deputy and project."""

    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="ratings", verbose_name="项目")
    deputy = models.ForeignKey(
        "content.Deputy", on_delete=models.PROTECT, related_name="livelihood_ratings", verbose_name="代表"
    )
    rating = models.CharField("评价", max_length=12, choices=Rating.choices)
    rated_at = models.DateTimeField("测评时间", auto_now_add=True)

    class Meta:
        verbose_name = "满意度测评"
        verbose_name_plural = "满意度测评"
        constraints = [models.UniqueConstraint(fields=["candidate", "deputy"], name="livelihood_rating_once")]

    def __str__(self):
        return f"{self.candidate} {self.get_rating_display()}"
