"""The yearly round of livelihood projects as a process on the one mechanism (流程机制):

    筹备中 ─开始征集─▶ 项目征集中 ─截止征集─▶ 筛选论证中 ─公布候选项目─▶ 候选项目已公布
      ─开始票决（名单冻结）─▶ 票决中 ─结束票决（封箱、计票）─▶ 已计票 ─公布结果（复核一致）─▶ 实施中
      ─开始满意度测评─▶ 满意度测评中 ─完成─▶ 已完成

The district admin (区人大常委会代表工委) runs the district's rounds and may run any street's;
a street committee (街道人大工委) runs its own street's rounds. Each step leaves one audit record
and one history row.
"""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from base.roles import Roles
from content.scoping import committee_streets_q
from livelihood import ballot
from livelihood.models import LivelihoodAction, NominationState, ProjectRound, RoundState
from workflows.process import Process, Todo, Transition, TransitionError

S = RoundState
RUNNER = "runner"


def runner_q(roles: Roles, path: str = "") -> Q:
    """The rows whose round the person runs, `path` leading from the row to its round: every
    round for the district admin, its street's rounds for a street committee, else none. The
    one definition for rounds, their nominations and their projects' inspections."""
    return Q() if roles.is_district_admin else committee_streets_q(roles, path)


def round_capacities(roles: Roles) -> dict[str, Q]:
    return {RUNNER: runner_q(roles)}


def _publish_candidates(round: ProjectRound, **_):
    waiting = round.nominations.filter(state__in=(NominationState.SUBMITTED, NominationState.LISTED)).count()
    if waiting:
        raise TransitionError(f"还有 {waiting} 条项目提名没有答复：每一条提名都要答复后才能公布候选项目。")
    count = round.candidates.count()
    unassessed = list(round.candidates.filter(assessment="").values_list("number", flat=True))
    if unassessed:
        numbers = "、".join(f"{n}号" for n in unassessed)
        raise TransitionError(f"还有 {len(unassessed)} 个候选项目没有责任单位的论证意见（{numbers}）。")
    if count != round.candidate_count:
        raise TransitionError(f"本轮应有 {round.candidate_count} 个候选项目，现在有 {count} 个。")
    if round.seats > count:
        raise TransitionError(f"票决项目数 {round.seats} 不能多于候选项目数 {count}。")
    return {"candidates": count}


def _open_ballot(round: ProjectRound, **_):
    entitled = ballot.build_roll(round)
    if not entitled:
        raise TransitionError("本轮没有有表决权的代表，不能开始票决。")
    round.entitled = entitled
    round.ballot_opened_at = timezone.now()
    return {"entitled": entitled}


def _close_ballot(round: ProjectRound, **_):
    waiting = ballot.unmatched_sheets(round)
    if waiting:
        numbers = "、".join(str(sheet) for sheet in waiting[:10])
        raise TransitionError(f"还有 {len(waiting)} 张纸质选票未经两人一致录入（第 {numbers} 号），请先录入。")
    lapsed = ballot.unused_online(round)
    stored = ballot.seal(round)
    count = ballot.store_count(round)
    round.ballot_closed_at = timezone.now()
    return {"ballots": stored, "lapsed": lapsed, "invalid": count.invalid, "chosen": count.chosen}


def _publish_results(round: ProjectRound, **_):
    if not ballot.recount_matches(round):
        raise TransitionError("按存储的选票重新计票与计票结果不一致，不能公布，请核查。")


ROUNDS = Process(
    model=ProjectRound,
    noun="民生实事轮次",
    capacities_of=round_capacities,
    transition_action=LivelihoodAction.ROUND,
    transitions=[
        Transition("open_nominations", "开始征集", (S.DRAFT,), S.NOMINATING, (RUNNER,)),
        Transition("close_nominations", "截止征集", (S.NOMINATING,), S.SCREENING, (RUNNER,)),
        Transition(
            "publish_candidates",
            "公布候选项目",
            (S.SCREENING,),
            S.CANDIDATES,
            (RUNNER,),
            _publish_candidates,
            todos=(Todo("to_screen", "待筛选论证的民生实事"),),
        ),
        Transition("open_ballot", "开始票决", (S.CANDIDATES,), S.BALLOTING, (RUNNER,), _open_ballot),
        Transition("close_ballot", "结束票决并计票", (S.BALLOTING,), S.COUNTED, (RUNNER,), _close_ballot),
        Transition(
            "publish_results",
            "公布票决结果",
            (S.COUNTED,),
            S.IMPLEMENTING,
            (RUNNER,),
            _publish_results,
            todos=(Todo("to_publish_results", "待公布的票决结果"),),
        ),
        Transition("open_evaluation", "开始满意度测评", (S.IMPLEMENTING,), S.EVALUATING, (RUNNER,)),
        Transition("close_round", "完成本轮", (S.EVALUATING,), S.CLOSED, (RUNNER,)),
    ],
)
