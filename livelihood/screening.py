"""筛选论证 (screening): the responsible department costs and assesses each candidate project
before the candidate list is published; the assessment is published with it. The round's
runner may record it on the department's behalf. The round cannot publish its candidates
while one of them has no assessment (livelihood.rounds)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from base import audit
from livelihood.implementation import ProjectError, current_round, handles, runs
from livelihood.models import Candidate, LivelihoodAction, RoundState
from workflows.process import required

OPEN_FOR_ASSESSMENT = (RoundState.NOMINATING, RoundState.SCREENING)


def may_assess(user, candidate: Candidate) -> bool:
    return handles(user, candidate) or runs(user, candidate.round)


def assess(candidate: Candidate, *, user, budget, assessment: str) -> Candidate:
    if not may_assess(user, candidate):
        raise ProjectError(f"只有{candidate.department.name}的经办人或本轮的组织者能论证这个候选项目。")
    if current_round(candidate).state not in OPEN_FOR_ASSESSMENT:
        raise ProjectError("候选项目已经公布，不能再修改论证意见。")
    try:
        budget = Decimal(str(budget))
    except InvalidOperation:
        raise ProjectError("预算请填数字（万元）。") from None
    if budget <= 0:
        raise ProjectError("预算须大于 0 万元。")
    text = required(assessment, "请写明论证意见：是否可行、实施条件、工期和风险。")
    with transaction.atomic():
        candidate.budget = budget
        candidate.assessment = text
        candidate.assessed_at = timezone.now()
        candidate._change_reason = "责任单位论证"
        candidate.save()
        audit.record(LivelihoodAction.ASSESSED, actor=user, obj=candidate, budget=str(budget))
    return candidate
