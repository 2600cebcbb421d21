"""After the vote: the chosen projects' implementation (实施), their supervision groups (监督组)
and the year-end evaluation (满意度测评).

- The responsible department reports progress against the project's plan (milestones): how
  far it is (a percentage that never goes back), what has been spent, what was done, photos.
- The round's runner names each project's supervision group (deputies, one of them leading);
  the group's inspections record the date, who took part, what was found, the problems raised
  and photos; the department answers the problems (a small process). Each deputy taking part
  has the inspection counted in their duty points where the year's scheme counts it.
- While the round is being evaluated, each deputy on its roll rates each chosen project once:
  满意 / 基本满意 / 不满意; the results are published with the count and each rating's share.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from base import audit
from base.roles import Roles
from content.models import Deputy
from duties.automatic import livelihood_fact
from duties.models import AutoSource
from livelihood.models import (
    BallotCount,
    Candidate,
    Elector,
    Inspection,
    InspectionState,
    LivelihoodAction,
    Milestone,
    ProgressReport,
    ProjectPhoto,
    ProjectRating,
    ProjectRound,
    RoundState,
)
from livelihood.rounds import ROUNDS, RUNNER, runner_q
from workflows.intake import MAX_PHOTOS, IntakeError, clean_photo
from workflows.models import Department, Rating
from workflows.process import Process, Todo, Transition, TransitionError, TransitionForm, required

S = RoundState
IMPLEMENTED = (S.IMPLEMENTING, S.EVALUATING, S.CLOSED)


class ProjectError(TransitionError):
    """Refused, with the reason in Chinese; nothing stored."""


def chosen(round: ProjectRound):
    """The round's chosen projects (in ballot order), once its result is published."""
    count = BallotCount.objects.filter(round=round).first()
    if count is None or round.state not in IMPLEMENTED:
        return Candidate.objects.none()
    return Candidate.objects.filter(round=round, number__in=count.chosen)


def current_round(candidate: Candidate) -> ProjectRound:
    """The project's round as it stands now (not as it was when the project was read)."""
    candidate.round = ProjectRound.objects.get(pk=candidate.round_id)
    return candidate.round


def is_chosen(candidate: Candidate) -> bool:
    return chosen(current_round(candidate)).filter(pk=candidate.pk).exists()


def runs(user, round: ProjectRound) -> bool:
    """The round's runner: the district admin, or the street committee of a street's round."""
    return RUNNER in ROUNDS.capacities(user, round)


def handles(user, candidate: Candidate) -> bool:
    """A handler of the project's responsible department."""
    return Department.objects.handled_by(user).filter(pk=candidate.department_id).exists()


def _photos(uploads) -> list:
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ProjectError(f"最多上传 {MAX_PHOTOS} 张照片。")
    try:
        return [clean_photo(upload) for upload in uploads]
    except IntakeError as error:
        raise ProjectError(str(error)) from None


def _store_photos(candidate, files, **owner) -> None:
    for content in files:
        photo = ProjectPhoto(candidate=candidate, **owner)
        photo.file.save(content.name, content, save=False)
        photo.save()


# --- Progress -------------------------------------------------------------------------------------


@dataclass
class Progress:
    reported_on: dt.date
    progress: int
    spent: Decimal | str
    text: str
    milestone: Milestone | None = None
    photos: list = field(default_factory=list)


def report_progress(candidate: Candidate, report: Progress, *, user, today: dt.date | None = None) -> ProgressReport:
    today = today or timezone.localdate()
    if not (handles(user, candidate) or runs(user, candidate.round)):
        raise ProjectError(f"只有{candidate.department.name}的经办人或本轮的组织者能报告这个项目的进展。")
    if not is_chosen(candidate):
        raise ProjectError("这个项目没有经票决确定，或结果尚未公布。")
    if candidate.round.state == S.CLOSED:
        raise ProjectError("本轮已完成，不再报告进展。")
    if report.reported_on is None or report.reported_on > today:
        raise ProjectError("报告日期不能晚于今天。")
    if not 0 <= int(report.progress) <= 100:
        raise ProjectError("完成进度填 0 到 100。")
    last = candidate.reports.order_by("-reported_on", "-pk").first()
    if last is not None and int(report.progress) < last.progress:
        raise ProjectError(f"完成进度不能低于上次报告的 {last.progress}%。")
    try:
        spent = Decimal(str(report.spent))
    except InvalidOperation:
        raise ProjectError("累计完成投资请填数字（万元）。") from None
    if spent < 0:
        raise ProjectError("累计完成投资不能为负数。")
    text = required(report.text, "请写明进展情况。")
    milestone = report.milestone
    if milestone is not None and (milestone.candidate_id != candidate.pk or milestone.done_on is not None):
        raise ProjectError("请选择这个项目计划中尚未完成的节点。")
    files = _photos(report.photos)
    with transaction.atomic():
        row = ProgressReport.objects.create(
            candidate=candidate,
            reported_on=report.reported_on,
            progress=int(report.progress),
            spent=spent,
            text=text,
            milestone=milestone,
            reported_by=user,
        )
        if milestone is not None:
            milestone.done_on = report.reported_on
            milestone.save()
        _store_photos(candidate, files, report=row)
        audit.record(LivelihoodAction.PROGRESS, actor=user, obj=candidate, progress=row.progress, spent=str(spent))
    return row


def latest_report(candidate: Candidate) -> ProgressReport | None:
    return candidate.reports.order_by("-reported_on", "-pk").first()


# --- Supervision groups and inspections --------------------------------------------------------


def set_group(candidate: Candidate, deputies, leader: Deputy | None, *, user) -> None:
    """Name the project's supervision group (监督组): deputies of the round's roll."""
    if not runs(user, candidate.round):
        raise ProjectError("只有本轮的组织者能确定监督组。")
    if not is_chosen(candidate):
        raise ProjectError("这个项目没有经票决确定，或结果尚未公布。")
    deputies = list(deputies)
    if not deputies:
        raise ProjectError("监督组至少要有一位代表。")
    on_roll = set(Elector.objects.filter(round=candidate.round).values_list("deputy_id", flat=True))
    outside = [deputy.name for deputy in deputies if deputy.pk not in on_roll]
    if outside:
        raise ProjectError(f"{'、'.join(outside)}不在本轮有表决权的代表名单中。")
    if leader is not None and leader.pk not in {deputy.pk for deputy in deputies}:
        raise ProjectError("组长须是监督组的代表。")
    with transaction.atomic():
        candidate.supervisors.set(deputies)
        candidate.supervision_leader = leader
        candidate._change_reason = "确定监督组"
        candidate.save()


@dataclass
class Visit:
    date: dt.date
    kind: str
    deputies: list
    findings: str
    problems: str = ""
    photos: list = field(default_factory=list)


def record_inspection(candidate: Candidate, visit: Visit, *, user, today: dt.date | None = None) -> Inspection:
    """An inspection by the project's supervision group, recorded by the round's runner or by a
    deputy of the group; each deputy taking part has it counted in their duty points."""
    today = today or timezone.localdate()
    group = set(candidate.supervisors.values_list("pk", flat=True))
    own = Deputy.objects.filter(account_link__user=user).values_list("pk", flat=True).first()
    if not (runs(user, candidate.round) or (own is not None and own in group)):
        raise ProjectError("只有本轮的组织者或这个项目监督组的代表能记录监督活动。")
    if not is_chosen(candidate) or candidate.round.state == S.CLOSED:
        raise ProjectError("这个项目现在不在实施监督期间。")
    if visit.date is None or visit.date > today:
        raise ProjectError("日期不能晚于今天。")
    if visit.kind not in {value for value, _ in Inspection._meta.get_field("kind").choices}:
        raise ProjectError("请选择监督活动的形式。")
    deputies = list(visit.deputies)
    if not deputies:
        raise ProjectError("请选择参加的代表。")
    outside = [deputy.name for deputy in deputies if deputy.pk not in group]
    if outside:
        raise ProjectError(f"{'、'.join(outside)}不是这个项目监督组的代表。")
    findings = required(visit.findings, "请写明监督活动的情况。")
    files = _photos(visit.photos)
    problems = (visit.problems or "").strip()
    with transaction.atomic():
        row = Inspection.objects.create(
            candidate=candidate,
            date=visit.date,
            kind=visit.kind,
            findings=findings,
            problems=problems,
            state=InspectionState.RAISED if problems else InspectionState.NO_PROBLEM,
            recorded_by=user,
        )
        row.deputies.set(deputies)
        _store_photos(candidate, files, inspection=row)
        INSPECTIONS.created(row, user=user, candidate=candidate.title)
        for deputy in deputies:
            livelihood_fact(
                AutoSource.LIVELIHOOD_SUPERVISION,
                visit.date,
                deputy,
                f"监督民生实事项目“{candidate.title}”（{row.get_kind_display()}）",
                f"livelihood_inspection:{row.pk}:{deputy.pk}",
            )
    return row


HANDLER = "handler"  # a handler of the project's responsible department


def inspection_capacities(roles: Roles) -> dict[str, Q]:
    handled = Department.objects.handled_by(roles).values("pk")
    return {HANDLER: Q(candidate__department__in=handled), RUNNER: runner_q(roles, "candidate__round__")}


class AnswerForm(TransitionForm):
    answer = forms.CharField(label="对发现问题的答复", max_length=3000, widget=forms.Textarea(attrs={"rows": 4}))


def _answer(inspection, *, answer="", **_):
    inspection.answer = required(answer, "请写明对发现问题的答复。")
    inspection.answered_at = timezone.now()


INSPECTIONS = Process(
    model=Inspection,
    noun="监督活动",
    capacities_of=inspection_capacities,
    transition_action=LivelihoodAction.INSPECTION,
    created_action=LivelihoodAction.INSPECTION,
    created_summary="记录监督活动",
    transitions=[
        Transition(
            "answer",
            "答复发现的问题",
            (InspectionState.RAISED,),
            InspectionState.ANSWERED,
            (HANDLER,),
            _answer,
            AnswerForm,
            todos=(Todo("to_answer", "待答复的民生实事监督问题"),),
        ),
    ],
)


# --- The year-end evaluation ----------------------------------------------------------------------


def rate(candidate: Candidate, deputy: Deputy, rating: str) -> ProjectRating:
    round = current_round(candidate)
    if round.state != S.EVALUATING:
        raise ProjectError(f"{round.title}现在不在满意度测评期间。")
    if rating not in Rating.values:
        raise ProjectError("请选择满意、基本满意或不满意。")
    if not is_chosen(candidate):
        raise ProjectError("只测评经票决确定的项目。")
    if not Elector.objects.filter(round=round, deputy=deputy).exists():
        raise ProjectError(f"{deputy.name}不在本轮有表决权的代表名单中。")
    try:
        with transaction.atomic():
            row = ProjectRating.objects.create(candidate=candidate, deputy=deputy, rating=rating)
            audit.record(LivelihoodAction.RATED, obj=candidate, rating=rating)
    except IntegrityError:
        raise ProjectError(f"您已经测评过“{candidate.title}”，每个项目只测评一次。") from None
    return row


@dataclass(frozen=True)
class RatingResult:
    candidate: Candidate
    count: int
    shares: tuple[tuple[str, int, float | None], ...]  # (label, count, percent)

    @property
    def satisfied_percent(self) -> float | None:
        """满意 and 基本满意 together, of all ratings."""
        if not self.count:
            return None
        return round(100 * sum(n for label, n, _ in self.shares[:2]) / self.count, 1)


def evaluation_results(round: ProjectRound) -> list[RatingResult]:
    """Each chosen project's ratings: how many, and each rating's count and share (one query)."""
    projects = list(chosen(round).select_related("department"))
    counts = Counter(
        ProjectRating.objects.filter(candidate__in=projects).values_list("candidate_id", "rating").iterator()
    )
    results = []
    for project in projects:
        per = [(label, counts[(project.pk, value)]) for value, label in Rating.choices]
        total = sum(n for _, n in per)
        shares = tuple((label, n, round_share(n, total)) for label, n in per)
        results.append(RatingResult(project, total, shares))
    return results


def round_share(count: int, total: int) -> float | None:
    return round(100 * count / total, 1) if total else None
